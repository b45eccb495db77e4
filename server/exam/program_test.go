package exam

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// The composition published for p.14 (workflow facts, egov.kz and gov.kz).
func TestP14_LegislationProgramIs55In55With15_15_15_10(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	if p.Stage != StageLegislation || p.Scoring != ScoreLegislation {
		t.Errorf("stage %s, scoring %s; want legislation, legislation", p.Stage, p.Scoring)
	}
	if got := p.TimeLimit.Std(); got != 55*time.Minute {
		t.Errorf("time limit %s, want 55m", got)
	}
	if got := p.Questions(); got != 55 {
		t.Errorf("%d questions, want 55", got)
	}
	want := []struct {
		id, category string
		count        int
	}{
		{"constitution", "constitution", 15},
		{"civil-service", "civil-service", 15},
		{"anti-corruption", "anti-corruption", 15},
		{"ethics", "ethics-code", 10},
	}
	if len(p.Sections) != len(want) {
		t.Fatalf("%d sections, want %d", len(p.Sections), len(want))
	}
	for i, w := range want {
		s := p.Sections[i]
		if s.ID != w.id || s.Category != w.category || s.Count != w.count {
			t.Errorf("section %d is %s/%s ×%d, want %s/%s ×%d", i, s.ID, s.Category, s.Count, w.id, w.category, w.count)
		}
	}
	if p.Pass == nil || p.Pass.MinTotalCorrect != 30 || p.Pass.MinSectionCorrect != 5 {
		t.Errorf("pass %+v, want 30 in all and 5 per act", p.Pass)
	}
	if !strings.Contains(p.Source, "egov.kz") || !strings.Contains(p.Description, "p.14") {
		t.Errorf("the program does not cite its source and p.14: %q / %q", p.Source, p.Description)
	}
}

func TestBuiltinExamplesSayTheyAreExamples(t *testing.T) {
	ps := Builtin()
	if len(ps) != 3 {
		t.Fatalf("%d builtin programs, want 3", len(ps))
	}
	for _, id := range []string{PersonalQualitiesExample, TextualNumericalExample} {
		p := mustProgram(t, id)
		if !strings.Contains(p.Description, "EXAMPLE") || !strings.Contains(p.Description, "not public") {
			t.Errorf("%s does not say it is an example with non-public sizes: %q", id, p.Description)
		}
	}
	// Builtin hands out copies.
	ps[0].Sections[0].Count = 999
	if Builtin()[0].Sections[0].Count == 999 {
		t.Error("changing a program from Builtin changed the shipped one")
	}
}

func legislationJSON(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("programs/legislation.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseProgramRefusesBadInput(t *testing.T) {
	section := func(m map[string]any, i int) map[string]any {
		return m["sections"].([]any)[i].(map[string]any)
	}
	cases := []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"unknown field", func(m map[string]any) { m["time_limitt"] = "55m" }, `unknown field "time_limitt"`},
		{"unknown section field", func(m map[string]any) { section(m, 0)["cnt"] = 1 }, `unknown field "cnt"`},
		{"no id", func(m map[string]any) { delete(m, "id") }, "id:"},
		{"bad id", func(m map[string]any) { m["id"] = "Legislation Test" }, "id:"},
		{"bad stage", func(m map[string]any) { m["stage"] = "essay" }, "stage:"},
		{"title without kk", func(m map[string]any) { delete(m["title"].(map[string]any), "kk") }, "title: write it in kk, ru and en"},
		{"no source", func(m map[string]any) { m["source"] = " " }, "source:"},
		{"time limit a number", func(m map[string]any) { m["time_limit"] = 55 }, "a duration is a string"},
		{"time limit not a duration", func(m map[string]any) { m["time_limit"] = "55 minutes" }, "is not a duration"},
		{"time limit zero", func(m map[string]any) { m["time_limit"] = "0s" }, "time_limit:"},
		{"time limit too long", func(m map[string]any) { m["time_limit"] = "24h" }, "time_limit:"},
		{"no sections", func(m map[string]any) { m["sections"] = []any{} }, "sections: the program has no sections"},
		{"null sections", func(m map[string]any) { m["sections"] = nil }, "sections: the program has no sections"},
		{"zero count", func(m map[string]any) { section(m, 2)["count"] = 0 }, "sections[2] (anti-corruption).count"},
		{"negative count", func(m map[string]any) { section(m, 2)["count"] = -1 }, "sections[2] (anti-corruption).count"},
		{"fractional count", func(m map[string]any) { section(m, 2)["count"] = 1.5 }, "not a program"},
		{"duplicate section", func(m map[string]any) { section(m, 1)["id"] = "constitution" }, "sections[1] (constitution).id: a second section"},
		{"empty category", func(m map[string]any) { section(m, 3)["category"] = "" }, "sections[3] (ethics).category"},
		{"section title", func(m map[string]any) { delete(section(m, 3), "title") }, "sections[3] (ethics).title"},
		{"bad scoring", func(m map[string]any) { m["scoring"] = "sum" }, "scoring:"},
		{"legislation without pass", func(m map[string]any) { delete(m, "pass") }, "pass: the scoring \"legislation\""},
		{"unreachable total", func(m map[string]any) { m["pass"].(map[string]any)["min_total_correct"] = 56 }, "pass.min_total_correct: 56 cannot be reached"},
		{"unreachable per act", func(m map[string]any) { m["pass"].(map[string]any)["min_section_correct"] = 11 }, "pass.min_section_correct: 11 cannot be reached in sections[3] (ethics)"},
		{"pass everyone", func(m map[string]any) {
			m["pass"] = map[string]any{"min_total_correct": 0, "min_section_correct": 0}
		}, "passes everyone"},
		{"textual numerical with acts", func(m map[string]any) { m["scoring"] = "textual_numerical" }, `needs exactly two sections, with the ids "textual" and "numerical"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := legislationJSON(t)
			c.change(m)
			raw, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseProgram(raw)
			if !errors.Is(err, ErrProgram) {
				t.Fatalf("error %v does not wrap ErrProgram", err)
			}
			mustContain(t, err, c.want)
		})
	}
}

func TestParseProgramRefusesTrailingDataAndNonObjects(t *testing.T) {
	raw, err := os.ReadFile("programs/legislation.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProgram(raw); err != nil {
		t.Fatalf("the shipped file: %v", err)
	}
	for name, in := range map[string]string{
		"two programs": string(raw) + string(raw),
		"trailing":     string(raw) + "x",
		"array":        "[]",
		"null":         "null",
		"empty":        "",
		"truncated":    string(raw[:len(raw)/2]),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseProgram([]byte(in)); !errors.Is(err, ErrProgram) {
				t.Errorf("accepted, or an error not wrapping ErrProgram: %v", err)
			}
		})
	}
}

func TestProgramJSONRoundTrip(t *testing.T) {
	for _, p := range Builtin() {
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "null") {
			t.Errorf("%s marshals a null: %s", p.ID, raw)
		}
		q, err := ParseProgram(raw)
		if err != nil {
			t.Fatalf("%s does not parse back: %v", p.ID, err)
		}
		raw2, _ := json.Marshal(q)
		if string(raw) != string(raw2) {
			t.Errorf("%s changes in a round trip:\n%s\n%s", p.ID, raw, raw2)
		}
	}
}
