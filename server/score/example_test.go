package score_test

import (
	"fmt"

	"kuzet.kz/kuzet/server/score"
)

func ExamplePersonalQualities() {
	t, err := score.PersonalQualities(score.MustParse("87.5"))
	fmt.Println(t, err)
	_, err = score.PersonalQualities(score.MustParse("101"))
	fmt.Println(err)
	// Output:
	// 1.75 <nil>
	// the reliability level S is a percentage from 0 to 100 (Annex 3), got 101
}

func ExampleTextualNumericalScore() {
	s, _ := score.TextualNumericalScore(7, 3)
	fmt.Println(s.T1, "+", s.T2, "=", s.T)
	// Output: 0.7 + 0.3 = 1
}
