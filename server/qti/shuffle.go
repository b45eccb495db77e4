package qti

import (
	"hash/fnv"
	"math/rand/v2"
)

// Presentation is the order in which a candidate is shown the choices of
// the item, for a seed: one list of choice identifiers, or two for a match
// (sources, targets). When the interaction has shuffle="true" the choices
// that are not fixed="true" are permuted among the places not held by a
// fixed choice; otherwise the order is the document's. The same seed gives
// the same order on every machine and Go version (PCG-DXSM and our own
// Fisher–Yates, not math/rand's unspecified helpers), so the seed in the
// log reproduces what the candidate saw for an appeal.
func (it *Item) Presentation(seed uint64) [][]string {
	in := it.Interaction()
	if in == nil {
		return [][]string{}
	}
	h := fnv.New64a()
	h.Write([]byte(it.Identifier))
	rng := rand.NewPCG(seed, h.Sum64())
	out := [][]string{}
	sets := [][]Choice{in.Choices}
	if in.Kind == MatchInteraction {
		sets = append(sets, in.Targets)
	}
	if len(in.Choices) == 0 {
		return out
	}
	for _, set := range sets {
		ids := make([]string, len(set))
		var free []int
		for i, c := range set {
			ids[i] = c.Identifier
			if !c.Fixed {
				free = append(free, i)
			}
		}
		if in.Shuffle {
			for i := len(free) - 1; i > 0; i-- {
				j := int(uniform(rng, uint64(i+1)))
				ids[free[i]], ids[free[j]] = ids[free[j]], ids[free[i]]
			}
		}
		out = append(out, ids)
	}
	return out
}

// uniform is a uniform integer in [0, n) by rejection, so there is no bias
// and nothing depends on library internals.
func uniform(r *rand.PCG, n uint64) uint64 {
	limit := ^uint64(0) - (^uint64(0) % n)
	for {
		v := r.Uint64()
		if v < limit {
			return v % n
		}
	}
}
