package score

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseAndString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"1", "1"}, {"+2", "2"}, {"1.50", "1.5"}, {".5", "0.5"},
		{"3.", "3"}, {"-0.25", "-0.25"}, {"0.000000001", "0.000000001"},
		{"100.000", "100"}, {"9223372036854775807", "9223372036854775807"},
		{"-0.10", "-0.1"}, {"007.070", "7.07"},
	} {
		d, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := d.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseRefusesWithReason(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "not a number"}, {"-", "not a number"}, {".", "not a number"},
		{"1e-1", "exponents"}, {"1,5", "a point, not a comma"}, {"NaN", "not a number"},
		{"0.0000000001", "more than 9 digits"}, {"99999999999999999999", "out of range"},
		{"1.2.3", "not a number"}, {"--1", "not a number"},
	} {
		_, err := Parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestArithmeticIsExact(t *testing.T) {
	// The classic binary-float failure: 0.1 + 0.2 must be exactly 0.3.
	sum, err := MustParse("0.1").Add(MustParse("0.2"))
	if err != nil || !sum.Equal(MustParse("0.3")) || sum.String() != "0.3" {
		t.Fatalf("0.1 + 0.2 = %v (%v), want 0.3", sum, err)
	}
	// Ten times 0.1 added one by one is exactly 1.
	acc := Int(0)
	for range 10 {
		if acc, err = acc.Add(MustParse("0.1")); err != nil {
			t.Fatal(err)
		}
	}
	if acc != Int(1) {
		t.Fatalf("10 × 0.1 by addition = %v, want 1", acc)
	}
	p, err := MustParse("1.1").Mul(MustParse("1.1"))
	if err != nil || p.String() != "1.21" {
		t.Fatalf("1.1 × 1.1 = %v (%v), want 1.21", p, err)
	}
	d, err := MustParse("0.5").Sub(MustParse("0.75"))
	if err != nil || d.String() != "-0.25" {
		t.Fatalf("0.5 − 0.75 = %v (%v)", d, err)
	}
	if MustParse("1.5").Cmp(MustParse("1.50")) != 0 || MustParse("-1").Cmp(MustParse("0.001")) != -1 || MustParse("2").Cmp(MustParse("1.999999999")) != 1 {
		t.Fatal("Cmp is wrong")
	}
}

func TestOverflowIsAnError(t *testing.T) {
	big := Int(9223372036854775807)
	if _, err := big.Add(Int(1)); !errors.Is(err, ErrRange) {
		t.Fatalf("max + 1: %v, want ErrRange", err)
	}
	if _, err := big.Mul(Int(2)); !errors.Is(err, ErrRange) {
		t.Fatalf("max × 2: %v, want ErrRange", err)
	}
	// 10^-9 × 10^-9 has 18 decimals: more than MaxScale.
	tiny := MustParse("0.000000001")
	if _, err := tiny.Mul(tiny); !errors.Is(err, ErrRange) {
		t.Fatalf("1e-9 × 1e-9: %v, want ErrRange", err)
	}
	// Trailing zeros are dropped before the scale is checked: 0.000000002 × 500000000 = 1.
	one, err := MustParse("0.000000002").Mul(Int(500000000))
	if err != nil || one != Int(1) {
		t.Fatalf("2e-9 × 5e8 = %v (%v), want 1", one, err)
	}
}

func TestFixedString(t *testing.T) {
	for _, c := range []struct {
		in     string
		places int
		want   string
	}{{"1.5", 2, "1.50"}, {"2", 2, "2.00"}, {"0", 1, "0.0"}, {"1.74", 2, "1.74"}, {"3", 0, "3"}} {
		got, err := MustParse(c.in).FixedString(c.places)
		if err != nil || got != c.want {
			t.Errorf("%s.FixedString(%d) = %q, %v; want %q", c.in, c.places, got, err, c.want)
		}
	}
	if _, err := MustParse("1.755").FixedString(2); err == nil {
		t.Error("1.755 printed with 2 places: want an error, never a silent rounding")
	}
}

func TestJSONKeepsDigits(t *testing.T) {
	b, err := json.Marshal(map[string]Decimal{"t": MustParse("1.74")})
	if err != nil || string(b) != `{"t":1.74}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var v struct{ A, B Decimal }
	if err := json.Unmarshal([]byte(`{"A": 0.3, "B": "-12.125"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "0.3" || v.B.String() != "-12.125" {
		t.Fatalf("unmarshal: %v %v", v.A, v.B)
	}
	if err := json.Unmarshal([]byte(`{"A": 1e2}`), &v); err == nil {
		t.Fatal("1e2 accepted: want the exponent refused")
	}
}
