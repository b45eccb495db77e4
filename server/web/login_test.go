package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestAccountLimit(t *testing.T) {
	a := newAccountLimit()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := 0; i < accountBurst; i++ {
		if limited, _ := a.blocked("Proctor", now); limited {
			t.Fatalf("blocked after %d failures, within the burst", i)
		}
		a.failed("Proctor", now)
	}
	limited, wait := a.blocked("proctor", now) // same account, other case
	if !limited || wait <= 0 || wait > accountEvery {
		t.Fatalf("after %d failures: blocked %v, wait %v; want blocked with a wait up to %v", accountBurst, limited, wait, accountEvery)
	}
	if limited, _ := a.blocked("admin", now); limited {
		t.Fatal("another account was limited by the first one's failures")
	}
	if limited, _ := a.blocked("proctor", now.Add(accountEvery)); limited {
		t.Fatal("still blocked after the wait")
	}
	// The map stays bounded.
	for i := 0; len(a.limits) < maxAccountLimits; i++ {
		a.failed(fmt.Sprintf("user-%d", i), now)
	}
	a.failed("one-more", now.Add(accountEvery*accountBurst))
	if len(a.limits) > maxAccountLimits {
		t.Fatalf("%d buckets, over the cap %d", len(a.limits), maxAccountLimits)
	}
}

func TestPasswordGate(t *testing.T) {
	g := newPasswordGate(2)
	ctx := context.Background()
	for i := range 2 {
		if !g.acquire(ctx, 0) {
			t.Fatalf("free slot %d was refused", i+1)
		}
	}
	start := time.Now()
	if g.acquire(ctx, 50*time.Millisecond) {
		t.Fatal("a third check got in past the cap of 2")
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Fatal("the refused check did not wait")
	}
	go func() { time.Sleep(20 * time.Millisecond); g.release() }()
	if !g.acquire(ctx, time.Second) {
		t.Fatal("a waiting check did not get the released slot")
	}
}

// Changing one's password runs argon2id twice: it takes a slot of the same
// gate as the logins, and is told to come back when the gate is full.
func TestPasswordSlotSharesTheLoginsGate(t *testing.T) {
	s := &Server{checks: newPasswordGate(1)}
	r := &Router{s: s}
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/me/password", nil)
	release, err := r.PasswordSlot(w, req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := r.PasswordSlot(w, req.WithContext(ctx)); err == nil {
		t.Fatal("a second check got a slot of a gate of 1")
	} else if e, ok := err.(*Error); !ok || e.Status != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("refusal: %v, Retry-After %q", err, w.Header().Get("Retry-After"))
	}
	release()
	if _, err := r.PasswordSlot(httptest.NewRecorder(), req); err != nil {
		t.Fatalf("the released slot: %v", err)
	}
}
