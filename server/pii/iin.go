package pii

import (
	"errors"
	"fmt"
	"time"
)

// ErrIIN wraps every refusal of an IIN; the message says what is wrong.
var ErrIIN = errors.New("invalid IIN")

// CheckIIN validates an IIN (individual identification number): 12
// digits; the first six the date of birth (YYMMDD); the seventh the
// century and sex (1-6; 0 for some numbers issued to foreigners, whose
// first six digits are then not checked as a date); the twelfth the check
// digit. The check digit is the weighted sum of the first eleven digits
// with weights 1..11, modulo 11; when that is 10, the sum is taken again
// with weights 3..11, 1, 2; a second 10 means the number is never issued.
func CheckIIN(s string) error {
	if len(s) != 12 {
		return fmt.Errorf("%w: an IIN has 12 digits, this has %d characters", ErrIIN, len(s))
	}
	var d [12]int
	for i := range 12 {
		c := s[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: an IIN has only digits; character %d is %q", ErrIIN, i+1, c)
		}
		d[i] = int(c - '0')
	}
	century := map[int]int{1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
	switch c := d[6]; {
	case c >= 1 && c <= 6:
		y := century[c] + d[0]*10 + d[1]
		m, day := d[2]*10+d[3], d[4]*10+d[5]
		t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
		if m < 1 || m > 12 || t.Day() != day || t.Month() != time.Month(m) {
			return fmt.Errorf("%w: digits 1-6 are the date of birth (YYMMDD), and %s is not a date", ErrIIN, s[:6])
		}
	case c == 0:
	default:
		return fmt.Errorf("%w: digit 7 gives the century and sex (1-6), not %d", ErrIIN, c)
	}
	want := checkDigit(d)
	if want < 0 {
		return fmt.Errorf("%w: %s has no valid check digit: no IIN begins with these 11 digits; check for a typo", ErrIIN, s[:11])
	}
	if d[11] != want {
		return fmt.Errorf("%w: the check digit (the 12th) should be %d, not %d: check the number for a typo", ErrIIN, want, d[11])
	}
	return nil
}

func checkDigit(d [12]int) int {
	sum := 0
	for i := range 11 {
		sum += (i + 1) * d[i]
	}
	if c := sum % 11; c != 10 {
		return c
	}
	sum = 0
	for i := range 11 {
		sum += ((i+2)%11 + 1) * d[i]
	}
	if c := sum % 11; c != 10 {
		return c
	}
	return -1
}
