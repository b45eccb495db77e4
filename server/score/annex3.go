package score

import "fmt"

// The coefficients of Annex 3 (scoring methodology) of the rules.
var (
	// personalQualitiesK is the 0.02 of "T = 0.02 × S".
	personalQualitiesK = New(2, 2)
	// partK is the 0.1 of "T1 = 0.1 × S1" and "T2 = 0.1 × S2".
	partK = New(1, 1)
	// hundred is the top of S, a percentage.
	hundred = Int(100)
)

// PersonalQualities is the score of the personal-qualities assessment,
// Annex 3: "T = 0.02 × S", where S is the reliability level of the answers
// in percent, so T runs from 0 (S = 0) to 2 (S = 100). S may have decimals
// (87.5 % gives 1.75). An S outside 0..100 is refused: it is not a
// percentage, and a score above 2 would be published otherwise.
func PersonalQualities(s Decimal) (Decimal, error) {
	if s.Sign() < 0 || s.Cmp(hundred) > 0 {
		return Decimal{}, fmt.Errorf("the reliability level S is a percentage from 0 to 100 (Annex 3), got %s", s)
	}
	t, err := personalQualitiesK.Mul(s)
	if err != nil {
		return Decimal{}, fmt.Errorf("0.02 × %s (Annex 3): %w", s, err)
	}
	return t, nil
}

// TextualNumerical is the score of the test of the ability to work with
// textual and numerical information, Annex 3: T = T1 + T2, T1 = 0.1 × S1
// (S1 = correct answers in the textual part), T2 = 0.1 × S2 (S2 = correct
// answers in the numerical part).
type TextualNumerical struct {
	// T1 is the textual part, 0.1 × S1.
	T1 Decimal `json:"t1"`
	// T2 is the numerical part, 0.1 × S2.
	T2 Decimal `json:"t2"`
	// T is T1 + T2, the stage's score.
	T Decimal `json:"t"`
}

// TextualNumericalScore computes Annex 3's T = 0.1 × S1 + 0.1 × S2 from the
// counts of correct answers. The number of questions of each part is not in
// the rules (it is the test program's, configurable), so only negative
// counts are refused here; the program checks its own maximum.
func TextualNumericalScore(s1, s2 int) (TextualNumerical, error) {
	if s1 < 0 || s2 < 0 {
		return TextualNumerical{}, fmt.Errorf("S1 and S2 count correct answers and cannot be negative (Annex 3), got S1 = %d, S2 = %d", s1, s2)
	}
	t1, err1 := partK.Mul(Int(int64(s1)))
	t2, err2 := partK.Mul(Int(int64(s2)))
	if err1 != nil || err2 != nil {
		return TextualNumerical{}, fmt.Errorf("0.1 × S1 + 0.1 × S2 with S1 = %d, S2 = %d (Annex 3): %w", s1, s2, ErrRange)
	}
	t, err := t1.Add(t2)
	if err != nil {
		return TextualNumerical{}, fmt.Errorf("T1 + T2 (Annex 3): %w", err)
	}
	return TextualNumerical{T1: t1, T2: t2, T: t}, nil
}
