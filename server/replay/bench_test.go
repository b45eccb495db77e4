package replay_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
)

// many gives the sitting n events (alternating 10.3 span starts and ends),
// appended concurrently so the log group-commits them.
func (s *system) many(n int) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := 1; i <= n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(seq uint64) {
			defer wg.Done()
			defer func() { <-sem }()
			ev := protocol.Event{Seq: seq, Time: base.Add(time.Duration(seq) * time.Second), Rule: protocol.Rule10_3, Kind: protocol.KindStart,
				Subject: "face", Severity: protocol.SeverityViolation, Key: "vision.noface"}
			if seq%2 == 0 {
				ev.Kind, ev.StartSeq, ev.Severity, ev.Key = protocol.KindEnd, seq-1, protocol.SeverityInfo, "vision.face_back"
			}
			if _, _, err := s.ing.Event(s.id(), ev); err != nil {
				s.t.Error(err)
			}
		}(uint64(i))
	}
	wg.Wait()
}

// BenchmarkVerifySitting: the server-side check behind the badge, for a
// sitting of n events plus a snapshot and a recording segment: an
// inclusion proof per entry, the files hashed, every record compared with
// its entry.
func BenchmarkVerifySitting(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			s := newSystem(b)
			s.evidence([]byte("a snapshot"))
			s.many(n)
			s.record(30)
			ctx := contextFor(b)
			if v := s.mod.VerifySitting(ctx, s.id()); !v.OK {
				b.Fatalf("does not verify: %+v", v)
			}
			b.ResetTimer()
			for b.Loop() {
				if v := s.mod.VerifySitting(ctx, s.id()); !v.OK {
					b.Fatal(v.Problem)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/event")
		})
	}
}

// BenchmarkTimeline: GET /api/replay/sittings/{id} for a sitting of n
// events, over HTTP, as the replay page loads it.
func BenchmarkTimeline(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			s := newSystem(b)
			s.many(n)
			c := s.login("auditor")
			b.ResetTimer()
			for b.Loop() {
				if code, body := c.do("GET", "/api/replay/sittings/"+string(s.id()), nil, nil); code != 200 {
					b.Fatal(code, body)
				}
			}
		})
	}
}
