package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/config"
	"kuzet.kz/kuzet/server/internal/apitest"
)

func start(t testing.TB) app.Ready {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.PublicURL = "http://127.0.0.1"
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Demo = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan app.Ready, 1)
	go func() { done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), func(r app.Ready) { ready <- r }) }()
	var r app.Ready
	select {
	case r = <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return r
}

func client() *http.Client { return apitest.NewHTTP() }

type apiError = apitest.Error

func post(t *testing.T, c *http.Client, url, ctype, body string) (*http.Response, apiError) {
	t.Helper()
	resp, err := c.Post(url, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e apiError
	_ = json.Unmarshal(raw, &e)
	return resp, e
}

func TestLoginAndRoles(t *testing.T) {
	r := start(t)
	c := client()
	login := func(user, pass string) (*http.Response, apiError) {
		b, _ := json.Marshal(map[string]string{"username": user, "password": pass})
		return post(t, c, r.URL+"/api/login", "application/json", string(b))
	}

	resp, e := login(r.Demo.ProctorUser, "wrong password")
	if resp.StatusCode != http.StatusUnauthorized || e.Error.Key != "login.failed" {
		t.Fatalf("wrong password: %d %+v", resp.StatusCode, e)
	}
	resp, e = login("nobody", "whatever-password")
	if resp.StatusCode != http.StatusUnauthorized || e.Error.Key != "login.failed" {
		t.Fatalf("unknown user must look the same as a wrong password: %d %+v", resp.StatusCode, e)
	}
	resp, e = post(t, c, r.URL+"/api/login", "text/plain", `{"username":"a","password":"b"}`)
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("form post accepted: %d %+v", resp.StatusCode, e)
	}
	resp, e = post(t, c, r.URL+"/api/login", "application/json", `{"username":"a","password":"b","admin":true}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error.Message, `unknown field "admin"`) {
		t.Fatalf("unknown field: %d %+v", resp.StatusCode, e)
	}

	// Not logged in: the API and the view channel say so.
	if resp, _ := c.Get(r.URL + "/api/me"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/api/me without login: %d", resp.StatusCode)
	}

	resp, e = login(r.Demo.ProctorUser, r.Demo.ProctorPassword)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %+v", resp.StatusCode, e)
	}
	var ck *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == "kuzet_session" {
			ck = x
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie = %+v, want HttpOnly and SameSite=Strict", ck)
	}
	// A proctor may not create sittings.
	resp, e = post(t, c, r.URL+"/api/sittings", "application/json", `{"competition":"`+r.Demo.Competition+`","stage":"essay"}`)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("proctor created a sitting: %d %+v", resp.StatusCode, e)
	}
	// An administrator may; the new sitting's token is shown once and works.
	admin := client()
	b, _ := json.Marshal(map[string]string{"username": r.Demo.AdminUser, "password": r.Demo.AdminPassword})
	if resp, e := post(t, admin, r.URL+"/api/login", "application/json", string(b)); resp.StatusCode != http.StatusOK {
		t.Fatalf("admin login: %d %+v", resp.StatusCode, e)
	}
	resp, e = post(t, admin, r.URL+"/api/sittings", "application/json", `{"competition":"nope","stage":"essay"}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error.Message, "does not exist") {
		t.Fatalf("sitting of a missing competition: %d %+v", resp.StatusCode, e)
	}
	resp, err := admin.Post(r.URL+"/api/sittings", "application/json", strings.NewReader(`{"competition":"`+r.Demo.Competition+`","stage":"essay"}`))
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID, PIN, Token string }
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || created.Token == "" || len(created.PIN) != 8 {
		t.Fatalf("create sitting: %d %+v", resp.StatusCode, created)
	}
	st, err := r.Store.Sitting(protocol.SittingID(created.ID))
	if err != nil || st.TokenHash == created.Token || strings.Contains(st.TokenHash, created.Token) {
		t.Fatalf("the token must be stored only as a hash: %+v %v", st, err)
	}

	// Logout ends the session.
	post(t, c, r.URL+"/api/logout", "application/json", `{}`)
	if resp, _ := c.Get(r.URL + "/api/me"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/api/me after logout: %d", resp.StatusCode)
	}
}

func TestHeadersHealthAndCatalogue(t *testing.T) {
	r := start(t)
	resp, err := http.Get(r.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("response lacks %s", h)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	resp.Body.Close()
	resp, err = http.Get(r.URL + "/api/i18n")
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]map[string]string
	json.NewDecoder(resp.Body).Decode(&cat)
	resp.Body.Close()
	if cat["rule.10.3.fix"]["kk"] == "" || cat["ui.login.submit"]["ru"] == "" {
		t.Fatalf("catalogue served without rule or UI texts (%d keys)", len(cat))
	}
}

// The view channel resumes: a browser that says which records it has gets
// only the later ones, none twice.
func TestViewChannelResumesWithoutLossOrRepeat(t *testing.T) {
	r := start(t)
	id := protocol.SittingID(r.Demo.SittingID)
	for i := uint64(1); i <= 5; i++ {
		ev := protocol.Event{Seq: i, Time: time.Now().UTC(), Rule: protocol.Rule10_6, Kind: protocol.KindInstant, Subject: "camera",
			Severity: protocol.SeverityInfo, Key: "camera.started"}
		if _, _, err := r.Store.AppendEvent(id, ev, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	c := client()
	b, _ := json.Marshal(map[string]string{"username": r.Demo.ProctorUser, "password": r.Demo.ProctorPassword})
	post(t, c, r.URL+"/api/login", "application/json", string(b))
	hdr := http.Header{}
	for _, ck := range c.Jar.Cookies(mustURL(t, r.URL)) {
		hdr.Add("Cookie", ck.String())
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(r.URL, "http")+"/v1/view", hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	codec := protocol.NewCodec(protocol.ServerToViewer, protocol.ViewerToServer)
	frame, _ := codec.Encode(&protocol.Subscribe{Since: map[protocol.SittingID]uint64{id: 3}})
	ws.WriteMessage(websocket.TextMessage, frame)
	var got []uint64
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		ws.SetReadDeadline(deadline)
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		m, err := codec.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if rec, ok := m.(*protocol.Record); ok {
			got = append(got, rec.N)
		}
	}
	if len(got) != 2 || got[0] != 4 || got[1] != 5 {
		t.Fatalf("resumed from 3 and got records %v, want [4 5]", got)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
