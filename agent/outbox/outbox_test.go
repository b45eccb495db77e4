package outbox

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func tr(kind protocol.EventKind, subject string, sec int) finding.Transition {
	return finding.Transition{Rule: protocol.Rule10_6, Subject: subject, Kind: kind, At: t0.Add(time.Duration(sec) * time.Second),
		Severity: protocol.SeverityViolation, Key: i18n.Key("camera.lost")}
}

func open(t *testing.T, path string) *Outbox {
	t.Helper()
	o, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestNumberingWaitsForBaseAndPairsSpans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o := open(t, path)
	if _, ok, err := o.Add(tr(protocol.KindStart, "camera", 0)); err != nil || !ok {
		t.Fatalf("add: %v %v", ok, err)
	}
	if p, _ := o.Pending(); len(p) != 0 {
		t.Fatalf("events numbered before the server's base was known: %+v", p)
	}
	// The server already holds 10 events of this sitting (an earlier run).
	if err := o.Base(10); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := o.Add(tr(protocol.KindStart, "camera", 1)); ok {
		t.Fatal("a second start of an open span was stored")
	}
	end, ok, err := o.Add(tr(protocol.KindEnd, "camera", 3))
	if err != nil || !ok || end.Seq != 12 || end.StartSeq != 11 {
		t.Fatalf("end = %+v ok=%v err=%v; want seq 12 closing 11", end, ok, err)
	}
	if _, ok, _ := o.Add(tr(protocol.KindEnd, "camera", 4)); ok {
		t.Fatal("an end without an open span was stored")
	}
	p, err := o.Pending()
	if err != nil || len(p) != 2 || p[0].Seq != 11 || p[1].Seq != 12 {
		t.Fatalf("pending = %+v, %v", p, err)
	}
	if err := o.Ack(11); err != nil {
		t.Fatal(err)
	}
	o.Close()

	// After a restart: the unacked event is still there, numbering goes on.
	o = open(t, path)
	defer o.Close()
	if p, _ := o.Pending(); len(p) != 1 || p[0].Seq != 12 {
		t.Fatalf("after reopen pending = %+v", p)
	}
	if err := o.Base(5); err != nil { // a lower base never rewinds numbering
		t.Fatal(err)
	}
	ev, _, _ := o.Add(tr(protocol.KindStart, "camera", 5))
	if ev.Seq != 13 {
		t.Fatalf("next seq = %d, want 13", ev.Seq)
	}
}

func TestCloseOpenAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o := open(t, path)
	o.Base(0)
	o.Add(tr(protocol.KindStart, "camera", 0))
	o.Close()
	o = open(t, path)
	defer o.Close()
	n, err := o.CloseOpen(t0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("CloseOpen = %d, %v", n, err)
	}
	p, _ := o.Pending()
	if len(p) != 2 || p[1].Kind != protocol.KindEnd || p[1].StartSeq != p[0].Seq {
		t.Fatalf("pending = %+v", p)
	}
}

func TestEvidenceIsStoredWithItsHash(t *testing.T) {
	o := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	defer o.Close()
	o.Base(0)
	x := tr(protocol.KindStart, "face", 0)
	x.Evidence = []finding.Evidence{{Kind: protocol.EvidenceSnapshot, MIME: "image/jpeg", Data: []byte("jpeg bytes")}}
	ev, ok, err := o.Add(x)
	if err != nil || !ok || len(ev.Evidence) != 1 {
		t.Fatalf("add: %+v %v %v", ev, ok, err)
	}
	ref := ev.Evidence[0]
	sum := sha256.Sum256([]byte("jpeg bytes"))
	if ref.SHA256 != hex.EncodeToString(sum[:]) || ref.Size != 10 {
		t.Fatalf("ref = %+v", ref)
	}
	data, _ := o.Evidence(ref.ID)
	if string(data) != "jpeg bytes" {
		t.Fatalf("evidence = %q", data)
	}
	o.Uploaded(ref.ID)
	if data, _ := o.Evidence(ref.ID); data != nil {
		t.Fatal("uploaded evidence still stored")
	}
}

func TestSecondAgentIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o := open(t, path)
	defer o.Close()
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
}

func TestClockOffsetShiftsEventTimesAndIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o := open(t, path)
	if err := o.Base(0); err != nil {
		t.Fatal(err)
	}
	// This computer's clock is 3 minutes behind the server's.
	if err := o.SetClockOffset(3 * time.Minute); err != nil {
		t.Fatal(err)
	}
	ev, ok, err := o.Add(tr(protocol.KindStart, "camera", 0))
	if err != nil || !ok {
		t.Fatalf("add: %v %v", ok, err)
	}
	if want := t0.Add(3 * time.Minute); !ev.Time.Equal(want) {
		t.Errorf("event time %v, want the server's clock %v", ev.Time, want)
	}
	o.Close()

	// After a restart, before the server can be reached, the last offset
	// still applies; a clock ahead of the server's gives a negative one.
	o = open(t, path)
	defer o.Close()
	if got := o.ClockOffset(); got != 3*time.Minute {
		t.Fatalf("offset after restart %v, want 3m", got)
	}
	if err := o.SetClockOffset(-90 * time.Second); err != nil {
		t.Fatal(err)
	}
	o.Close()
	o = open(t, path)
	if got := o.ClockOffset(); got != -90*time.Second {
		t.Fatalf("negative offset after restart %v, want -1m30s", got)
	}
	ev, ok, err = o.Add(tr(protocol.KindEnd, "camera", 10))
	if err != nil || !ok {
		t.Fatalf("add: %v %v", ok, err)
	}
	if want := t0.Add(10*time.Second - 90*time.Second); !ev.Time.Equal(want) {
		t.Errorf("event time %v, want %v", ev.Time, want)
	}
}
