package ruleset_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/ruleset"
)

func on(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d.Add(12 * time.Hour)
}

func load(t *testing.T, dir string) *ruleset.Registry {
	t.Helper()
	r, err := ruleset.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Annex 4 as shipped: five periods listing 6, 22, 22, 24 and 26 bodies.
func TestP1_Annex4HasItsFivePeriods(t *testing.T) {
	r := load(t, "")
	set, ok := r.Set("temporary-2024")
	if !ok {
		t.Fatal("the temporary rules are not shipped")
	}
	if set.ValidFrom.Format("2006-01-02") != "2024-01-01" || set.ValidTo.Format("2006-01-02") != "2025-12-31" || set.Demo {
		t.Fatalf("validity %s – %s demo=%v", set.ValidFrom, set.ValidTo, set.Demo)
	}
	want := []struct {
		from, to string
		n        int
	}{{"2024-02-01", "2024-12-31", 6}, {"2024-02-01", "2025-12-31", 22}, {"2024-07-01", "2025-12-31", 22}, {"2025-01-01", "2025-12-31", 24}, {"2025-07-01", "2025-12-31", 26}}
	if len(set.Periods) != len(want) {
		t.Fatalf("%d periods", len(set.Periods))
	}
	for i, w := range want {
		p := set.Periods[i]
		if p.From.Format("2006-01-02") != w.from || p.To.Format("2006-01-02") != w.to || len(p.Bodies) != w.n {
			t.Errorf("period %d: %s – %s with %d bodies, want %s – %s with %d", i+1, p.From.Format("2006-01-02"), p.To.Format("2006-01-02"), len(p.Bodies), w.from, w.to, w.n)
		}
	}
	for _, b := range r.Bodies() {
		if b.Name.KK == "" || b.Name.RU == "" || b.Name.EN == "" || strings.Contains(b.Name.KK+b.Name.RU+b.Name.EN, "{") {
			t.Errorf("body %s: name %+v", b.ID, b.Name)
		}
	}
}

func TestP1_BodyMustBeListedForThePeriodContainingTheDate(t *testing.T) {
	r := load(t, "")
	for _, tc := range []struct {
		body, date string
		ok         bool
	}{
		{"min-digital", "2025-03-01", true},
		{"min-digital", "2024-12-31", false}, // listed from 2025-01-01
		{"akmola.executive", "2024-02-01", true},
		{"akmola.audit", "2024-03-01", true}, // period 2 lists all three of Akmola
		{"min-finance", "2025-06-30", false}, // period 5 starts 2025-07-01
		{"min-finance", "2025-07-01", true},
		{"acsa", "2024-01-15", false}, // the rules apply from 2024-01-01, the Agency from 2024-02-01
		{"turkistan.representative", "2025-12-31", true},
		{"min-justice", "2026-01-01", false}, // the temporary rules ended
	} {
		m, err := r.Find(tc.body, on(t, tc.date))
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s on %s: %v", tc.body, tc.date, err)
		case !tc.ok && !errors.Is(err, ruleset.ErrNotCovered):
			t.Errorf("%s on %s: %v, %+v; want ErrNotCovered", tc.body, tc.date, err, m)
		case tc.ok && m.Set.ID != "temporary-2024":
			t.Errorf("%s on %s: set %s", tc.body, tc.date, m.Set.ID)
		}
	}
}

func TestP1_RefusalSaysWhichRuleSetWasLookedForAndItsDates(t *testing.T) {
	r := load(t, "")
	_, err := r.Find("min-digital", on(t, "2026-12-06"))
	var nc *ruleset.NotCovered
	if !errors.As(err, &nc) {
		t.Fatalf("%v", err)
	}
	for _, want := range []string{"p.1", "Ministry of Digital Development", "2026-12-06", "temporary-2024", "valid 2024-01-01 – 2025-12-31", "lists this body 2025-01-01 – 2025-12-31", "DATA/rulesets"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %s", want, err)
		}
	}
	if _, err := r.Find("ministry-of-magic", on(t, "2025-03-01")); !errors.Is(err, ruleset.ErrUnknownBody) {
		t.Fatalf("unknown body: %v", err)
	}
}

