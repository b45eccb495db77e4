package roster

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/proctoring/assess"
	"kuzet.kz/kuzet/server/store"
)

func fixture(tb testing.TB) (*store.Store, *hub.Hub, *Roster) {
	tb.Helper()
	st, err := store.Open(filepath.Join(tb.TempDir(), "kuzet.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	var r *Roster
	h := hub.New(func(id protocol.SittingID) { r.Changed(id) })
	r = New(st, h, slog.New(slog.DiscardHandler))
	if err := st.PutCompetition(store.Competition{ID: "c", Title: "Ministry"}); err != nil {
		tb.Fatal(err)
	}
	if err := st.PutSitting(store.Sitting{ID: "s", Competition: "c", PIN: "12345678", Stage: "essay", State: protocol.StateWaiting}); err != nil {
		tb.Fatal(err)
	}
	return st, h, r
}

func event(seq uint64, rule protocol.RuleID, sev protocol.Severity) protocol.Event {
	return protocol.Event{Seq: seq, Time: time.Unix(1700000000, 0).UTC(), Rule: rule, Kind: protocol.KindInstant, Subject: "x", Severity: sev, Key: "k"}
}

// Every stored record counts, including those stored while nobody
// asked; the summary reads on from the last one it folded.
func TestSummaryFollowsTheRecords(t *testing.T) {
	st, h, r := fixture(t)
	sitting, err := st.Sitting("s")
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Summary(sitting); s.Records != 0 || s.Risk != 0 || s.Rules != nil || s.Link != protocol.LinkNone {
		t.Fatalf("empty sitting summary = %+v", s)
	}
	sub := h.Subscribe(nil)
	for i, sev := range []protocol.Severity{protocol.SeverityInfo, protocol.SeverityViolation, protocol.SeveritySuspected} {
		rec, _, err := st.AppendEvent("s", event(uint64(i+1), protocol.Rule10_2, sev), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		h.Publish("s", &rec) // as ingest does: the record, then the summary
	}
	var last protocol.SittingSummary
	for range 6 {
		if u, ok := (<-sub.C).(*protocol.SittingUpdate); ok {
			last = u.Sitting
		}
	}
	// 35 for the violation, 35 × 0.5 (suspected) × 0.5 (second flag).
	if last.Records != 3 || last.Risk != 43.75 || last.OpenFlags != 2 || last.Rules[protocol.Rule10_2].State != protocol.RuleViolation || last.Competition != "Ministry" {
		t.Fatalf("summary after three records = %+v", last)
	}

	// Heavier weights apply to the next summary.
	w := assess.DefaultWeights()
	w.Rules[protocol.Rule10_2] = 100
	if err := r.SetWeights(w); err != nil {
		t.Fatal(err)
	}
	if s := r.Summary(sitting); s.Risk != 125 {
		t.Fatalf("risk with weight 100 = %v, want 125", s.Risk)
	}
	w.Repeat = 2
	if err := r.SetWeights(w); !errors.Is(err, assess.ErrWeights) {
		t.Fatalf("bad weights accepted: %v", err)
	}
	var open int
	if err := r.Read("s", func(s *assess.State) { open = len(s.OpenFlags()) }); err != nil || open != 2 {
		t.Fatalf("Read: %d open flags, %v", open, err)
	}
	a, err := r.Assessment("s")
	if err != nil || a.Risk != 125 || len(a.Items) != 2 {
		t.Fatalf("assessment = %+v, %v", a, err)
	}
}

// BenchmarkChanged is what one new record costs the server for the
// dashboards once it is stored: fold it into the sitting's state (reading
// just that record from the store) and compose and publish the sitting's
// summary, for a sitting with 500 records. Storing it (an fsync) is not
// counted.
func BenchmarkChanged(b *testing.B) {
	st, h, r := fixture(b)
	for i := range 500 {
		if _, _, err := st.AppendEvent("s", event(uint64(i+1), protocol.Rules()[i%11].ID, protocol.SeveritySuspected), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	sub := h.Subscribe(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range sub.C {
		}
	}()
	r.Changed("s")
	seq := uint64(500)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		seq++
		rec, _, err := st.AppendEvent("s", event(seq, protocol.Rule10_6, protocol.SeverityInfo), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		h.Publish("s", &rec)
	}
	b.StopTimer()
	h.Unsubscribe(sub)
	<-done
}
