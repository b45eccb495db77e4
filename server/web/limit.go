package web

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// PerIP limits how often one client address may do something: a token
// bucket per address, forgotten wholesale when too many addresses pile up
// (an attacker with many addresses is a firewall's job).
type PerIP struct {
	every time.Duration
	burst int

	mu     sync.Mutex
	limits map[string]*rate.Limiter
}

// NewPerIP allows bursts of burst, then one every every, per address.
func NewPerIP(every time.Duration, burst int) *PerIP {
	return &PerIP{every: every, burst: burst, limits: map[string]*rate.Limiter{}}
}

// Allow reports whether the request's address may go on now.
func (p *PerIP) Allow(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	lim, ok := p.limits[host]
	if !ok {
		if len(p.limits) > 10000 {
			p.limits = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Every(p.every), p.burst)
		p.limits[host] = lim
	}
	return lim.Allow()
}

// limit wraps h so an address over its limit gets 429 with a message.
func (s *Server) limit(p *PerIP, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.Allow(r) {
			s.writeError(w, r, errorf(http.StatusTooManyRequests, "rate_limited", "", "too many requests from this address; wait a little and try again"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
