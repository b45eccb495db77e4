package exam

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/qti"
)

func TestDrawIsReproducibleFromTheSeed(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	bank := legislationBank(t)
	v1, err := Draw(p, bank, 20260310)
	if err != nil {
		t.Fatal(err)
	}
	// Another order of the same bank, as another load from the store may give.
	shuffled := slices.Clone(bank)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	v2, err := Draw(p, shuffled, 20260310)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v1, v2) {
		t.Fatalf("the same seed and bank gave two variants:\n%+v\n%+v", v1, v2)
	}
	if len(v1.Questions) != 55 || v1.Program != p.ID || v1.Seed != 20260310 {
		t.Fatalf("variant %s seed %d with %d questions", v1.Program, v1.Seed, len(v1.Questions))
	}
	// What the appeal shows: each question's version and choice order come
	// back from the bank and the recorded seeds.
	byID := map[string]*qti.Item{}
	for i := range bank {
		byID[bank[i].Identifier] = &bank[i]
	}
	for i, q := range v1.Questions {
		it := byID[q.Item]
		if ver, _ := it.Version(); ver != q.Version {
			t.Errorf("question %d: version %s, the item's is %s", i, q.Version, ver)
		}
		if got := it.Presentation(q.PresentationSeed); !reflect.DeepEqual(got, q.Choices) {
			t.Errorf("question %d: choices %v, Presentation gives %v", i, q.Choices, got)
		}
		if !slices.Contains(it.Categories, mustSection(t, p, q.Section).Category) {
			t.Errorf("question %d: item %s (%v) drawn for section %s", i, q.Item, it.Categories, q.Section)
		}
	}
	// Sections in the program's order, with their counts.
	var order []string
	for _, q := range v1.Questions {
		if len(order) == 0 || order[len(order)-1] != q.Section {
			order = append(order, q.Section)
		}
	}
	if want := []string{"constitution", "civil-service", "anti-corruption", "ethics"}; !slices.Equal(order, want) {
		t.Errorf("sections in the order %v, want %v", order, want)
	}
	// The recorded variant survives JSON (the seed as a string).
	raw, err := json.Marshal(v1)
	if err != nil {
		t.Fatal(err)
	}
	var back Variant
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, v1) {
		t.Error("the variant changes in a JSON round trip")
	}
	if !strings.Contains(string(raw), `"seed":"20260310"`) {
		t.Errorf("the seed is not a JSON string: %.80s", raw)
	}
}

func mustSection(t *testing.T, p Program, id string) Section {
	t.Helper()
	s, ok := p.Section(id)
	if !ok {
		t.Fatalf("no section %s", id)
	}
	return s
}

func items(v Variant) []string {
	out := make([]string, 0, len(v.Questions))
	for _, q := range v.Questions {
		out = append(out, q.Item)
	}
	return out
}

func TestDrawDifferentSeedsDiffer(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	bank := legislationBank(t)
	seen := map[string]uint64{}
	orders := map[string]bool{}
	for seed := range uint64(20) {
		v, err := Draw(p, bank, seed)
		if err != nil {
			t.Fatal(err)
		}
		key := strings.Join(items(v), ",")
		if prev, ok := seen[key]; ok {
			t.Errorf("seeds %d and %d drew the same questions", prev, seed)
		}
		seen[key] = seed
		orders[fmt.Sprint(v.Questions[0].Choices)] = true
	}
	if len(orders) < 2 {
		t.Error("the first question's choices are in the same order for 20 seeds")
	}
}

func TestDrawRefusesShortSection(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	bank := makeBank(t, map[string]int{"constitution": 15, "civil-service": 15, "anti-corruption": 15, "ethics-code": 9})
	_, err := Draw(p, bank, 1)
	if !errors.Is(err, ErrDraw) {
		t.Fatalf("error %v does not wrap ErrDraw", err)
	}
	mustContain(t, err, "section ethics", `category "ethics-code"`, "needs 10", "has 9 available")

	// Items that cannot be scored right or wrong are not drawn, and the
	// message says why the bank fell short.
	bank = append(bank, parse(t, mapXML("ethics-map", "ethics-code", false)))
	_, err = Draw(p, bank, 1)
	mustContain(t, err, "has 9 available", "1 more with the category cannot be scored right or wrong")

	// Exactly enough is enough.
	bank = append(bank, parse(t, mapXML("ethics-map-ok", "ethics-code", true)))
	if _, err := Draw(p, bank, 1); err != nil {
		t.Fatalf("10 usable items for 10 questions: %v", err)
	}
}

