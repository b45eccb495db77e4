package e2e

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	agentapp "kuzet.kz/kuzet/agent/app"
	"kuzet.kz/kuzet/agent/camera"
	agentconfig "kuzet.kz/kuzet/agent/config"
	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// TestNoCaptureBeforeConsent: a real agent joins a new sitting and opens
// no camera, publishes nothing and runs no check until the candidate
// agrees in the page (issue 13). A refusal keeps it that way and tells
// the candidate plainly what it means; agreeing afterwards starts the
// camera, the proctor sees the video, and both decisions are in the
// sitting's feed.
func TestNoCaptureBeforeConsent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	demo := srv.ready.Demo
	admin, err := kit.Login(srv.ready.URL, demo.AdminUser, demo.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		ID    protocol.SittingID `json:"id"`
		Token string             `json:"token"`
	}
	if err := admin.Post("/api/sittings", map[string]string{"competition": demo.Competition, "stage": "essay"}, &s); err != nil {
		t.Fatal(err)
	}
	// An administrator watches every sitting.
	viewer := subscribed(t, ctx, admin)

	cfg, err := agentconfig.Load([]string{"--server", srv.ready.URL, "--token", s.Token, "--camera", "test", "--no-browser", "--lang", "en",
		"--data", t.TempDir(), "--width", "320", "--height", "240", "--mic", "test", "--screen=false"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	pages := make(chan string, 1)
	sources := make(chan camera.Source, 1)
	var term lockedBuffer
	actx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		done <- agentapp.Run(actx, cfg, cat, agentapp.NewTerminal(&term, cat, i18n.EN), testLog(t), agentapp.Hooks{
			Page:   func(u string) { pages <- u },
			Source: func(src camera.Source) { sources <- src },
		})
	}()
	defer func() {
		stop()
		<-done
	}()
	var page string
	select {
	case page = <-pages:
	case code := <-done:
		t.Fatalf("the agent exited with %d:\n%s", code, term.String())
	case <-ctx.Done():
		t.Fatal("the agent never joined")
	}
	// Joined, and waiting: the candidate is told where to agree, and for a
	// few seconds nothing is opened or sent.
	if err := kit.WaitFor(ctx, "the consent prompt", func() bool { return strings.Contains(term.String(), "Nothing is recorded until you do.") }); err != nil {
		t.Fatalf("%v:\n%s", err, term.String())
	}
	select {
	case <-sources:
		t.Fatal("the camera opened before consent")
	case <-time.After(3 * time.Second):
	}

	// The refusal: still nothing, and the candidate reads what it means.
	if st, err := kit.Consent(page, false, "kk"); err != nil || !st.Declined {
		t.Fatalf("refusal: %+v %v", st, err)
	}
	if err := kit.WaitFor(ctx, "the refusal explained", func() bool {
		return strings.Contains(term.String(), "You did not consent to proctoring, so nothing is recorded and the stage cannot be taken online.")
	}); err != nil {
		t.Fatalf("%v:\n%s", err, term.String())
	}
	select {
	case <-sources:
		t.Fatal("the camera opened after a refusal")
	case <-time.After(2 * time.Second):
	}
	out := term.String()
	for _, never := range []string{"Hold your identity document"} {
		if strings.Contains(out, never) {
			t.Errorf("the agent printed %q before consent:\n%s", never, out)
		}
	}

	// The agreement: the camera starts and the proctor sees the video.
	if st, err := kit.Consent(page, true, "kk"); err != nil || !st.Given {
		t.Fatalf("consent: %+v %v", st, err)
	}
	select {
	case <-sources:
	case <-time.After(20 * time.Second):
		t.Fatalf("the camera did not start after consent:\n%s", term.String())
	}
	if _, err := viewer.Next(ctx, func(m protocol.Message) bool {
		u, ok := m.(*protocol.SittingUpdate)
		return ok && u.Sitting.ID == s.ID && u.Sitting.Media
	}); err != nil {
		t.Fatalf("media after consent: %v", err)
	}
	var kinds []protocol.ActionKind
	if err := kit.WaitFor(ctx, "both decisions in the feed", func() bool {
		var tl struct {
			Records []protocol.Record `json:"records"`
		}
		kinds = kinds[:0]
		if err := admin.Do("GET", "/api/replay/sittings/"+string(s.ID), nil, &tl); err != nil {
			return false
		}
		for _, r := range tl.Records {
			if r.Action != nil && (r.Action.Kind == protocol.ActionConsent || r.Action.Kind == protocol.ActionConsentDeclined) {
				kinds = append(kinds, r.Action.Kind)
				if r.Action.Actor != "candidate" || !strings.HasSuffix(r.Action.Note, ", read in kk") {
					t.Errorf("consent record %+v", r.Action)
				}
			}
		}
		return len(kinds) == 2
	}); err != nil {
		t.Fatalf("%v: %v", err, kinds)
	}
	if kinds[0] != protocol.ActionConsentDeclined || kinds[1] != protocol.ActionConsent {
		t.Fatalf("the decisions in the feed: %v", kinds)
	}
}
