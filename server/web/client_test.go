package web_test

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
)

func proxyServer(t *testing.T, trusted ...string) (*httptest.Server, *admin.Admin) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var prefixes []netip.Prefix
	for _, p := range trusted {
		prefixes = append(prefixes, netip.MustParsePrefix(p))
	}
	adm := admin.New(st)
	srv, err := web.New(web.Config{Store: st, Admin: adm, Agents: http.NotFoundHandler(), Catalogue: cat, Log: slog.New(slog.DiscardHandler), TrustedProxies: prefixes})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs, adm
}

// post sends body to the login from the client the headers claim.
func post(t *testing.T, base, body string, hdr map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// loginFrom posts a login as user from the client the headers claim.
func loginFrom(t *testing.T, base, user, pass string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/login", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, pass)))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Issue 16, finding 11: behind a reverse proxy every candidate shared the
// proxy's bucket. Failed before: the second client behind the proxy was
// refused (429) for the first one's attempts. From a trusted proxy the
// client is the X-Forwarded-For address; from anyone else the header is
// ignored, so a client cannot pick a fresh address per request.
func TestRateLimitsCountTheClientBehindATrustedProxy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		// want is the second client's answer after the first used up
		// its logins.
		want int
	}{
		{"behind a trusted proxy", []string{"127.0.0.1/32"}, http.StatusBadRequest},
		{"a client claiming addresses itself", nil, http.StatusTooManyRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs, _ := proxyServer(t, tc.trusted...)
			// Every attempt counts, a malformed one too (400 at once,
			// without the slow password check that would let the bucket
			// refill while the test runs).
			a := map[string]string{"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}
			for i := range 10 {
				if code := post(t, hs.URL, "not json", a); code != http.StatusBadRequest {
					t.Fatalf("attempt %d: %d, want 400", i+1, code)
				}
			}
			if code := post(t, hs.URL, "not json", a); code != http.StatusTooManyRequests {
				t.Fatalf("the 11th attempt from one client: %d, want 429", code)
			}
			b := map[string]string{"X-Forwarded-For": "203.0.113.6"}
			if code := post(t, hs.URL, "not json", b); code != tc.want {
				t.Fatalf("another client: %d, want %d", code, tc.want)
			}
		})
	}
}

// Issue 16, finding 12: behind a TLS-terminating proxy the cookies were
// not Secure. Failed before: no Secure, no HSTS.
func TestSecureCookiesBehindATrustedTLSProxy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		secure  bool
	}{
		{"the trusted proxy says https", []string{"127.0.0.0/8"}, true},
		{"an untrusted client says https", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs, adm := proxyServer(t, tc.trusted...)
			if _, err := adm.CreateAccount("hr-1", "a long password 1", store.RoleHR); err != nil {
				t.Fatal(err)
			}
			resp := loginFrom(t, hs.URL, "hr-1", "a long password 1", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("login: %d", resp.StatusCode)
			}
			cookies := resp.Cookies()
			if len(cookies) == 0 {
				t.Fatal("no session cookie")
			}
			if cookies[0].Secure != tc.secure || (resp.Header.Get("Strict-Transport-Security") != "") != tc.secure {
				t.Fatalf("Secure %v, HSTS %q; want secure %v", cookies[0].Secure, resp.Header.Get("Strict-Transport-Security"), tc.secure)
			}
		})
	}
}

// Issue 16, finding 12: a client that sends its request body slowly held
// the connection as long as it liked on routes the server-wide timeout
// did not cover. Now each route has its deadline (WebSockets and
// recordings exempt): the dribbling client is cut off.
func TestASlowClientIsCutOff(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Store: st, Admin: admin.New(st), Agents: http.NotFoundHandler(), Catalogue: cat, Log: slog.New(slog.DiscardHandler),
		RequestTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"username\":")
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				return // the server answered and closed, or just closed
			}
		}
	}()
	// Dribble a byte every 100 ms for up to 10 s.
	for time.Since(start) < 10*time.Second {
		select {
		case <-done:
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("the slow client was cut off only after %v", took)
			}
			return
		case <-time.After(100 * time.Millisecond):
			if _, err := conn.Write([]byte(" ")); err != nil {
				<-done
				return
			}
		}
	}
	t.Fatal("a client dribbling its body held the connection for 10 s")
}
