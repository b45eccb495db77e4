package session

import (
	"testing"
	"time"
)

func TestClockOffset(t *testing.T) {
	// The wall clock of this computer, with a monotonic reading as
	// time.Now gives.
	sent := time.Now()
	received := sent.Add(400 * time.Millisecond)
	mid := sent.Add(200 * time.Millisecond).Round(0)
	for _, c := range []struct {
		name   string
		server time.Time
		want   time.Duration
	}{
		{"clocks agree", mid, 0},
		{"computer 3 minutes behind", mid.Add(3 * time.Minute), 3 * time.Minute},
		{"computer an hour ahead", mid.Add(-time.Hour), -time.Hour},
		// What the JSON decoder gives: UTC, no monotonic reading.
		{"server time in UTC", mid.Add(42 * time.Second).UTC(), 42 * time.Second},
	} {
		if got := ClockOffset(sent, received, c.server); got != c.want {
			t.Errorf("%s: offset %v, want %v", c.name, got, c.want)
		}
	}
}
