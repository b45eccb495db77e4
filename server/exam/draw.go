package exam

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"slices"
	"strings"

	"kuzet.kz/kuzet/server/qti"
	"kuzet.kz/kuzet/server/score"
)

// ErrDraw wraps every refusal to draw a variant.
var ErrDraw = errors.New("draw")

// Variant is what one candidate is asked: the questions in the order shown.
// It is everything an appeal needs, with the bank, to show again what the
// candidate saw: the item versions pin the exact content, the choice
// orders are recorded (and reproducible from PresentationSeed).
type Variant struct {
	// Program is the program's id.
	Program string `json:"program"`
	// Seed is the seed the variant was drawn from (a string in JSON: a
	// uint64 does not survive a JavaScript number).
	Seed uint64 `json:"seed,string"`
	// Questions are in the order shown: section by section, in the
	// program's order, and within a section in the order drawn.
	Questions []Question `json:"questions"`
}

// Question is one question of a variant.
type Question struct {
	// Section is the program section's id.
	Section string `json:"section"`
	// Item is the item's identifier.
	Item string `json:"item"`
	// Version is the item's content version (qti.Item.Version).
	Version string `json:"version"`
	// PresentationSeed is the seed given to qti.Item.Presentation.
	PresentationSeed uint64 `json:"presentation_seed,string"`
	// Choices is the order the choices are shown in (one list, or sources
	// and targets for a match); [] for an interaction without choices.
	Choices [][]string `json:"choices"`
}

