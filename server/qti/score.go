package qti

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/server/score"
)

// Response is a candidate's response to an item's interaction: the chosen
// identifiers (choice: any order; order: in the candidate's order), the
// pairs "source target" of a match, or the one typed text. Nil or empty is
// no response (QTI's NULL), which scores 0 under both templates.
type Response []string

// ErrNotScored is returned by Score for an item without responseProcessing:
// an essay, graded by the commission (p.115).
var ErrNotScored = errors.New("the item is graded by people, not scored automatically (p.115)")

// Score is what the item's template gives the response: match_correct
// gives 1 when the response matches the correct response and 0 otherwise;
// map_response gives the sum of the mapped values of the distinct values
// of the response (the default value for a value with no entry), held
// within the lower and upper bounds, and 0 for no response. A response that
// could not have been given (an unknown choice, two values for a single
// response, more than maxChoices) is an error, never a score.
func (it *Item) Score(r Response) (score.Decimal, error) {
	in := it.Interaction()
	if in == nil {
		return score.Decimal{}, errors.New("the item has no interaction")
	}
	if it.Template == "" {
		return score.Decimal{}, ErrNotScored
	}
	vals, err := it.normResponse(in, r)
	if err != nil {
		return score.Decimal{}, fmt.Errorf("item %s: %w", it.Identifier, err)
	}
	if len(vals) == 0 {
		return score.Int(0), nil
	}
	rd := &it.Response
	switch it.Template {
	case MatchCorrect:
		if matches(rd, vals) {
			return score.Int(1), nil
		}
		return score.Int(0), nil
	case MapResponse:
		return mapResponse(rd, vals)
	}
	return score.Decimal{}, fmt.Errorf("item %s: unknown template %q", it.Identifier, it.Template)
}

// normResponse checks r against the interaction and returns its values as
// the declarations compare them; an empty string is no response.
func (it *Item) normResponse(in *Interaction, r Response) ([]string, error) {
	rd := &it.Response
	var vals []string
	for _, v := range r {
		v = normValue(rd.BaseType, v)
		if rd.BaseType == Float && strings.Count(v, ",") == 1 && !strings.Contains(v, ".") {
			// Kazakh and Russian write a decimal comma: 0,5 is 0.5.
			v = strings.Replace(v, ",", ".", 1)
		}
		if v == "" {
			continue
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return nil, nil
	}
	if rd.Cardinality == Single && len(vals) > 1 {
		return nil, fmt.Errorf("%d values for a single response", len(vals))
	}
	if in.MaxChoices > 0 && len(vals) > in.MaxChoices && in.Kind != OrderInteraction {
		return nil, fmt.Errorf("%d values, more than the %d the interaction allows", len(vals), in.MaxChoices)
	}
	seen := map[string]bool{}
	uses := map[string]int{}
	for _, v := range vals {
		switch rd.BaseType {
		case Identifier:
			if !hasChoice(in.Choices, v) {
				return nil, fmt.Errorf("%q is not a choice of the item", v)
			}
		case DirectedPair:
			src, dst, ok := strings.Cut(v, " ")
			if !ok || !hasChoice(in.Choices, src) || !hasChoice(in.Targets, dst) {
				return nil, fmt.Errorf("%q is not a pair of a source and a target choice of the item", v)
			}
			if !seen[v] {
				uses["s "+src]++
				uses["t "+dst]++
			}
		}
		if rd.BaseType != String && seen[v] && rd.Cardinality == Ordered {
			return nil, fmt.Errorf("%q is given twice in an ordering", v)
		}
		seen[v] = true
	}
	// matchMax: how many associations each choice may take part in (0: any).
	overused := func(prefix string, cs []Choice) error {
		for _, c := range cs {
			if n := uses[prefix+c.Identifier]; c.MatchMax > 0 && n > c.MatchMax {
				return fmt.Errorf("%q is matched %d times, more than its matchMax %d", c.Identifier, n, c.MatchMax)
			}
		}
		return nil
	}
	if err := overused("s ", in.Choices); err != nil {
		return nil, err
	}
	if err := overused("t ", in.Targets); err != nil {
		return nil, err
	}
	return vals, nil
}

// equalValues compares two values of a base type: numbers by value,
// strings and identifiers exactly.
func equalValues(base, a, b string) bool {
	switch base {
	case Integer:
		x, err1 := strconv.ParseInt(a, 10, 64)
		y, err2 := strconv.ParseInt(b, 10, 64)
		return err1 == nil && err2 == nil && x == y
	case Float:
		x, err1 := score.Parse(a)
		y, err2 := score.Parse(b)
		return err1 == nil && err2 == nil && x.Equal(y)
	}
	return a == b
}

func distinct(base string, vals []string) []string {
	var out []string
	for _, v := range vals {
		if !slices.ContainsFunc(out, func(o string) bool { return equalValues(base, o, v) }) {
			out = append(out, v)
		}
	}
	return out
}

// matches is QTI's match operator between the response and the correct
// response: single and ordered compare in order, multiple as sets.
func matches(rd *ResponseDeclaration, vals []string) bool {
	want := rd.Correct
	switch rd.Cardinality {
	case Multiple:
		a, b := distinct(rd.BaseType, vals), distinct(rd.BaseType, want)
		if len(a) != len(b) {
			return false
		}
		for _, v := range a {
			if !slices.ContainsFunc(b, func(w string) bool { return equalValues(rd.BaseType, v, w) }) {
				return false
			}
		}
		return true
	default:
		if len(vals) != len(want) {
			return false
		}
		for i := range vals {
			if !equalValues(rd.BaseType, vals[i], want[i]) {
				return false
			}
		}
		return true
	}
}

// mapResponse is QTI's mapResponse: each distinct value counted once.
func mapResponse(rd *ResponseDeclaration, vals []string) (score.Decimal, error) {
	m := rd.Mapping
	sum := score.Int(0)
	for _, v := range distinct(rd.BaseType, vals) {
		val := m.Default
		for _, e := range m.Entries {
			if keyMatches(rd.BaseType, e, v) {
				val = e.Value
				break
			}
		}
		var err error
		if sum, err = sum.Add(val); err != nil {
			return score.Decimal{}, fmt.Errorf("map_response: %w", err)
		}
	}
	if m.Lower != nil && sum.Cmp(*m.Lower) < 0 {
		sum = *m.Lower
	}
	if m.Upper != nil && sum.Cmp(*m.Upper) > 0 {
		sum = *m.Upper
	}
	return sum, nil
}

func keyMatches(base string, e MapEntry, v string) bool {
	if base == String && !e.CaseSensitive {
		return strings.EqualFold(e.Key, v)
	}
	return equalValues(base, e.Key, v)
}
