package exam

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/qti"
	"kuzet.kz/kuzet/server/score"
)

func TestP14_PassNeeds30CorrectAnd5PerAct(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	bank := legislationBank(t)
	v, err := Draw(p, bank, 14)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		correct map[string]int
		total   int
		pass    bool
		reasons []string
	}{
		{"30 with 5 in each act passes", map[string]int{"constitution": 15, "civil-service": 5, "anti-corruption": 5, "ethics": 5}, 30, true, []string{}},
		{"30 with 10, 10, 5, 5 passes", map[string]int{"constitution": 10, "civil-service": 10, "anti-corruption": 5, "ethics": 5}, 30, true, []string{}},
		{"30 with one act at 4 fails", map[string]int{"constitution": 11, "civil-service": 10, "anti-corruption": 5, "ethics": 4}, 30, false,
			[]string{"p.14: 4 correct in section ethics, at least 5 needed"}},
		{"29 fails", map[string]int{"constitution": 10, "civil-service": 9, "anti-corruption": 5, "ethics": 5}, 29, false,
			[]string{"p.14: 29 correct, at least 30 needed"}},
		{"29 with an act at 4 fails on both", map[string]int{"constitution": 15, "civil-service": 5, "anti-corruption": 5, "ethics": 4}, 29, false,
			[]string{"p.14: 29 correct, at least 30 needed", "p.14: 4 correct in section ethics, at least 5 needed"}},
		{"all 55 passes", map[string]int{"constitution": 15, "civil-service": 15, "anti-corruption": 15, "ethics": 10}, 55, true, []string{}},
		{"nothing answered fails everywhere", map[string]int{}, 0, false, []string{
			"p.14: 0 correct, at least 30 needed",
			"p.14: 0 correct in section constitution, at least 5 needed",
			"p.14: 0 correct in section civil-service, at least 5 needed",
			"p.14: 0 correct in section anti-corruption, at least 5 needed",
			"p.14: 0 correct in section ethics, at least 5 needed",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Grade(p, v, bank, answers(v, c.correct))
			if err != nil {
				t.Fatal(err)
			}
			if r.Correct != c.total || r.Questions != 55 {
				t.Errorf("%d of %d correct, want %d of 55", r.Correct, r.Questions, c.total)
			}
			if r.Passed != c.pass {
				t.Errorf("passed = %v, want %v (reasons %v)", r.Passed, c.pass, r.Reasons)
			}
			if !slices.Equal(r.Reasons, c.reasons) {
				t.Errorf("reasons %q, want %q", r.Reasons, c.reasons)
			}
			for _, s := range r.Sections {
				if s.Correct != c.correct[s.Section] {
					t.Errorf("section %s: %d correct, want %d", s.Section, s.Correct, c.correct[s.Section])
				}
			}
			if r.Score != nil || r.Reliability != nil || r.Parts != nil {
				t.Error("the legislation test has an Annex 3 score; it is pass/fail")
			}
		})
	}
}

func TestAnnex3_PersonalQualitiesScoreIsTwoHundredthsOfThePercentage(t *testing.T) {
	cases := []struct {
		questions, correct int
		s, t               string
	}{
		{40, 40, "100", "2"},
		{40, 0, "0", "0"},
		{40, 39, "97.5", "1.95"},
		{40, 20, "50", "1"},
		{40, 1, "2.5", "0.05"},
		{3, 2, "66.67", "1.3334"}, // 66.666… rounded half up to 2 decimals
		{3, 1, "33.33", "0.6666"}, // 33.333… rounded down
		{8, 1, "12.5", "0.25"},
		{32, 1, "3.13", "0.0626"}, // 3.125 exactly: half up
	}
	for _, c := range cases {
		p := testProgram(t, ScorePersonalQualities, sec{"personal-qualities", c.questions})
		bank := makeBank(t, map[string]int{"personal-qualities": c.questions})
		v, err := Draw(p, bank, 1)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Grade(p, v, bank, answers(v, map[string]int{"personal-qualities": c.correct}))
		if err != nil {
			t.Fatal(err)
		}
		if r.Reliability == nil || r.Score == nil {
			t.Fatalf("%d of %d: no score", c.correct, c.questions)
		}
		if !r.Reliability.Equal(score.MustParse(c.s)) || !r.Score.Equal(score.MustParse(c.t)) {
			t.Errorf("%d of %d: S = %s, T = %s; want S = %s, T = %s", c.correct, c.questions, r.Reliability, r.Score, c.s, c.t)
		}
		if !r.Passed || len(r.Reasons) != 0 {
			t.Errorf("%d of %d: without pass values the result must not fail: %v", c.correct, c.questions, r.Reasons)
		}
	}
}

func TestAnnex3_TextualNumericalScoreIsATenthPerCorrectAnswer(t *testing.T) {
	p := mustProgram(t, TextualNumericalExample)
	bank := makeBank(t, map[string]int{"textual": 12, "numerical": 12})
	v, err := Draw(p, bank, 7)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		s1, s2     int
		t1, t2, tt string
	}{
		{10, 10, "1", "1", "2"},
		{0, 0, "0", "0", "0"},
		{3, 7, "0.3", "0.7", "1"},
		{1, 0, "0.1", "0", "0.1"},
		{0, 9, "0", "0.9", "0.9"},
	}
	for _, c := range cases {
		r, err := Grade(p, v, bank, answers(v, map[string]int{"textual": c.s1, "numerical": c.s2}))
		if err != nil {
			t.Fatal(err)
		}
		if r.Parts == nil || r.Score == nil {
			t.Fatal("no Annex 3 score")
		}
		if !r.Parts.T1.Equal(score.MustParse(c.t1)) || !r.Parts.T2.Equal(score.MustParse(c.t2)) || !r.Score.Equal(score.MustParse(c.tt)) {
			t.Errorf("S1 = %d, S2 = %d: T1 %s, T2 %s, T %s; want %s, %s, %s", c.s1, c.s2, r.Parts.T1, r.Parts.T2, r.Score, c.t1, c.t2, c.tt)
		}
	}
}

