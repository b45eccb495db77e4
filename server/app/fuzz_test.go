package app_test

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/authz"
)

// FuzzAPI sends arbitrary bodies and content types to every HTTP route of
// the authorisation table, as every staff role and as nobody, against a
// running server with the demo competition: whatever arrives, the answer
// is a clear 4xx or a success, never a 5xx, and the server keeps serving.
// (WebSocket channels are fuzzed at their decoder: protocol.FuzzDecode.)
func FuzzAPI(f *testing.F) {
	r := start(f)
	roles, clients := staffClients(f, r)
	callers := []*http.Client{{Timeout: 10 * time.Second}}
	for _, role := range roles {
		callers = append(callers, clients[role])
	}
	var routes []string
	for _, rule := range authz.Table() {
		switch {
		case strings.HasPrefix(rule.Route, "GET /v1/"): // WebSocket channels
		case rule.Route == "POST /api/logout": // would log the caller out for the rest of the run
		default:
			routes = append(routes, rule.Route)
		}
	}
	sort.Strings(routes)
	fill := strings.NewReplacer("{id}", r.Demo.SittingID, "{sha}", strings.Repeat("ab", 32), "{n}", "1", "{name}", "none.webm")
	for i := range routes {
		for j := range callers {
			f.Add(uint8(i), uint8(j), []byte(`{}`), "application/json")
		}
	}
	f.Add(uint8(0), uint8(1), []byte(`{"name":"x","stages":[{"kind":"essay"}]}`), "application/json")
	f.Add(uint8(0), uint8(1), []byte(`{"rule":"10.4","text":"`+strings.Repeat("я", 3000)+`"}`), "application/json; charset=utf-8")
	f.Add(uint8(0), uint8(1), []byte(`[1,2,3]`), "text/plain")
	f.Add(uint8(0), uint8(1), []byte("\xff\xfe{"), "")
	f.Fuzz(func(t *testing.T, route, caller uint8, body []byte, ctype string) {
		rt := routes[int(route)%len(routes)]
		method, path, _ := strings.Cut(rt, " ")
		req, err := http.NewRequest(method, r.URL+fill.Replace(path), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", strings.Map(func(c rune) rune {
			if c < ' ' || c == 0x7f {
				return -1
			}
			return c
		}, ctype))
		resp, err := callers[int(caller)%len(callers)].Do(req)
		if err != nil {
			t.Fatalf("%s: the server did not answer: %v", rt, err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		if resp.StatusCode >= 500 {
			t.Fatalf("%s (caller %d) with %q, Content-Type %q: %d %s", rt, int(caller)%len(callers), body, ctype, resp.StatusCode, msg)
		}
	})
}
