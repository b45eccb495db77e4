package score

import "testing"

// FuzzParse: any text either is refused or reads as a Decimal whose String
// reads back as the same number, and arithmetic on it never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "-1.5", "87.5", ".5", "1e3", "9223372036854775807", "0.000000001", "1,5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(d.String())
		if err != nil || back != d {
			t.Fatalf("%q → %s → %v (%v)", s, d, back, err)
		}
		if sum, err := d.Add(d); err == nil {
			if diff, err := sum.Sub(d); err == nil && !diff.Equal(d) {
				t.Fatalf("(%s + %s) − %s = %s", d, d, d, diff)
			}
		}
		d.Mul(d)
		d.Cmp(Int(1))
		PersonalQualities(d)
	})
}