func TestP1_OperatorAddsTheNextRuleSetWithoutACodeChange(t *testing.T) {
	dir := t.TempDir()
	next := `{"id": "prolongation-2026", "title": {"kk": "Ұзарту", "ru": "Продление", "en": "Prolongation"},
		"act": "test prolongation order", "valid_from": "2026-01-01", "valid_to": "2026-12-31",
		"periods": [{"from": "2026-01-01", "to": "2026-12-31", "bodies": ["min-justice", "astana.*"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "prolongation-2026.json"), []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	r := load(t, dir)
	m, err := r.Find("astana.audit", on(t, "2026-12-06"))
	if err != nil || m.Set.ID != "prolongation-2026" {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := r.Find("min-digital", on(t, "2026-12-06")); !errors.Is(err, ruleset.ErrNotCovered) {
		t.Fatalf("min-digital is not in the prolongation: %v", err)
	}
	// The demo set, written as a file, covers every body and says it is a demo.
	raw, err := r.DemoSet(2026)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo-2026.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r = load(t, dir)
	if m, err := r.Find("min-digital", on(t, "2026-12-06")); err != nil || !m.Set.Demo || !strings.Contains(m.Set.Title.EN, "not a legal act") {
		t.Fatalf("demo: %+v %v", m, err)
	}
	// A real set is preferred to the demo one where both list the body.
	if m, _ := r.Find("min-justice", on(t, "2026-12-06")); m.Set.ID != "prolongation-2026" {
		t.Fatalf("min-justice under %s", m.Set.ID)
	}
}

func TestBadRuleSetFilesAreRefusedWithTheFileAndTheField(t *testing.T) {
	for name, tc := range map[string]struct{ file, body, want string }{
		"dates reversed":  {"x.json", `{"id": "x", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "a", "valid_from": "2026-12-31", "valid_to": "2026-01-01", "periods": []}`, "valid_from"},
		"period outside":  {"x.json", `{"id": "x", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "a", "valid_from": "2026-01-01", "valid_to": "2026-06-30", "periods": [{"from": "2026-01-01", "to": "2026-12-31", "bodies": ["acsa"]}]}`, "outside the set's validity"},
		"unknown body":    {"x.json", `{"id": "x", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "a", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "periods": [{"from": "2026-01-01", "to": "2026-12-31", "bodies": ["nope"]}]}`, `"nope" is not in the register`},
		"no act":          {"x.json", `{"id": "x", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "periods": []}`, "act"},
		"unknown field":   {"x.json", `{"id": "x", "valid": true}`, "unknown field"},
		"body name":       {"bodies.json", `{"central": [{"id": "new-body", "name": {"kk": "", "ru": "a", "en": "a"}}]}`, "kk, ru and en"},
		"unknown region":  {"x.json", `{"id": "x", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "a", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "periods": [{"from": "2026-01-01", "to": "2026-12-31", "bodies": ["atlantis.*"]}]}`, "no region"},
		"empty period":    {"x.json", `{"id": "x", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "a", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "periods": [{"from": "2026-01-01", "to": "2026-12-31", "bodies": []}]}`, "lists no bodies"},
		"no periods":      {"x.json", `{"id": "x", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "a", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "periods": []}`, "no periods"},
		"bad id":          {"x.json", `{"id": "X Y", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "a", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "periods": []}`, "id"},
		"not json at all": {"x.json", `rules`, "x.json"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ruleset.Load(dir)
			if !errors.Is(err, ruleset.ErrData) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("got %v; want ErrData naming %s and %q", err, tc.file, tc.want)
			}
		})
	}
}

func TestOperatorAddsABody(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bodies.json"), []byte(`{"central": [{"id": "min-new", "name": {"kk": "Жаңа министрлік", "ru": "Новое министерство", "en": "New Ministry"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	set := `{"id": "x-2026", "title": {"kk": "a", "ru": "a", "en": "a"}, "act": "a", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "periods": [{"from": "2026-01-01", "to": "2026-12-31", "bodies": ["min-new"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "a-set.json"), []byte(set), 0o600); err != nil {
		t.Fatal(err)
	}
	r := load(t, dir)
	if _, err := r.Find("min-new", on(t, "2026-05-05")); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Body("acsa"); !ok {
		t.Fatal("the shipped register was lost")
	}
}