// NewSeed draws a seed from crypto/rand, so a candidate cannot predict the
// variant. Record it: with the bank it reproduces the variant.
func NewSeed() (uint64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("draw a seed: %w", err)
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// Draw draws a variant of the program from the bank. For each section, in
// the program's order, it chooses Count distinct items among the eligible
// ones, uniformly: every subset of Count items is equally likely. An item is
// eligible for a section when its Categories contain the section's
// category, it is scored automatically and it has a correct response that
// earns a positive score (see FullMarks); and it was not already drawn for
// an earlier section: an item with two categories is asked at most once.
//
// The draw is deterministic: the same program, bank and seed give the same
// variant on every machine (PCG-DXSM seeded from the seed and the program
// id, an unbiased bounded draw by rejection, and a partial Fisher–Yates
// over the eligible items sorted by identifier, so the order of the bank
// does not matter). Each question's choice order is the item's
// Presentation for a seed derived from the seed and the item identifier.
//
// A section with too few eligible items is an error naming the section,
// the category, how many are needed and how many are available.
func Draw(p Program, bank []qti.Item, seed uint64) (Variant, error) {
	if err := p.Validate(); err != nil {
		return Variant{}, err
	}
	byID := make(map[string]*qti.Item, len(bank))
	for i := range bank {
		it := &bank[i]
		if it.Identifier == "" {
			return Variant{}, fmt.Errorf("%w: bank item %d has no identifier: every item needs one", ErrDraw, i)
		}
		if byID[it.Identifier] != nil {
			return Variant{}, fmt.Errorf("%w: two items of the bank have the identifier %q: give each item its own identifier", ErrDraw, it.Identifier)
		}
		byID[it.Identifier] = it
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	h := fnv.New64a()
	h.Write([]byte("kuzet-exam-draw-v1\x00" + p.ID))
	rng := mrand.NewPCG(seed, h.Sum64())

	drawn := map[string]bool{}
	v := Variant{Program: p.ID, Seed: seed, Questions: make([]Question, 0, p.Questions())}
	for _, s := range p.Sections {
		var pool []string
		unusable, taken := 0, 0
		for _, id := range ids {
			it := byID[id]
			if !slices.Contains(it.Categories, s.Category) {
				continue
			}
			if drawn[id] {
				taken++
				continue
			}
			if _, err := FullMarks(it); err != nil {
				unusable++
				continue
			}
			pool = append(pool, id)
		}
		if len(pool) < s.Count {
			var also []string
			if taken > 0 {
				also = append(also, fmt.Sprintf("%d more with the category were drawn for an earlier section", taken))
			}
			if unusable > 0 {
				also = append(also, fmt.Sprintf("%d more with the category cannot be scored right or wrong (no correct response with a positive score, or graded by people)", unusable))
			}
			extra := ""
			if len(also) > 0 {
				extra = " (" + strings.Join(also, "; ") + ")"
			}
			return Variant{}, fmt.Errorf("%w: section %s needs %d items of the category %q, the bank has %d available%s: add items with that category to the bank or lower the section's count",
				ErrDraw, s.ID, s.Count, s.Category, len(pool), extra)
		}
		for i := range s.Count {
			j := i + int(uniform(rng, uint64(len(pool)-i)))
			pool[i], pool[j] = pool[j], pool[i]
			id := pool[i]
			drawn[id] = true
			it := byID[id]
			ver, err := it.Version()
			if err != nil {
				return Variant{}, fmt.Errorf("%w: version of item %s: %v", ErrDraw, id, err)
			}
			ps := presentationSeed(seed, id)
			v.Questions = append(v.Questions, Question{
				Section:          s.ID,
				Item:             id,
				Version:          ver,
				PresentationSeed: ps,
				Choices:          it.Presentation(ps),
			})
		}
	}
	return v, nil
}

// presentationSeed derives an item's presentation seed from the variant's
// seed and the item identifier, so it does not depend on where the item
// falls in the variant.
func presentationSeed(seed uint64, item string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write([]byte("kuzet-exam-presentation-v1\x00"))
	h.Write(b[:])
	h.Write([]byte(item))
	return binary.LittleEndian.Uint64(h.Sum(nil)[:8])
}

// uniform is a uniform integer in [0, n), n > 0, by rejection: no modulo
// bias, nothing depending on the library's unspecified helpers.
func uniform(r *mrand.PCG, n uint64) uint64 {
	limit := ^uint64(0) - (^uint64(0) % n)
	for {
		if v := r.Uint64(); v < limit {
			return v % n
		}
	}
}

// FullMarks is the score that counts an item's answer as correct: what the
// item's own correct response (its QTI correctResponse) scores. For
// match_correct that is 1; for map_response it is the sum of the mapped
// values of the correct response, within the mapping's bounds. An item
// without automatic scoring (an essay), without a correct response, or
// whose correct response scores 0 or less cannot be told right from wrong
// and is refused with an error saying what to add.
func FullMarks(it *qti.Item) (score.Decimal, error) {
	if it.Template == "" {
		return score.Decimal{}, fmt.Errorf("item %s: %w; a test program can only ask automatically scored items", it.Identifier, qti.ErrNotScored)
	}
	if len(it.Response.Correct) == 0 {
		return score.Decimal{}, fmt.Errorf("item %s has no correctResponse, so a correct answer is not defined: add the correctResponse to the item", it.Identifier)
	}
	full, err := it.Score(qti.Response(it.Response.Correct))
	if err != nil {
		return score.Decimal{}, fmt.Errorf("item %s: its correct response cannot be scored: %w", it.Identifier, err)
	}
	if full.Sign() <= 0 {
		return score.Decimal{}, fmt.Errorf("item %s: its correct response scores %s, so a correct answer cannot be told from a wrong one: give the correct values a positive mappedValue", it.Identifier, full)
	}
	return full, nil
}

// IsCorrect reports whether the response to the item is correct: it scores
// at least FullMarks (a map_response answer held at the upper bound counts
// when the correct response is held there too). No response is wrong. A
// response the item could not have been given is an error, never a mark.
func IsCorrect(it *qti.Item, r qti.Response) (bool, error) {
	full, err := FullMarks(it)
	if err != nil {
		return false, err
	}
	got, err := it.Score(r)
	if err != nil {
		return false, err
	}
	return got.Cmp(full) >= 0, nil
}
