package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func reqFrom(addr string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = addr
	return r
}

// Issue 16, finding 11: each IPv6 address counted apart (a /64 is one
// household), and past 10 000 addresses every bucket was wiped, so a
// flood of new addresses reset a busy client's limit. Failed before: the
// second address of the /64 had its own bucket, and the busy client was
// allowed again after the flood.
func TestPerIPGroupsIPv6AndEvictsTheLeastRecentlyUsed(t *testing.T) {
	p := NewPerIP(time.Hour, 2)
	a1, a2, other := reqFrom("[2001:db8:1:2::1]:5000"), reqFrom("[2001:db8:1:2:ffff::9]:5001"), reqFrom("[2001:db8:1:3::1]:5000")
	if !p.Allow(a1) || !p.Allow(a2) {
		t.Fatal("the /64's first two requests were refused")
	}
	if p.Allow(a1) || p.Allow(a2) {
		t.Fatal("a third request of the same /64 was allowed: its addresses count apart")
	}
	if !p.Allow(other) {
		t.Fatal("another /64 was refused")
	}
	// Mapped IPv4 is IPv4.
	if k1, k2 := ClientKey(reqFrom("[::ffff:192.0.2.1]:1")), ClientKey(reqFrom("192.0.2.1:2")); k1 != k2 {
		t.Fatalf("mapped %s and plain %s differ", k1, k2)
	}

	// A flood of new clients does not reset the busy one.
	p = NewPerIP(time.Hour, 1)
	p.max = 100
	busy := reqFrom("192.0.2.50:1")
	if !p.Allow(busy) || p.Allow(busy) {
		t.Fatal("the busy client's limit of 1 does not hold")
	}
	for i := range 500 {
		p.Allow(reqFrom(fmt.Sprintf("198.51.%d.%d:1", i/250, i%250)))
		if i%50 == 0 {
			p.Allow(busy) // still trying, so still recently used
		}
	}
	if len(p.limits) > p.max {
		t.Fatalf("%d buckets, over the cap %d", len(p.limits), p.max)
	}
	if p.Allow(busy) {
		t.Fatal("after a flood of new addresses the busy client was allowed again")
	}
}
