package admin

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/store"
)

func setup(t *testing.T) (*Admin, *store.Store, NewSitting) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := New(st)
	c, err := a.CreateCompetition("c")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := a.CreateSitting(c.ID, "essay")
	if err != nil {
		t.Fatal(err)
	}
	return a, st, ns
}

func TestJoinTokenOpensTheSittingOnce(t *testing.T) {
	a, st, ns := setup(t)
	got, resume, err := a.Join(ns.Token)
	if err != nil || got.ID != ns.Sitting.ID || resume == "" || got.TokenHash != auth.TokenHash(resume) {
		t.Fatalf("first join: %+v %q %v", got, resume, err)
	}
	if _, _, err := a.Join(ns.Token); !errors.Is(err, ErrTokenUsed) {
		t.Fatalf("second join: %v, want ErrTokenUsed", err)
	}
	if byResume, err := st.SittingByTokenHash(auth.TokenHash(resume)); err != nil || byResume.ID != ns.Sitting.ID {
		t.Fatalf("resume token lookup: %v", err)
	}
	// The cabinet still opens with the used join token.
	if c, err := a.CabinetSitting(ns.Token); err != nil || c.ID != ns.Sitting.ID {
		t.Fatalf("cabinet with a used token: %v", err)
	}
	// A new token from HR: the old resume token stops, the new join works.
	fresh, err := a.ReissueToken(ns.Sitting.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SittingByTokenHash(auth.TokenHash(resume)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the old resume token survived a reissue: %v", err)
	}
	if _, _, err := a.Join(fresh); err != nil {
		t.Fatalf("join with the reissued token: %v", err)
	}
}

func TestJoinTokenRefusals(t *testing.T) {
	a, _, ns := setup(t)
	// Forged: signed with another key.
	forged, _, _ := auth.IssueJoin([]byte("not the server's key, 32 bytes.."), string(ns.Sitting.ID), time.Now().Add(time.Hour))
	for name, tok := range map[string]string{"forged": forged, "garbage": "kj1.abc.def", "empty": ""} {
		if _, _, err := a.Join(tok); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: %v, want ErrTokenInvalid", name, err)
		}
		if _, err := a.CabinetSitting(tok); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("cabinet %s: %v", name, err)
		}
	}
	// Expired.
	a.now = func() time.Time { return time.Now().Add(JoinTTL + time.Hour) }
	if _, _, err := a.Join(ns.Token); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired: %v", err)
	}
	// Ended.
	a.now = time.Now
	if _, err := a.store.UpdateSitting(ns.Sitting.ID, func(s *store.Sitting) error { s.State = protocol.StateEnded; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Join(ns.Token); !errors.Is(err, ErrSittingEnded) {
		t.Fatalf("ended: %v", err)
	}
}
