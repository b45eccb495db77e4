package finding

import (
	"testing"
	"time"
)

func TestDebounce(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	type step struct {
		ms             int
		cond           bool
		started, ended bool
		atMS           int
	}
	cases := []struct {
		name    string
		on, off time.Duration
		steps   []step
	}{
		{"flicker shorter than On is ignored", 2 * time.Second, time.Second, []step{
			{0, true, false, false, 0}, {1500, true, false, false, 0}, {1600, false, false, false, 0},
			{1700, true, false, false, 0}, {3600, true, false, false, 0}, {3700, true, true, false, 1700},
		}},
		{"span ends after Off", 0, time.Second, []step{
			{0, true, true, false, 0}, {100, false, false, false, 0}, {500, true, false, false, 0},
			{600, false, false, false, 0}, {1700, false, false, true, 600},
		}},
		{"zero value follows each sample", 0, 0, []step{
			{0, false, false, false, 0}, {10, true, true, false, 10}, {20, true, false, false, 0}, {30, false, false, true, 30},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Debounce{On: tc.on, Off: tc.off}
			for i, s := range tc.steps {
				st, en, when := d.Update(at(s.ms), s.cond)
				if st != s.started || en != s.ended {
					t.Fatalf("step %d (%d ms, %v): started=%v ended=%v, want %v %v", i, s.ms, s.cond, st, en, s.started, s.ended)
				}
				if (st || en) && !when.Equal(at(s.atMS)) {
					t.Fatalf("step %d: at = %v, want %d ms", i, when.Sub(t0), s.atMS)
				}
			}
		})
	}
}
