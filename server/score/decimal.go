// Package score holds the exact arithmetic of the published scores: a small
// decimal type (no binary floating point ever reaches a score, so 0.1 + 0.2
// is 0.3 and a published "1.74" is what was computed) and the formulas of
// Annex 3 of the rules (personal qualities T = 0.02 × S; textual and
// numerical information T = 0.1 × S1 + 0.1 × S2).
package score

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// MaxScale is the largest number of digits after the decimal point a
// Decimal holds. Annex 3 needs at most four (0.02 × a percentage with two
// decimals); QTI mapping values rarely use more than three.
const MaxScale = 9

// ErrRange is returned when a result does not fit a Decimal (more than 18
// significant digits, or more than MaxScale digits after the point).
var ErrRange = errors.New("decimal out of range")

// Decimal is an exact decimal number coef × 10^-scale. The zero value is 0.
// Decimals are values: compare them with Cmp or Equal, never with ==
// (1.5 and 1.50 are the same number with different scales until normalised;
// every constructor and operation here normalises, so == also works on
// results, but Cmp says what is meant).
type Decimal struct {
	coef  int64
	scale uint8
}

// Int is the integer n as a Decimal.
func Int(n int64) Decimal { return Decimal{coef: n} }

// New is coef × 10^-scale (New(2, 2) is 0.02). It panics on a scale above
// MaxScale, which is a programming error, not input.
func New(coef int64, scale int) Decimal {
	if scale < 0 || scale > MaxScale {
		panic(fmt.Sprintf("score.New: scale %d outside 0..%d", scale, MaxScale))
	}
	return Decimal{coef: coef, scale: uint8(scale)}.norm()
}

// Parse reads a decimal written as in QTI and JSON: an optional sign, digits,
// optionally a point and more digits ("1", "-0.5", "2.25", ".5", "3.").
// Exponents ("1e-1"), "NaN", "INF" and more than MaxScale fraction digits are
// refused with an error that says what to write instead.
func Parse(s string) (Decimal, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Decimal{}, fmt.Errorf("%q is not a number: write a decimal such as 1 or 0.5", s)
	}
	neg := false
	switch t[0] {
	case '-':
		neg, t = true, t[1:]
	case '+':
		t = t[1:]
	}
	intPart, frac, _ := strings.Cut(t, ".")
	if intPart == "" && frac == "" {
		return Decimal{}, fmt.Errorf("%q is not a number: write a decimal such as 1 or 0.5", s)
	}
	for _, part := range []string{intPart, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				if c == 'e' || c == 'E' {
					return Decimal{}, fmt.Errorf("%q: exponents are not accepted in a score; write it out (e.g. 0.01 for 1e-2)", s)
				}
				return Decimal{}, fmt.Errorf("%q is not a number: write a decimal such as 1 or 0.5 (a point, not a comma)", s)
			}
		}
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > MaxScale {
		return Decimal{}, fmt.Errorf("%q has more than %d digits after the point", s, MaxScale)
	}
	var n big.Int
	if _, ok := n.SetString("0"+intPart+frac, 10); !ok {
		return Decimal{}, fmt.Errorf("%q is not a number", s)
	}
	if neg {
		n.Neg(&n)
	}
	d, err := fromBig(&n, len(frac))
	if err != nil {
		return Decimal{}, fmt.Errorf("%q: %w", s, err)
	}
	return d, nil
}

// MustParse is Parse for constants in code and tests; it panics on a bad literal.
func MustParse(s string) Decimal {
	d, err := Parse(s)
	if err != nil {
		panic("score.MustParse: " + err.Error())
	}
	return d
}

func (d Decimal) big() *big.Int { return big.NewInt(d.coef) }

var ten = big.NewInt(10)

// fromBig makes n × 10^-scale a normalised Decimal, or ErrRange.
func fromBig(n *big.Int, scale int) (Decimal, error) {
	n = new(big.Int).Set(n)
	var q, r big.Int
	for scale > 0 {
		q.QuoRem(n, ten, &r)
		if r.Sign() != 0 {
			break
		}
		n.Set(&q)
		scale--
	}
	if scale > MaxScale || !n.IsInt64() {
		return Decimal{}, ErrRange
	}
	return Decimal{coef: n.Int64(), scale: uint8(scale)}, nil
}

func (d Decimal) norm() Decimal {
	for d.scale > 0 && d.coef%10 == 0 {
		d.coef /= 10
		d.scale--
	}
	if d.coef == 0 {
		d.scale = 0
	}
	return d
}

// scaled returns d's coefficient at the given (larger or equal) scale.
func (d Decimal) scaled(scale uint8) *big.Int {
	n := d.big()
	if scale > d.scale {
		n.Mul(n, new(big.Int).Exp(ten, big.NewInt(int64(scale-d.scale)), nil))
	}
	return n
}

// Add returns d + e exactly, or ErrRange.
func (d Decimal) Add(e Decimal) (Decimal, error) {
	s := max(d.scale, e.scale)
	return fromBig(new(big.Int).Add(d.scaled(s), e.scaled(s)), int(s))
}

// Sub returns d − e exactly, or ErrRange.
func (d Decimal) Sub(e Decimal) (Decimal, error) { return d.Add(e.Neg()) }

// Mul returns d × e exactly, or ErrRange.
func (d Decimal) Mul(e Decimal) (Decimal, error) {
	return fromBig(new(big.Int).Mul(d.big(), e.big()), int(d.scale)+int(e.scale))
}

// Neg returns −d.
func (d Decimal) Neg() Decimal { return Decimal{coef: -d.coef, scale: d.scale} }

// Cmp compares d and e: -1 if d < e, 0 if equal, +1 if d > e.
func (d Decimal) Cmp(e Decimal) int {
	s := max(d.scale, e.scale)
	return d.scaled(s).Cmp(e.scaled(s))
}

// Equal reports whether d and e are the same number.
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// Sign is -1, 0 or +1.
func (d Decimal) Sign() int {
	switch {
	case d.coef < 0:
		return -1
	case d.coef > 0:
		return 1
	}
	return 0
}

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.coef == 0 }

// String prints d exactly, with no trailing zeros after the point and no
// exponent: "0", "1.74", "-0.5", "2".
func (d Decimal) String() string {
	d = d.norm()
	neg := d.coef < 0
	digits := new(big.Int).Abs(d.big()).String()
	if d.scale > 0 {
		if len(digits) <= int(d.scale) {
			digits = strings.Repeat("0", int(d.scale)-len(digits)+1) + digits
		}
		cut := len(digits) - int(d.scale)
		digits = digits[:cut] + "." + digits[cut:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// FixedString prints d with exactly places digits after the point, padding
// with zeros ("1.5" with 2 places is "1.50"). It never rounds: it returns an
// error when d has more digits than places, so a published score is never
// silently cut.
func (d Decimal) FixedString(places int) (string, error) {
	d = d.norm()
	if int(d.scale) > places {
		return "", fmt.Errorf("%s has %d digits after the point, more than %d", d, d.scale, places)
	}
	s := d.String()
	if places == 0 {
		return s, nil
	}
	if d.scale == 0 {
		s += "."
	}
	return s + strings.Repeat("0", places-int(d.scale)), nil
}

// MarshalText writes String(); as a JSON object key or with encoding/xml.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what Parse reads.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes the number as a JSON number with its exact digits
// (1.74, never 1.7399999999999999).
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON reads a JSON number or a string holding one, digit by digit
// (never through float64).
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return d.UnmarshalText([]byte(s))
}
