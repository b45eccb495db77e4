package web

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// PerIP limits how often one client may do something: a token bucket per
// client key (ClientKey: the address through trusted proxies, an IPv6
// client by its /64). When too many clients pile up, the buckets that have
// refilled are forgotten first, then the least recently used (issue 16,
// finding 11: wiping them all let a flood of new addresses reset a busy
// one's limit).
type PerIP struct {
	every time.Duration
	burst int
	// max is how many clients are remembered.
	max int

	mu     sync.Mutex
	limits map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// MaxClients is how many clients a PerIP remembers.
const MaxClients = 10000

// NewPerIP allows bursts of burst, then one every every, per client.
func NewPerIP(every time.Duration, burst int) *PerIP {
	return &PerIP{every: every, burst: burst, max: MaxClients, limits: map[string]*bucket{}}
}

func (p *PerIP) bucket(r *http.Request, now time.Time) *bucket {
	key := ClientKey(r)
	b, ok := p.limits[key]
	if !ok {
		if len(p.limits) >= p.max {
			p.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(p.every), p.burst)}
		p.limits[key] = b
	}
	b.used = now
	return b
}

// evict forgets the buckets that have refilled (they would start full
// anyway) and, if that freed nothing, the one used longest ago.
func (p *PerIP) evict(now time.Time) {
	var oldest string
	for k, b := range p.limits {
		if b.lim.TokensAt(now) >= float64(p.burst) {
			delete(p.limits, k)
			continue
		}
		if oldest == "" || b.used.Before(p.limits[oldest].used) {
			oldest = k
		}
	}
	if len(p.limits) >= p.max && oldest != "" {
		delete(p.limits, oldest)
	}
}

// Allow reports whether the request's client may go on now, and counts it.
func (p *PerIP) Allow(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	return p.bucket(r, now).lim.AllowN(now, 1)
}

// Blocked reports whether the client has used up its allowance, without
// counting the request: for limits that count only failures (Fail).
func (p *PerIP) Blocked(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	return p.bucket(r, now).lim.TokensAt(now) < 1
}

// Fail counts a failed attempt of the client's.
func (p *PerIP) Fail(r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.bucket(r, now).lim.AllowN(now, 1)
}

// limit wraps h so a client over its limit gets 429 with a message.
func (s *Server) limit(p *PerIP, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.Allow(r) {
			s.writeError(w, r, errorf(http.StatusTooManyRequests, "rate_limited", "", "too many requests from this address; wait a little and try again"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
