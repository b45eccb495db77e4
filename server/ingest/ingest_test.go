package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/ingest"
	"kuzet.kz/kuzet/server/store"
)

type fixture struct {
	t   *testing.T
	dir string
	st  *store.Store
	log *audit.Log
	ev  *evidence.Store
	ing *ingest.Ingest
	adm *admin.Admin
	id  protocol.SittingID
}

// setup opens a real bbolt store, audit log and evidence directory, and
// creates one sitting.
func setup(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := audit.LoadOrCreateKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	alog, err := audit.Open(st.DB(), keys, audit.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := alog.Close(); err != nil {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	adm := admin.New(st)
	comp, err := adm.CreateCompetition("test")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := adm.CreateSitting(comp.ID, "essay")
	if err != nil {
		t.Fatal(err)
	}
	ev := evidence.New(dir)
	return &fixture{t: t, dir: dir, st: st, log: alog, ev: ev, ing: ingest.New(st, hub.New(nil), ev, alog), adm: adm, id: ns.Sitting.ID}
}

// upload stores a file as the agent's upload does, and logs it.
func (f *fixture) upload(content []byte) protocol.EvidenceRef {
	f.t.Helper()
	sum, n, err := f.ev.Put(string(f.id), bytes.NewReader(content), protocol.MaxEvidenceBytes)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.ing.EvidenceFile(f.id, sum, n, "image/jpeg"); err != nil {
		f.t.Fatal(err)
	}
	return protocol.EvidenceRef{ID: "snap-" + sum[:8], Kind: protocol.EvidenceSnapshot, MIME: "image/jpeg", SHA256: sum, Size: n}
}

func flag(seq uint64, refs ...protocol.EvidenceRef) protocol.Event {
	return protocol.Event{Seq: seq, Time: time.Now().UTC(), Rule: protocol.Rule10_6, Kind: protocol.KindStart, Subject: "camera",
		Severity: protocol.SeverityViolation, Key: "camera.lost", Evidence: refs}
}

// verify checkpoints the log and verifies all of it, files included.
func (f *fixture) verify() audit.Report {
	f.t.Helper()
	if _, err := f.log.Checkpoint(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return audit.Verify(context.Background(), f.st.DB(), f.dir)
}

// TestEvidenceSizeIsTheStoredOne: an event that claims another size than
// the file the server stored is refused, naming both sizes, and nothing
// is stored or logged; so the log never holds a size the file does not
// have, and verification of the whole log stays clean.
func TestEvidenceSizeIsTheStoredOne(t *testing.T) {
	f := setup(t)
	ref := f.upload([]byte("\xff\xd8\xff\xe0 a 38-byte jpeg snapshot....... \xff\xd9"))
	if ref.Size != 38 {
		t.Fatalf("uploaded %d bytes, want 38", ref.Size)
	}
	lied := ref
	lied.Size = 999999
	_, _, err := f.ing.Event(f.id, flag(1, lied))
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.ErrInvalid || pe.Seq != 1 ||
		!strings.Contains(pe.Message, "999999") || !strings.Contains(pe.Message, "38") {
		t.Fatalf("an event claiming 999999 bytes for a 38-byte file: %v, want an invalid error naming both sizes", err)
	}
	if recs, err := f.st.Records(f.id, 0, 10); err != nil || len(recs) != 0 {
		t.Fatalf("the refused event was stored: %d records, %v", len(recs), err)
	}
	if rep := f.verify(); !rep.OK() {
		t.Fatalf("after a refused event the log fails verification: %v %+v", rep.Err, rep.First())
	}
	// The true size is accepted, and logged as stored.
	rec, _, err := f.ing.Event(f.id, flag(1, ref))
	if err != nil || rec.Event == nil {
		t.Fatalf("an event with the true size: %+v, %v", rec, err)
	}
	entries, err := f.log.Entries(string(f.id))
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1].Entry
	if last.Kind != audit.KindEvent || len(last.Files) != 1 || last.Files[0].Size != 38 {
		t.Fatalf("the event's entry: %+v, want one file of 38 bytes", last)
	}
	if rep := f.verify(); !rep.OK() || rep.Files != 2 {
		t.Fatalf("verification: ok %v, %d files checked (want 2), %v %+v", rep.OK(), rep.Files, rep.Err, rep.First())
	}
}

// TestEndedSittingRefusesEvents: once the sitting has ended, a new event
// is refused as sitting_closed with the reason, and nothing is stored; a
// resent event that was stored before the end is still acknowledged (its
// ack was lost), so the agent can empty its outbox.
func TestEndedSittingRefusesEvents(t *testing.T) {
	f := setup(t)
	if _, _, err := f.ing.Event(f.id, flag(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UpdateSitting(f.id, func(s *store.Sitting) error { s.State = protocol.StateEnded; return nil }); err != nil {
		t.Fatal(err)
	}
	for seq := uint64(2); seq < 5; seq++ {
		_, _, err := f.ing.Event(f.id, flag(seq))
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code != protocol.ErrSittingClosed || pe.Seq != seq || !strings.Contains(pe.Message, "ended") {
			t.Fatalf("event %d after the end: %v, want sitting_closed saying the sitting ended", seq, err)
		}
	}
	if recs, err := f.st.Records(f.id, 0, 10); err != nil || len(recs) != 1 {
		t.Fatalf("%d records after the end (%v), want the 1 from before", len(recs), err)
	}
	if _, dup, err := f.ing.Event(f.id, flag(1)); err != nil || !dup {
		t.Fatalf("the event stored before the end, resent: dup %v, %v; want it acknowledged as a duplicate", dup, err)
	}
}

// TestFlagsPerMinuteAreBounded: a sitting opens at most MaxFlagsPerMinute
// flags a minute; past that a flag is refused as rate_limited (the agent
// keeps it and resends later), while events that open no flag go on.
func TestFlagsPerMinuteAreBounded(t *testing.T) {
	f := setup(t)
	seq := uint64(0)
	for i := 0; i < ingest.MaxFlagsPerMinute; i++ {
		seq++
		if _, _, err := f.ing.Event(f.id, flag(seq)); err != nil {
			t.Fatalf("flag %d of %d: %v", i+1, ingest.MaxFlagsPerMinute, err)
		}
	}
	seq++
	_, _, err := f.ing.Event(f.id, flag(seq))
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.ErrRateLimited || !pe.Code.Retryable() || pe.Seq != seq || !strings.Contains(pe.Message, "flags") {
		t.Fatalf("flag %d within a minute: %v, want rate_limited naming the flag limit", ingest.MaxFlagsPerMinute+1, err)
	}
	// An event that closes a span (no flag) is still taken.
	end := protocol.Event{Seq: seq, Time: time.Now().UTC(), Rule: protocol.Rule10_6, Kind: protocol.KindEnd, StartSeq: 1, Subject: "camera",
		Severity: protocol.SeverityInfo, Key: "camera.back"}
	if _, _, err := f.ing.Event(f.id, end); err != nil {
		t.Fatalf("an event that opens no flag: %v", err)
	}
	// Another sitting has its own budget.
	comp, err := f.adm.CreateCompetition("other")
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.adm.CreateSitting(comp.ID, "essay")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ing.Event(other.Sitting.ID, flag(1)); err != nil {
		t.Fatalf("another sitting: %v", err)
	}
}
