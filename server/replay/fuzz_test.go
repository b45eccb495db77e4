package replay_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/replay"
	"kuzet.kz/kuzet/server/store"
)

// FuzzCabinetAppeal sends arbitrary bodies to the candidate's appeal route
// (with the sitting's token, after a violation verdict): the server answers
// 201, 400, 409 or 415 — never a 5xx — and what it stored is plain text
// within the limit.
func FuzzCabinetAppeal(f *testing.F) {
	for _, seed := range []string{
		`{"text":"I did not leave the seat","lang":"kk"}`,
		`{"text":""}`, `{"text":"a\u0000b"}`, `{"text":1}`, `{"text":"x","extra":true}`, `[]`, `{`, ``,
		`{"text":"` + string(bytes.Repeat([]byte("я"), 5000)) + `"}`,
	} {
		f.Add([]byte(seed), "application/json")
	}
	f.Add([]byte(`text=hello`), "application/x-www-form-urlencoded")
	s := newSystem(f)
	recs := s.sittingWithEvents()
	s.publish(protocol.VerdictViolation, recs[3].N)
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		if strings.IndexFunc(ctype, func(r rune) bool { return (r < ' ' && r != '\t') || r == 0x7f }) >= 0 {
			t.Skip("not a header value any client could send")
		}
		req, err := http.NewRequest("POST", s.url+"/api/cabinet/appeal", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusCreated, http.StatusBadRequest, http.StatusConflict, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("body %q (%s): status %d", body, ctype, resp.StatusCode)
		}
		var cab replay.Cabinet
		if code, raw := s.candidate(s.token).in(t).do("GET", "/api/cabinet", nil, &cab); code != http.StatusOK {
			t.Fatalf("cabinet: %d %s", code, raw)
		}
		if cab.Appeal != nil && (cab.Appeal.Text == "" || len(cab.Appeal.Text) > replay.MaxAppealText) {
			t.Fatalf("stored appeal text of %d bytes", len(cab.Appeal.Text))
		}
	})
}

// FuzzSearchPIN sends arbitrary PIN queries: only 200 or 400, never a 5xx,
// and a 200 lists only sittings whose PIN starts with the query.
func FuzzSearchPIN(f *testing.F) {
	for _, seed := range []string{"", "1", "12345678", "1234567890123456", "12ab", "../", "%00", "٣٤"} {
		f.Add(seed)
	}
	s := newSystem(f)
	c := s.login(store.RoleAuditor)
	f.Fuzz(func(t *testing.T, pin string) {
		var res replay.SearchResult
		code, raw := c.in(t).do("GET", "/api/replay/sittings?pin="+url.QueryEscape(pin), nil, &res)
		switch code {
		case http.StatusOK:
			pin := strings.TrimSpace(pin) // the server ignores spaces around the PIN
			for _, st := range res.Sittings {
				if len(st.PIN) < len(pin) || st.PIN[:len(pin)] != pin {
					t.Fatalf("pin %q found %s", pin, st.PIN)
				}
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("pin %q: %d %s", pin, code, raw)
		}
	})
}
