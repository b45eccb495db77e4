package score

import (
	"errors"
	"math/big"
)

// Ratio is num / den rounded half up (away from zero on an exact half) to
// places digits after the point, in exact integer arithmetic. It is the
// rounding rule of every mean the workflow publishes (the essay score of
// p.115 is the mean of its grades: 11/3 is 3.67, 7/2 is 3.5).
func Ratio(num, den int64, places int) (Decimal, error) {
	if den == 0 {
		return Decimal{}, errors.New("score.Ratio: division by zero")
	}
	if places < 0 || places > MaxScale {
		return Decimal{}, ErrRange
	}
	n := new(big.Int).Mul(big.NewInt(num), new(big.Int).Exp(ten, big.NewInt(int64(places)), nil))
	d := big.NewInt(den)
	if d.Sign() < 0 {
		n.Neg(n)
		d.Neg(d)
	}
	neg := n.Sign() < 0
	n.Abs(n)
	var q, r big.Int
	q.QuoRem(n, d, &r)
	if new(big.Int).Mul(&r, big.NewInt(2)).Cmp(d) >= 0 {
		q.Add(&q, big.NewInt(1))
	}
	if neg {
		q.Neg(&q)
	}
	return fromBig(&q, places)
}
