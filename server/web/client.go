package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// client is who sent a request, as the server believes it: the address
// rate limits count, and whether it came over HTTPS.
type client struct {
	addr   netip.Addr
	secure bool
}

type clientKey struct{}

// resolveClient finds the request's client (issue 16, finding 11). Behind
// a reverse proxy every request comes from the proxy, so one bucket would
// hold every candidate: from a proxy listed in TrustedProxies, the client
// is the right-most X-Forwarded-For address that is not itself a trusted
// proxy, and X-Forwarded-Proto says whether the client used HTTPS. From
// anyone else those headers are ignored — a client cannot choose its own
// address.
func (s *Server) resolveClient(r *http.Request) client {
	c := client{secure: r.TLS != nil}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return c
	}
	c.addr = peer.Unmap()
	if !s.trusted(c.addr) {
		return c
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: stop at the last address we trust
		}
		c.addr = a.Unmap()
		if !s.trusted(c.addr) {
			break
		}
	}
	if p := strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")); p != "" {
		c.secure = strings.EqualFold(p, "https")
	}
	return c
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func clientOf(r *http.Request) (client, bool) {
	c, ok := r.Context().Value(clientKey{}).(client)
	return c, ok
}

// ClientKey is the key rate limits count a request's client by: its
// address (through trusted proxies), an IPv6 client by its /64 — one
// household or one phone holds a whole /64, so each of its addresses
// counting apart would make the limit worthless.
func ClientKey(r *http.Request) string {
	c, ok := clientOf(r)
	if !ok || !c.addr.IsValid() {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return host
		}
		c.addr = a.Unmap()
	}
	if c.addr.Is6() {
		p, err := c.addr.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return c.addr.String()
}

// Secure reports whether the request reached us over HTTPS, directly or
// through a trusted TLS-terminating proxy.
func Secure(r *http.Request) bool {
	c, ok := clientOf(r)
	return ok && c.secure || r.TLS != nil
}

func withClient(r *http.Request, c client) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientKey{}, c))
}
