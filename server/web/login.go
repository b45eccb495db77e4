package web

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Each argon2id check takes 64 MiB for its duration, so logins are
// bounded three ways (issue 16 item 3): per address (logins), per account
// (accountLimit, failed attempts) and server-wide (passwordGate). The last bounds memory:
// at most MaxPasswordChecks checks run at once, whatever the number of
// addresses.
const (
	// MaxPasswordChecks is how many password checks run at once.
	MaxPasswordChecks = 2
	// passwordWait is how long a login waits for a free check before it
	// is told to come back (503 with Retry-After).
	passwordWait = 2 * time.Second
	// passwordRetryAfter is the Retry-After, in seconds, of that answer.
	passwordRetryAfter = 2
	// accountBurst failed attempts per account, then one every
	// accountEvery.
	accountBurst = 10
	accountEvery = 30 * time.Second
	// maxAccountLimits caps the usernames remembered; past it the
	// buckets that are full again are forgotten, then the oldest.
	maxAccountLimits = 10000
)

// passwordGate admits a bounded number of password checks at once.
type passwordGate struct{ slots chan struct{} }

func newPasswordGate(n int) *passwordGate { return &passwordGate{slots: make(chan struct{}, n)} }

// acquire waits up to wait (or until ctx ends) for a slot; release must
// follow a true answer.
func (g *passwordGate) acquire(ctx context.Context, wait time.Duration) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (g *passwordGate) release() { <-g.slots }

// accountLimit is a token bucket per username (unknown ones too, so the
// limit does not tell which exist).
type accountLimit struct {
	mu     sync.Mutex
	limits map[string]*accountBucket
}

type accountBucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newAccountLimit() *accountLimit { return &accountLimit{limits: map[string]*accountBucket{}} }

// blocked reports whether username has no failed attempt left, and how
// long until it has one. It takes nothing: only failures count, so staff
// logging in often are never slowed.
func (a *accountLimit) blocked(username string, now time.Time) (bool, time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.limits[strings.ToLower(username)]
	if !ok || b.lim.TokensAt(now) >= 1 {
		return false, 0
	}
	r := b.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return true, d
}

// failed counts a failed attempt for username.
func (a *accountLimit) failed(username string, now time.Time) {
	key := strings.ToLower(username)
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.limits[key]
	if !ok {
		if len(a.limits) >= maxAccountLimits {
			a.evict(now)
		}
		b = &accountBucket{lim: rate.NewLimiter(rate.Every(accountEvery), accountBurst)}
		a.limits[key] = b
	}
	b.used = now
	b.lim.AllowN(now, 1)
}

// evict forgets the buckets that have refilled; if none have, the one
// used longest ago.
func (a *accountLimit) evict(now time.Time) {
	var oldest string
	for k, b := range a.limits {
		if b.lim.TokensAt(now) >= accountBurst {
			delete(a.limits, k)
			continue
		}
		if oldest == "" || b.used.Before(a.limits[oldest].used) {
			oldest = k
		}
	}
	if len(a.limits) >= maxAccountLimits && oldest != "" {
		delete(a.limits, oldest)
	}
}

// retryAfter is d in whole seconds, at least 1, for a Retry-After header.
func retryAfter(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return strconv.Itoa(max(s, 1))
}
