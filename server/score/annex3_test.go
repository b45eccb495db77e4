package score

import (
	"strings"
	"testing"
)

// Annex 3: personal qualities T = 0.02 × S, S in percent, so 0–2 points.
func TestAnnex3_PersonalQualities(t *testing.T) {
	for _, c := range []struct{ s, want string }{
		{"0", "0"},   // lower boundary
		{"100", "2"}, // upper boundary: the most the stage gives
		{"50", "1"},  // middle
		{"87", "1.74"},
		{"87.5", "1.75"},   // a fractional percentage
		{"0.01", "0.0002"}, // the smallest step with two decimals
		{"99.99", "1.9998"},
		{"33.33", "0.6666"},
	} {
		got, err := PersonalQualities(MustParse(c.s))
		if err != nil {
			t.Errorf("S = %s: %v", c.s, err)
			continue
		}
		if got.String() != c.want {
			t.Errorf("S = %s: T = %s, want %s", c.s, got, c.want)
		}
	}
	for _, bad := range []string{"-0.01", "100.01", "101", "-1"} {
		_, err := PersonalQualities(MustParse(bad))
		if err == nil || !strings.Contains(err.Error(), "Annex 3") || !strings.Contains(err.Error(), "0 to 100") {
			t.Errorf("S = %s: %v, want a refusal citing Annex 3 and the 0..100 range", bad, err)
		}
	}
}

// Annex 3: textual and numerical T = 0.1 × S1 + 0.1 × S2.
func TestAnnex3_TextualNumerical(t *testing.T) {
	for _, c := range []struct {
		s1, s2     int
		t1, t2, tt string
	}{
		{0, 0, "0", "0", "0"},
		{1, 0, "0.1", "0", "0.1"},
		{0, 1, "0", "0.1", "0.1"},
		{1, 2, "0.1", "0.2", "0.3"}, // 0.1 + 0.2 is 0.30000000000000004 in float64
		{3, 3, "0.3", "0.3", "0.6"}, // 0.6000000000000001 in float64
		{7, 0, "0.7", "0", "0.7"},   // 0.1 × 7 is 0.7000000000000001 in float64
		{25, 25, "2.5", "2.5", "5"},
		{100, 99, "10", "9.9", "19.9"},
	} {
		got, err := TextualNumericalScore(c.s1, c.s2)
		if err != nil {
			t.Errorf("S1 = %d, S2 = %d: %v", c.s1, c.s2, err)
			continue
		}
		if got.T1.String() != c.t1 || got.T2.String() != c.t2 || got.T.String() != c.tt {
			t.Errorf("S1 = %d, S2 = %d: T1 = %s, T2 = %s, T = %s; want %s, %s, %s", c.s1, c.s2, got.T1, got.T2, got.T, c.t1, c.t2, c.tt)
		}
	}
	for _, bad := range [][2]int{{-1, 0}, {0, -1}} {
		_, err := TextualNumericalScore(bad[0], bad[1])
		if err == nil || !strings.Contains(err.Error(), "Annex 3") {
			t.Errorf("S1 = %d, S2 = %d: %v, want a refusal citing Annex 3", bad[0], bad[1], err)
		}
	}
}