func TestPercentRoundsHalfUp(t *testing.T) {
	for _, c := range []struct {
		c, n int
		want string
	}{
		{0, 0, "0"}, {0, 5, "0"}, {5, 5, "100"}, {1, 3, "33.33"}, {2, 3, "66.67"},
		{1, 32, "3.13"}, {1, 6, "16.67"}, {1, 7, "14.29"}, {1, 1000, "0.1"}, {1, 80000, "0"}, {1, 20000, "0.01"}, {1, 40000, "0"},
	} {
		if got := percent(c.c, c.n); !got.Equal(score.MustParse(c.want)) {
			t.Errorf("percent(%d, %d) = %s, want %s", c.c, c.n, got, c.want)
		}
	}
}

// "Correct" is full marks: what the item's own correct response scores.
func TestCorrectMeansTheScoreOfTheCorrectResponse(t *testing.T) {
	mc := parse(t, choiceXML("mc", "x"))
	mp := parse(t, mapXML("mp", "x", true))
	noCorrect := parse(t, mapXML("mp0", "x", false))
	cases := []struct {
		it   *qti.Item
		r    qti.Response
		want bool
	}{
		{&mc, qti.Response{"B"}, true},
		{&mc, qti.Response{"A"}, false},
		{&mc, nil, false},
		{&mp, qti.Response{"A", "B"}, true},
		{&mp, qti.Response{"B", "A"}, true},
		{&mp, qti.Response{"A"}, false},           // 0.5 of 1
		{&mp, qti.Response{"A", "B", "C"}, false}, // 0 of 1
		{&mp, qti.Response{}, false},
	}
	for _, c := range cases {
		got, err := IsCorrect(c.it, c.r)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s %v: correct = %v, want %v", c.it.Identifier, c.r, got, c.want)
		}
	}
	if _, err := IsCorrect(&noCorrect, qti.Response{"A", "B"}); err == nil || !strings.Contains(err.Error(), "no correctResponse") {
		t.Errorf("an item without correctResponse: %v", err)
	}
	if _, err := IsCorrect(&mc, qti.Response{"Z"}); err == nil {
		t.Error("a response naming no choice is accepted")
	}
}

func TestGradeRefusesWhatDoesNotBelongToTheVariant(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	bank := legislationBank(t)
	v, err := Draw(p, bank, 5)
	if err != nil {
		t.Fatal(err)
	}
	first := v.Questions[0].Item
	t.Run("changed item", func(t *testing.T) {
		changed := slices.Clone(bank)
		for i := range changed {
			if changed[i].Identifier == first {
				changed[i] = parse(t, strings.Replace(choiceXML(first, changed[i].Label), "Second", "Second (edited)", 1))
			}
		}
		_, err := Grade(p, v, changed, nil)
		mustContain(t, err, "item "+first+" was changed since the variant was drawn")
	})
	t.Run("missing item", func(t *testing.T) {
		var without []qti.Item
		for _, it := range bank {
			if it.Identifier != first {
				without = append(without, it)
			}
		}
		_, err := Grade(p, v, without, nil)
		mustContain(t, err, "item "+first+" of the variant is not in the bank")
	})
	t.Run("response to an item not asked", func(t *testing.T) {
		asked := map[string]bool{}
		for _, q := range v.Questions {
			asked[q.Item] = true
		}
		var other string
		for _, it := range bank {
			if !asked[it.Identifier] {
				other = it.Identifier
				break
			}
		}
		_, err := Grade(p, v, bank, map[string]qti.Response{other: {"B"}})
		mustContain(t, err, "response to the item "+other+", which the variant does not ask")
	})
	t.Run("impossible response", func(t *testing.T) {
		_, err := Grade(p, v, bank, map[string]qti.Response{first: {"Z"}})
		mustContain(t, err, "response to item "+first)
	})
	t.Run("another program", func(t *testing.T) {
		_, err := Grade(mustProgram(t, PersonalQualitiesExample), v, bank, nil)
		mustContain(t, err, "the variant is of the program")
	})
	t.Run("another composition", func(t *testing.T) {
		short := v
		short.Questions = v.Questions[1:]
		_, err := Grade(p, short, bank, nil)
		if !errors.Is(err, ErrGrade) {
			t.Fatalf("error %v does not wrap ErrGrade", err)
		}
		mustContain(t, err, "14 questions in the section constitution")
	})
}

func TestJSONListsAreNeverNull(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	bank := legislationBank(t)
	v, err := Draw(p, bank, 9)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Grade(p, v, bank, answers(v, map[string]int{"constitution": 15, "civil-service": 15, "anti-corruption": 15, "ethics": 10}))
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range map[string]any{"variant": v, "result": r, "empty variant": Variant{Questions: []Question{}}} {
		raw, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "null") {
			t.Errorf("%s has a null: %s", name, raw)
		}
	}
}
