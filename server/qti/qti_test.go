package qti

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/score"
)

func readItem(t *testing.T, name string) *Item {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	it, err := ParseItem(data, "")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return it
}

func TestParseEverySupportedInteraction(t *testing.T) {
	for _, c := range []struct {
		file, id, kind, card, base string
		tmpl                       Template
		choices                    [][]string
		correct                    []string
		category                   string
	}{
		{"items/constitution_single_kk.xml", "const-001", ChoiceInteraction, Single, Identifier, MatchCorrect, [][]string{{"A", "B", "C", "D"}}, []string{"B"}, "constitution"},
		{"items/anticorruption_multiple_ru.xml", "corr-014", ChoiceInteraction, Multiple, Identifier, MapResponse, [][]string{{"A", "B", "C", "D"}}, []string{"A", "C"}, "anti-corruption"},
		{"items/civilservice_text_integer.xml", "cs-031", TextEntryInteraction, Single, Integer, MatchCorrect, [][]string{}, []string{"6"}, "civil-service"},
		{"items/capital_text_string_map.xml", "const-019", TextEntryInteraction, Single, String, MapResponse, [][]string{}, []string{"Астана"}, "constitution"},
		{"items/ethics_inline.xml", "eth-004", InlineChoiceInteraction, Single, Identifier, MatchCorrect, [][]string{{"allowed", "forbidden", "limit"}}, []string{"forbidden"}, "ethics-code"},
		{"items/stages_order.xml", "cs-040", OrderInteraction, Ordered, Identifier, MatchCorrect, [][]string{{"essay", "interview", "pq", "tn"}}, []string{"pq", "tn", "essay", "interview"}, "civil-service"},
		{"items/acts_match.xml", "mix-002", MatchInteraction, Multiple, DirectedPair, MapResponse, [][]string{{"const", "corr", "cs"}, {"lang", "gifts", "probation"}}, []string{"const lang", "corr gifts", "cs probation"}, "civil-service"},
		{"items/essay.xml", "essay-2026-01", ExtendedTextInteraction, Single, String, "", [][]string{}, nil, "essay"},
	} {
		t.Run(c.id, func(t *testing.T) {
			it := readItem(t, c.file)
			in := it.Interaction()
			if it.Identifier != c.id || in == nil || in.Kind != c.kind || it.Template != c.tmpl {
				t.Fatalf("got %s %v template %q", it.Identifier, in, it.Template)
			}
			if it.Response.Cardinality != c.card || it.Response.BaseType != c.base {
				t.Errorf("response %s/%s, want %s/%s", it.Response.Cardinality, it.Response.BaseType, c.card, c.base)
			}
			if got := in.ChoiceIdentifiers(); !reflect.DeepEqual(got, c.choices) {
				t.Errorf("choices %v, want %v", got, c.choices)
			}
			if !reflect.DeepEqual(it.Response.Correct, c.correct) {
				t.Errorf("correct %q, want %q", it.Response.Correct, c.correct)
			}
			if !reflect.DeepEqual(it.Categories, []string{c.category}) {
				t.Errorf("categories %q, want [%s] (from the label)", it.Categories, c.category)
			}
			if c.tmpl != "" && !reflect.DeepEqual(it.Outcomes[0].Identifier, "SCORE") {
				t.Errorf("outcomes %v", it.Outcomes)
			}
		})
	}
	it := readItem(t, "items/constitution_single_kk.xml")
	if it.Lang != "kk" || it.Title != "Конституция: мемлекеттік тіл" || !it.Interaction().Shuffle || !it.Interaction().Choices[3].Fixed {
		t.Errorf("attributes: lang %q title %q", it.Lang, it.Title)
	}
	if p := it.Interaction().Prompt; len(p) != 1 || p[0].Text != "Бір жауапты таңдаңыз." {
		t.Errorf("prompt %#v", p)
	}
	if !readItem(t, "items/ethics_inline.xml").Interaction().Required {
		t.Error("inline choice required=\"true\" was lost")
	}
	m := readItem(t, "items/anticorruption_multiple_ru.xml").Response.Mapping
	if m == nil || len(m.Entries) != 4 || m.Entries[2].Value.String() != "-0.5" || m.Lower.String() != "0" || m.Upper.String() != "2" {
		t.Errorf("mapping %+v", m)
	}
}

func resp(v ...string) Response { return Response(v) }

