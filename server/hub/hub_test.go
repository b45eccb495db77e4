package hub

import (
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
)

func TestPublishFiltersAndDropsSlowSubscribers(t *testing.T) {
	h := New(nil)
	mine := h.Subscribe(func(id protocol.SittingID) bool { return id == "a" })
	all := h.Subscribe(nil)
	slow := h.Subscribe(nil)
	rec := &protocol.Record{Sitting: "a", N: 1}
	h.Publish("a", rec)
	h.Publish("b", &protocol.Record{Sitting: "b", N: 1})
	if got := len(mine.C); got != 1 {
		t.Fatalf("filtered subscriber got %d messages, want 1", got)
	}
	if got := len(all.C); got != 2 {
		t.Fatalf("unfiltered subscriber got %d messages, want 2", got)
	}
	// Drain the others, leave slow full.
	<-mine.C
	for i := 0; i < QueueLen; i++ {
		h.Publish("a", rec)
		<-mine.C
		<-all.C
	}
	for range slow.C {
	}
	if !slow.Overflowed() {
		t.Fatal("a subscriber with a full queue was not dropped")
	}
	if mine.Overflowed() || all.Overflowed() {
		t.Fatal("a subscriber that kept up was dropped")
	}
	h.Unsubscribe(slow) // unsubscribing a dropped subscriber is harmless
	h.Unsubscribe(mine)
	if _, ok := <-mine.C; ok {
		t.Fatal("channel not closed on unsubscribe")
	}
}

func TestLiveState(t *testing.T) {
	var changed []protocol.SittingID
	h := New(func(id protocol.SittingID) { changed = append(changed, id) })
	now := time.Now()
	h.SetConnected("s", true, now)
	h.SetMedia("s", true)
	h.Seen("s", now.Add(time.Second))
	l := h.Live("s")
	if !l.Connected || !l.Media || !l.EverConnected || !l.LastSeen.Equal(now.Add(time.Second)) {
		t.Fatalf("live = %+v", l)
	}
	h.SetConnected("s", false, now.Add(2*time.Second))
	if l := h.Live("s"); l.Connected || l.Media || !l.EverConnected || l.Reconnects != 0 || !l.LastDrop.Equal(now.Add(2*time.Second)) {
		t.Fatalf("after disconnect: %+v", l)
	}
	if len(changed) != 3 {
		t.Fatalf("changes reported %d times, want 3 (connect, media, disconnect): %v", len(changed), changed)
	}
	h.SetConnected("s", true, now.Add(3*time.Second))
	h.SetConnected("s", true, now.Add(4*time.Second)) // still the same connection
	if l := h.Live("s"); l.Reconnects != 1 {
		t.Fatalf("reconnects = %d after one reconnection, want 1", l.Reconnects)
	}
}

func TestARecordIsAChange(t *testing.T) {
	var changed []protocol.SittingID
	var h *Hub
	var seenFirst bool
	sub := (*Sub)(nil)
	h = New(func(id protocol.SittingID) {
		changed = append(changed, id)
		// The record went out before the callback runs, so a summary
		// published from here follows its record.
		seenFirst = len(sub.C) == 1
	})
	sub = h.Subscribe(nil)
	h.Publish("s", &protocol.Record{Sitting: "s", N: 1})
	h.Publish("s", &protocol.SittingUpdate{Sitting: protocol.SittingSummary{SittingInfo: protocol.SittingInfo{ID: "s"}}})
	if len(changed) != 1 || changed[0] != "s" || !seenFirst {
		t.Fatalf("changes %v (record delivered first: %v); want one change for s after its record", changed, seenFirst)
	}
}
