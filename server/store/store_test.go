package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"kuzet.kz/kuzet/protocol"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kuzet.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

func event(seq uint64) protocol.Event {
	return protocol.Event{Seq: seq, Time: time.Unix(1700000000+int64(seq), 0).UTC(), Rule: protocol.Rule10_6,
		Kind: protocol.KindInstant, Subject: "camera", Severity: protocol.SeverityInfo, Key: "camera.started"}
}

func TestAppendEventIsIdempotentAndDurable(t *testing.T) {
	s, path := openTemp(t)
	id := protocol.SittingID("s1")
	now := time.Now()
	r1, dup, err := s.AppendEvent(id, event(1), now)
	if err != nil || dup || r1.N != 1 {
		t.Fatalf("first append: %+v dup=%v err=%v", r1, dup, err)
	}
	r2, dup, err := s.AppendEvent(id, event(2), now)
	if err != nil || dup || r2.N != 2 {
		t.Fatalf("second append: %+v dup=%v err=%v", r2, dup, err)
	}
	again, dup, err := s.AppendEvent(id, event(1), now.Add(time.Minute))
	if err != nil || !dup || again.N != 1 || !again.Received.Equal(r1.Received) {
		t.Fatalf("resent event: %+v dup=%v err=%v; want the first record back", again, dup, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.Records(id, 0, 10)
	if err != nil || len(recs) != 2 || recs[0].Event.Seq != 1 || recs[1].Event.Seq != 2 {
		t.Fatalf("after reopen: %+v, %v", recs, err)
	}
	if recs, _ := s.Records(id, 1, 10); len(recs) != 1 || recs[0].N != 2 {
		t.Fatalf("records after 1: %+v", recs)
	}
	last, n, err := s.Counters(id)
	if err != nil || last != 2 || n != 2 {
		t.Fatalf("counters = %d, %d, %v", last, n, err)
	}
	// Actions share the numbering with events, but not the event sequence.
	act, err := s.AppendAction(id, protocol.Action{ID: "a1", Kind: protocol.ActionRoomScan, Time: now, Actor: "proctor"}, now)
	if err != nil || act.N != 3 || act.Action == nil || act.Event != nil {
		t.Fatalf("action record = %+v, %v", act, err)
	}
	if got, err := s.Record(id, 3); err != nil || got.Action.ID != "a1" {
		t.Fatalf("Record(3) = %+v, %v", got, err)
	}
	if last, n, _ := s.Counters(id); last != 2 || n != 3 {
		t.Fatalf("after the action counters = %d, %d; want 2, 3", last, n)
	}
	if ok, _ := s.HasEvent(id, 2); !ok {
		t.Fatal("HasEvent(2) = false")
	}
}

func TestOpenLockedStoreSaysSo(t *testing.T) {
	s, path := openTemp(t)
	defer s.Close()
	_, err := Open(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open error = %v, want ErrLocked", err)
	}
}

func TestSittingTokenIndexes(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	st := Sitting{ID: "s1", PIN: "123456", TokenHash: "h1", PageTokenHash: "p1", State: protocol.StateWaiting, Created: time.Now()}
	if err := s.PutSitting(st); err != nil {
		t.Fatal(err)
	}
	got, err := s.SittingByTokenHash("h1")
	if err != nil || got.PIN != "123456" {
		t.Fatalf("by token: %+v %v", got, err)
	}
	st.TokenHash = "h2"
	if err := s.PutSitting(st); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SittingByTokenHash("h1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old token still opens the sitting: %v", err)
	}
	if got, err := s.SittingByPageTokenHash("p1"); err != nil || got.ID != "s1" {
		t.Fatalf("by page token: %+v %v", got, err)
	}
	// Updating a sitting keeps the indexes in step too.
	if _, err := s.UpdateSitting("s1", func(st *Sitting) error { st.PageTokenHash = "p2"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SittingByPageTokenHash("p2"); err != nil || got.ID != "s1" {
		t.Fatalf("by new page token after update: %+v %v", got, err)
	}
	if _, err := s.SittingByPageTokenHash("p1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old page token still opens the sitting: %v", err)
	}
	if err := s.PutAccount(Account{ID: "a1", Username: "proctor"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAccount(Account{ID: "a2", Username: "proctor"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate username: %v", err)
	}
}

func TestVerdictIsStoredOnce(t *testing.T) {
	s, path := openTemp(t)
	st := Sitting{ID: "s1", PIN: "12345678", State: protocol.StateEnded}
	if err := s.PutSitting(st); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVerdict("missing", PublishedVerdict{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("verdict for a missing sitting: %v, want ErrNotFound", err)
	}
	v := PublishedVerdict{Verdict: protocol.Verdict{Outcome: protocol.VerdictClean}, Record: 9, Actor: "proctor",
		Time: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	if err := s.SetVerdict("s1", v); err != nil {
		t.Fatal(err)
	}
	second := v
	second.Outcome, second.Rules = protocol.VerdictViolation, []protocol.RuleID{protocol.Rule10_2}
	if err := s.SetVerdict("s1", second); !errors.Is(err, ErrVerdictPublished) {
		t.Fatalf("second verdict: %v, want ErrVerdictPublished", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Sitting("s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict == nil || !got.Verdict.Clean() || got.Verdict.Record != 9 || got.Verdict.Actor != "proctor" || !got.Verdict.Time.Equal(v.Time) {
		t.Fatalf("stored verdict = %+v, want the first one", got.Verdict)
	}
	var none *PublishedVerdict
	if none.Clean() {
		t.Fatal("no verdict reads as clean")
	}
}

// An appeal decision recorded on the sitting changes the outcome the
// workflow follows; the published verdict itself stays as published.
func TestEffectiveOutcomeFollowsTheAppeal(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	if err := s.PutSitting(Sitting{ID: "s1", PIN: "12345678", State: protocol.StateEnded}); err != nil {
		t.Fatal(err)
	}
	get := func() Sitting {
		t.Helper()
		st, err := s.Sitting("s1")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := get(); st.EffectiveOutcome() != "" {
		t.Fatalf("before publication: %q, want none", st.EffectiveOutcome())
	}
	v := PublishedVerdict{Verdict: protocol.Verdict{Outcome: protocol.VerdictViolation, Rules: []protocol.RuleID{protocol.Rule10_2}}, Record: 3, Actor: "proctor", Time: time.Now().UTC()}
	if err := s.SetVerdict("s1", v); err != nil {
		t.Fatal(err)
	}
	if st := get(); st.EffectiveOutcome() != protocol.VerdictViolation {
		t.Fatalf("published violation: %q", st.EffectiveOutcome())
	}
	err := s.DB().Update(func(tx *bolt.Tx) error {
		_, err := UpdateSittingTx(tx, "s1", func(st *Sitting) error {
			st.Appeal = &AppealDecision{Overturned: true, Effective: protocol.VerdictClean, Entry: 7, Actor: "a-1", Time: time.Now().UTC()}
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st := get()
	if st.EffectiveOutcome() != protocol.VerdictClean || st.Verdict.Outcome != protocol.VerdictViolation {
		t.Fatalf("after an overturn: effective %q, published %q; want clean and violation", st.EffectiveOutcome(), st.Verdict.Outcome)
	}
	err = s.DB().Update(func(tx *bolt.Tx) error {
		_, err := UpdateSittingTx(tx, "missing", func(*Sitting) error { return nil })
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a missing sitting in a transaction: %v, want ErrNotFound", err)
	}
}

// Ending an account's sessions marks them (so the cookie's holder is told
// why) and spares the one kept and other accounts'; the sweep deletes
// expired records, ended or not, and nothing live.
func TestEndAndExpireSessions(t *testing.T) {
	s, _ := openTemp(t)
	now := time.Now()
	for _, a := range []Account{{ID: "a-1", Username: "one"}, {ID: "a-2", Username: "two"}} {
		if err := s.PutAccount(a); err != nil {
			t.Fatal(err)
		}
	}
	put := func(hash, acct string, exp time.Duration) {
		if err := s.StartSession(hash, Session{Account: acct, Created: now, Expires: now.Add(exp)}); err != nil {
			t.Fatal(err)
		}
	}
	put("keep", "a-1", time.Hour)
	put("end", "a-1", time.Hour)
	put("old", "a-1", -time.Minute)
	put("other", "a-2", time.Hour)
	if a, _ := s.Account("a-1"); a.LastLogin == nil || !a.LastLogin.Equal(now.UTC()) {
		t.Errorf("last login %v, want %v", a.LastLogin, now)
	}
	var n int
	if err := s.db.Update(func(tx *bolt.Tx) (err error) {
		n, err = EndSessionsOfTx(tx, "a-1", "keep", SessionRevoked, now)
		return
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 { // "end"; "old" had expired already
		t.Errorf("ended %d sessions, want 1", n)
	}
	for hash, want := range map[string]string{"keep": "", "end": SessionRevoked, "other": ""} {
		if ses, err := s.Session(hash); err != nil || ses.Ended != want {
			t.Errorf("session %s: %+v %v, want ended %q", hash, ses, err, want)
		}
	}
	if ses, _ := s.Session("end"); ses.Live(now) {
		t.Error("an ended session is live")
	}
	got, err := s.DeleteExpiredSessions(now.Add(2 * time.Hour))
	if err != nil || got != 4 {
		t.Fatalf("swept %d (%v), want all 4 once they expired", got, err)
	}
	put("fresh", "a-2", time.Hour)
	if got, _ := s.DeleteExpiredSessions(now); got != 0 {
		t.Errorf("swept %d live sessions", got)
	}
	if list, _ := s.SessionsOf("a-2"); len(list) != 1 || list[0].Hash != "fresh" {
		t.Errorf("sessions of a-2: %+v", list)
	}
}