func TestScoreByTemplate(t *testing.T) {
	for _, c := range []struct {
		file string
		r    Response
		want string
	}{
		// match_correct, single choice.
		{"items/constitution_single_kk.xml", resp("B"), "1"},
		{"items/constitution_single_kk.xml", resp("A"), "0"},
		{"items/constitution_single_kk.xml", resp(), "0"},
		// map_response, multiple: each distinct value counted once, bounds hold.
		{"items/anticorruption_multiple_ru.xml", resp("A", "C"), "2"},
		{"items/anticorruption_multiple_ru.xml", resp("C", "A"), "2"},
		{"items/anticorruption_multiple_ru.xml", resp("A"), "1"},
		{"items/anticorruption_multiple_ru.xml", resp("A", "B"), "0.5"},
		{"items/anticorruption_multiple_ru.xml", resp("B", "D"), "0"}, // -1 held at the lower bound 0
		{"items/anticorruption_multiple_ru.xml", resp("A", "C", "B"), "1.5"},
		{"items/anticorruption_multiple_ru.xml", resp(), "0"},
		// text entry, integer: compared as numbers.
		{"items/civilservice_text_integer.xml", resp("6"), "1"},
		{"items/civilservice_text_integer.xml", resp(" 06 "), "1"},
		{"items/civilservice_text_integer.xml", resp("six"), "0"},
		{"items/civilservice_text_integer.xml", resp(""), "0"},
		// text entry, float: a decimal comma is read as a point.
		{"items/numerical_text_float.xml", resp("2,5"), "1"},
		{"items/numerical_text_float.xml", resp("2.50"), "1"},
		{"items/numerical_text_float.xml", resp("2,5,0"), "0"},
		{"items/numerical_text_float.xml", resp("25"), "0"},
		// text entry, string with case-insensitive mapping.
		{"items/capital_text_string_map.xml", resp("астана"), "1"},
		{"items/capital_text_string_map.xml", resp("ASTANA"), "0.5"},
		{"items/capital_text_string_map.xml", resp("Алматы"), "0"},
		// inline choice.
		{"items/ethics_inline.xml", resp("forbidden"), "1"},
		{"items/ethics_inline.xml", resp("limit"), "0"},
		// order: the order is the answer.
		{"items/stages_order.xml", resp("pq", "tn", "essay", "interview"), "1"},
		{"items/stages_order.xml", resp("tn", "pq", "essay", "interview"), "0"},
		{"items/stages_order.xml", resp("pq", "tn", "essay"), "0"},
		// match, directedPair with map_response and upperBound 3.
		{"items/acts_match.xml", resp("const lang", "corr gifts", "cs probation"), "3"},
		{"items/acts_match.xml", resp("const  lang", "corr probation"), "1"},
		{"items/acts_match.xml", resp("lang const"), "error"}, // a target is not a source
	} {
		it := readItem(t, c.file)
		got, err := it.Score(c.r)
		if c.want == "error" {
			if err == nil {
				t.Errorf("%s %q: score %v, want an error", it.Identifier, c.r, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", it.Identifier, c.r, err)
			continue
		}
		if got.String() != c.want {
			t.Errorf("%s %q: score %s, want %s", it.Identifier, c.r, got, c.want)
		}
	}
}

func TestScoreRefusesImpossibleResponses(t *testing.T) {
	single := readItem(t, "items/constitution_single_kk.xml")
	for _, r := range []Response{resp("A", "B"), resp("Z")} {
		if _, err := single.Score(r); err == nil || !strings.Contains(err.Error(), "const-001") {
			t.Errorf("%q: %v, want an error naming the item", r, err)
		}
	}
	multi := readItem(t, "items/anticorruption_multiple_ru.xml")
	if _, err := multi.Score(resp("A", "B", "C", "D")); err == nil || !strings.Contains(err.Error(), "more than the 3") {
		t.Errorf("4 choices with maxChoices 3: %v", err)
	}
	match := readItem(t, "items/acts_match.xml") // matchMax 1 everywhere
	if _, err := match.Score(resp("const lang", "const gifts")); err == nil || !strings.Contains(err.Error(), "matchMax") {
		t.Errorf("a source matched twice: %v", err)
	}
	order := readItem(t, "items/stages_order.xml")
	if _, err := order.Score(resp("pq", "pq", "essay", "interview")); err == nil {
		t.Error("an ordering with a repeat was scored")
	}
	essay := readItem(t, "items/essay.xml")
	if _, err := essay.Score(resp("text")); err != ErrNotScored {
		t.Errorf("essay: %v, want ErrNotScored (p.115: graded by the commission)", err)
	}
}

func TestScoreIsExactDecimal(t *testing.T) {
	// Three entries of 0.1: a float64 sum would be 0.30000000000000004.
	data := regexp.MustCompile(`mappedValue="[^"]*"`).ReplaceAllString(mustRead(t, "items/anticorruption_multiple_ru.xml"), `mappedValue="0.1"`)
	it, err := ParseItem([]byte(data), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := it.Score(resp("A", "B", "C"))
	if err != nil || !got.Equal(score.MustParse("0.3")) || got.String() != "0.3" {
		t.Fatalf("0.1 + 0.1 + 0.1 = %v (%v), want exactly 0.3", got, err)
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readTestdata(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }
