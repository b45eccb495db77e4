package agentlink_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/agentlink"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/ingest"
	"kuzet.kz/kuzet/server/media"
	"kuzet.kz/kuzet/server/roster"
	"kuzet.kz/kuzet/server/store"
)

type fixture struct {
	url   string
	token string
	store *store.Store
	link  *agentlink.Link
	log   *audit.Log
	adm   *admin.Admin
	id    protocol.SittingID
}

func setup(t *testing.T) *fixture { t.Helper(); return setupWith(t, nil) }

// setupWith is setup with the link's configuration changed by with.
func setupWith(t *testing.T, with func(*agentlink.Config)) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.DiscardHandler)
	var ros *roster.Roster
	h := hub.New(func(id protocol.SittingID) { ros.Changed(id) })
	ros = roster.New(st, h, log)
	sfu, err := media.New(media.Config{Host: "127.0.0.1", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sfu.Close() })
	keys, err := audit.LoadOrCreateKeys(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	alog, err := audit.Open(st.DB(), keys, audit.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alog.Close() })
	adm := admin.New(st)
	comp, err := adm.CreateCompetition("test")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := adm.CreateSitting(comp.ID, "essay")
	if err != nil {
		t.Fatal(err)
	}
	cfg := agentlink.Config{Store: st, Tokens: adm, Hub: h, Roster: ros, SFU: sfu, Ingest: ingest.New(st, h, evidence.New(t.TempDir()), alog), Log: log,
		PublicURL: "http://example", Policy: protocol.Policy{HeartbeatMS: 1000, CameraLostMS: 2000}, LostAfter: 5 * time.Second}
	if with != nil {
		with(&cfg)
	}
	link := agentlink.New(cfg)
	srv := httptest.NewServer(link)
	t.Cleanup(func() { link.Shutdown(); srv.Close() })
	return &fixture{url: "ws" + strings.TrimPrefix(srv.URL, "http"), token: ns.Token, store: st, link: link, log: alog, adm: adm, id: ns.Sitting.ID}
}

func dial(t *testing.T, f *fixture) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(f.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

func hello(token string, versions ...int) string {
	if len(versions) == 0 {
		versions = []int{1}
	}
	v, _ := json.Marshal(versions)
	return `{"v":1,"type":"hello","body":{"versions":` + string(v) + `,"token":"` + token + `","agent":{"version":"t","os":"linux","arch":"amd64"},"lang":"en"}}`
}

// helloAs is a hello from an agent of version in lang.
func helloAs(token, version, lang string) string {
	return `{"v":1,"type":"hello","body":{"versions":[1],"token":"` + token + `","agent":{"version":"` + version + `","os":"linux","arch":"amd64"},"lang":"` + lang + `"}}`
}

// expectRefusal reads until the server closes and checks that an error
// message with code came first and the close frame carried closeCode.
func expectRefusal(t *testing.T, ws *websocket.Conn, code protocol.ErrorCode, closeCode int) {
	t.Helper()
	refusal(t, ws, code, closeCode)
}

// refusal is expectRefusal returning the error message.
func refusal(t *testing.T, ws *websocket.Conn, code protocol.ErrorCode, closeCode int) *protocol.Error {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var gotErr *protocol.Error
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("connection ended without a close frame: %v", err)
			}
			if ce.Code != closeCode {
				t.Fatalf("close code %d (%q), want %d", ce.Code, ce.Text, closeCode)
			}
			break
		}
		var env protocol.Envelope
		if json.Unmarshal(data, &env) == nil && env.Type == protocol.TypeError {
			gotErr = new(protocol.Error)
			if err := json.Unmarshal(env.Body, gotErr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if gotErr == nil || gotErr.Code != code || gotErr.Message == "" {
		t.Fatalf("error message = %+v, want code %s with a message", gotErr, code)
	}
	return gotErr
}

func TestRefusals(t *testing.T) {
	f := setup(t)
	cases := []struct {
		name      string
		frames    []string
		binary    bool
		code      protocol.ErrorCode
		closeCode int
	}{
		{"bad token", []string{hello("nope")}, false, protocol.ErrUnauthorized, protocol.CloseUnauthorized},
		{"malformed json", []string{`{"v":1,"type":`}, false, protocol.ErrMalformed, protocol.CloseMalformed},
		{"unknown type", []string{`{"v":1,"type":"shutdown","body":{}}`}, false, protocol.ErrUnknownType, protocol.CloseUnknownType},
		{"wrong envelope version", []string{strings.Replace(hello(f.token), `"v":1`, `"v":9`, 1)}, false, protocol.ErrUnsupportedVersion, protocol.CloseUnsupportedVersion},
		{"no common version", []string{hello(f.token, 7, 8)}, false, protocol.ErrUnsupportedVersion, protocol.CloseUnsupportedVersion},
		{"missing field", []string{`{"v":1,"type":"hello","body":{"token":"x","agent":{},"lang":"en"}}`}, false, protocol.ErrInvalid, protocol.CloseInvalid},
		{"event before hello", []string{`{"v":1,"type":"heartbeat","body":{"time":"2026-11-23T10:00:00Z"}}`}, false, protocol.ErrUnexpected, protocol.CloseUnexpected},
		{"oversize frame", []string{`{"v":1,"type":"offer","body":{"sdp":"v=0` + strings.Repeat("x", protocol.MaxMessageBytes) + `"}}`}, false, protocol.ErrTooLarge, protocol.CloseMessageTooBig},
		{"binary frame", []string{"\x00\x01"}, true, protocol.ErrMalformed, protocol.CloseMalformed},
		{"second hello", []string{hello(f.token), hello(f.token)}, false, protocol.ErrUnexpected, protocol.CloseUnexpected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := dial(t, f)
			typ := websocket.TextMessage
			if tc.binary {
				typ = websocket.BinaryMessage
			}
			for _, fr := range tc.frames {
				if err := ws.WriteMessage(typ, []byte(fr)); err != nil {
					t.Fatal(err)
				}
			}
			expectRefusal(t, ws, tc.code, tc.closeCode)
		})
	}
	// Nothing the clients sent hurt the server: a good agent still
	// connects (with a new join token: "second hello" used the first).
	fresh, err := f.adm.ReissueToken(f.id)
	if err != nil {
		t.Fatal(err)
	}
	ws := dial(t, f)
	if err := ws.WriteMessage(websocket.TextMessage, []byte(hello(fresh))); err != nil {
		t.Fatal(err)
	}
	_, data, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(data), `"type":"welcome"`) {
		t.Fatalf("after the refusals a valid hello got %s, %v", data, err)
	}
}

func TestEventsAreAckedStoredOnceAndEndedSittingsRefused(t *testing.T) {
	f := setup(t)
	ws := dial(t, f)
	codec := protocol.NewCodec(protocol.ServerToAgent, protocol.AgentToServer)
	send := func(m protocol.Message) {
		frame, err := codec.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatal(err)
		}
	}
	read := func() protocol.Message {
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		m, err := codec.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	send(&protocol.Hello{Versions: []int{1}, Token: f.token, Agent: protocol.AgentInfo{Version: "t"}, Lang: "kk"})
	w, ok := read().(*protocol.Welcome)
	if !ok || w.LastSeq != 0 || w.Sitting.PIN == "" || !strings.Contains(w.CandidateURL, "lang=kk") || w.ResumeToken == "" {
		t.Fatalf("welcome = %+v, want one with a resume token", w)
	}
	ev := &protocol.Event{Seq: 1, Time: time.Now().UTC(), Rule: protocol.Rule10_6, Kind: protocol.KindStart, Subject: "camera",
		Severity: protocol.SeverityViolation, Key: "camera.lost"}
	send(ev)
	send(ev) // resent, e.g. after a lost ack
	for i := 0; i < 2; i++ {
		if a, ok := read().(*protocol.Ack); !ok || a.Seq != 1 {
			t.Fatalf("ack %d = %+v", i, a)
		}
	}
	recs, err := f.store.Records(w.Sitting.ID, 0, 10)
	if err != nil || len(recs) != 1 {
		t.Fatalf("stored %d records (%v), want exactly 1", len(recs), err)
	}
	// ... and logged once in the audit log.
	entries, err := f.log.Entries(string(w.Sitting.ID))
	if err != nil || len(entries) != 1 || entries[0].Entry.Kind != audit.KindEvent {
		t.Fatalf("audit entries of the sitting: %+v, %v; want one event", entries, err)
	}

	// The join token opened the sitting once; used again (another
	// computer) it is refused, while the resume token works.
	ws2 := dial(t, f)
	if err := ws2.WriteMessage(websocket.TextMessage, []byte(hello(f.token))); err != nil {
		t.Fatal(err)
	}
	expectRefusal(t, ws2, protocol.ErrUnauthorized, protocol.CloseUnauthorized)
	ws3 := dial(t, f)
	if err := ws3.WriteMessage(websocket.TextMessage, []byte(hello(w.ResumeToken))); err != nil {
		t.Fatal(err)
	}
	if _, data, err := ws3.ReadMessage(); err != nil || !strings.Contains(string(data), `"type":"welcome"`) {
		t.Fatalf("the resume token got %s, %v", data, err)
	}
	ws3.Close()

	// The sitting ends: the resume token no longer opens it.
	if _, err := f.store.UpdateSitting(w.Sitting.ID, func(s *store.Sitting) error { s.State = protocol.StateEnded; return nil }); err != nil {
		t.Fatal(err)
	}
	ws4 := dial(t, f)
	if err := ws4.WriteMessage(websocket.TextMessage, []byte(hello(w.ResumeToken))); err != nil {
		t.Fatal(err)
	}
	expectRefusal(t, ws4, protocol.ErrSittingClosed, protocol.CloseSittingClosed)
}

// Issue 13: with -min-agent-version an agent below it, or a dev build
// without -demo, is refused at hello with its version, the minimum and
// where to download the new one, in the candidate's language (an old agent
// prints the message as it comes). The join token stays unused, so the
// new agent joins with the same link. Versions compare as semver.
func TestAgentBelowTheMinimumVersionIsRefused(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://proctor.example.kz/download/"
	for _, dev := range []bool{false, true} {
		f := setupWith(t, func(c *agentlink.Config) {
			c.MinAgentVersion, c.AgentDownloadURL, c.Catalogue, c.AllowDevAgents = "1.4.0", url, cat, dev
		})
		refused := []string{"1.3.9", "0.1.0", "1.4.0-rc.1"}
		if !dev {
			refused = append(refused, "dev", "", "v0.0.0-20250601100000-3e8b2a7c1d90")
		}
		for i, v := range refused {
			lang := []string{"kk", "ru", "en"}[i%3]
			ws := dial(t, f)
			if err := ws.WriteMessage(websocket.TextMessage, []byte(helloAs(f.token, v, lang))); err != nil {
				t.Fatal(err)
			}
			e := refusal(t, ws, protocol.ErrUnsupportedVersion, protocol.CloseUnsupportedVersion)
			shown := v
			if v == "" {
				shown = "dev"
			}
			want := cat.Text(i18n.Lang(lang), i18n.Key("agent.outdated"), i18n.Args{"version": shown, "minimum": "1.4.0", "url": url})
			if e.Message != want || !strings.Contains(e.Message, url) {
				t.Errorf("version %q (%s): message %q, want %q", v, lang, e.Message, want)
			}
		}
		st, err := f.store.Sitting(f.id)
		if err != nil || st.JoinNonce == "" {
			t.Fatalf("a refused agent used the join token (nonce %q, %v)", st.JoinNonce, err)
		}
		// 1.10.0 is above 1.4.0 (not in string order); with -demo a dev
		// build gets in too.
		ok := "1.10.0"
		if dev {
			ok = "dev"
		}
		ws := dial(t, f)
		if err := ws.WriteMessage(websocket.TextMessage, []byte(helloAs(f.token, ok, "kk"))); err != nil {
			t.Fatal(err)
		}
		_, data, err := ws.ReadMessage()
		if err != nil || !strings.Contains(string(data), `"type":"welcome"`) {
			t.Fatalf("version %s (dev allowed %v) with the same join token got %s, %v", ok, dev, data, err)
		}
	}
}

// A refused join says what to do next in the candidate's language: a
// wrong token in Kazakh and Russian, and in English as before.
func TestJoinRefusalsInTheCandidatesLanguage(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := setupWith(t, func(c *agentlink.Config) { c.Catalogue = cat })
	for lang, want := range map[string]string{
		"kk": "кезең токені жарамсыз",
		"ru": "токен этапа недействителен",
		"en": "the sitting token is not valid: check it against the one your organiser gave for this stage",
	} {
		ws := dial(t, f)
		if err := ws.WriteMessage(websocket.TextMessage, []byte(helloAs("nope", "t", lang))); err != nil {
			t.Fatal(err)
		}
		if e := refusal(t, ws, protocol.ErrUnauthorized, protocol.CloseUnauthorized); !strings.HasPrefix(e.Message, want) {
			t.Errorf("%s: %q, want it to start %q", lang, e.Message, want)
		}
	}
}