func TestDrawRefusesADuplicateIdentifier(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	bank := legislationBank(t)
	bank = append(bank, bank[0])
	_, err := Draw(p, bank, 1)
	mustContain(t, err, "two items of the bank have the identifier")
}

func TestDrawNeverRepeatsAnItem(t *testing.T) {
	// 12 items are both constitution and civil-service; 8 more are
	// civil-service only: 20 distinct items for 10 + 10 questions, so every
	// draw must use all of them, none twice.
	both := withCategories(t, makeBank(t, map[string]int{"both": 12}), "constitution", "civil-service")
	civil := makeBank(t, map[string]int{"civil-service": 8})
	bank := append(both, civil...)
	p := testProgram(t, ScoreLegislation, sec{"constitution", 10}, sec{"civil-service", 10})
	for seed := range uint64(50) {
		v, err := Draw(p, bank, seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		ids := items(v)
		slices.Sort(ids)
		if len(slices.Compact(ids)) != 20 {
			t.Fatalf("seed %d repeats an item: %v", seed, items(v))
		}
	}
	// One fewer and the second section is short, saying why.
	_, err := Draw(p, bank[:19], 3)
	mustContain(t, err, "section civil-service", "needs 10", "drawn for an earlier section")

	// The whole legislation test over many seeds.
	leg := mustProgram(t, LegislationProgram)
	lb := legislationBank(t)
	for seed := range uint64(30) {
		v, err := Draw(leg, lb, seed*7919)
		if err != nil {
			t.Fatal(err)
		}
		ids := items(v)
		slices.Sort(ids)
		if len(slices.Compact(ids)) != 55 {
			t.Fatalf("seed %d repeats an item", seed)
		}
	}
}

// Every item of a section is equally likely: 4000 draws of 1 of 4 items
// give each about 1000 times (the bound is loose: 5 standard deviations).
func TestDrawIsUniform(t *testing.T) {
	p := testProgram(t, ScoreLegislation, sec{"constitution", 1})
	bank := makeBank(t, map[string]int{"constitution": 4})
	count := map[string]int{}
	for seed := range uint64(4000) {
		v, err := Draw(p, bank, seed)
		if err != nil {
			t.Fatal(err)
		}
		count[v.Questions[0].Item]++
	}
	for id, n := range count {
		if n < 860 || n > 1140 {
			t.Errorf("%s drawn %d times of 4000, want about 1000", id, n)
		}
	}
	if len(count) != 4 {
		t.Errorf("only %d of 4 items ever drawn", len(count))
	}
}

// sec is a section of testProgram: its id (= category) and count.
type sec struct {
	id string
	n  int
}

// testProgram is a program with the sections in the order given.
func testProgram(t testing.TB, scoring Scoring, sections ...sec) Program {
	t.Helper()
	text := Text{KK: "test", RU: "test", EN: "test"}
	p := Program{ID: "test", Stage: StageLegislation, Title: text, Source: "test", TimeLimit: Duration(time.Minute), Scoring: scoring, Sections: []Section{}}
	for _, s := range sections {
		p.Sections = append(p.Sections, Section{ID: s.id, Title: text, Category: s.id, Count: s.n})
	}
	if scoring == ScoreLegislation {
		p.Pass = &PassRule{MinTotalCorrect: 1}
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewSeed(t *testing.T) {
	a, err1 := NewSeed()
	b, err2 := NewSeed()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if a == b {
		t.Errorf("two seeds from crypto/rand are both %d", a)
	}
}

func BenchmarkDraw55From1000(b *testing.B) {
	p := mustProgram(b, LegislationProgram)
	bank := makeBank(b, map[string]int{"constitution": 250, "civil-service": 250, "anti-corruption": 250, "ethics-code": 250})
	for i := 0; b.Loop(); i++ {
		if _, err := Draw(p, bank, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}
