package score

import "testing"

func TestRatioRoundsHalfUpExactly(t *testing.T) {
	for _, c := range []struct {
		num, den int64
		places   int
		want     string
	}{
		{11, 3, 2, "3.67"}, {10, 3, 2, "3.33"}, {7, 2, 2, "3.5"}, {15, 3, 2, "5"},
		{1, 8, 2, "0.13"}, {1, 200, 2, "0.01"}, {1, 201, 2, "0"}, {-1, 8, 2, "-0.13"},
		{1, -8, 2, "-0.13"}, {0, 5, 2, "0"}, {2, 3, 0, "1"}, {1, 3, 0, "0"},
	} {
		got, err := Ratio(c.num, c.den, c.places)
		if err != nil || got.String() != c.want {
			t.Errorf("Ratio(%d, %d, %d) = %v, %v; want %s", c.num, c.den, c.places, got, err, c.want)
		}
	}
	if _, err := Ratio(1, 0, 2); err == nil {
		t.Error("division by zero accepted")
	}
	if _, err := Ratio(1, 3, MaxScale+1); err == nil {
		t.Error("scale above MaxScale accepted")
	}
}
