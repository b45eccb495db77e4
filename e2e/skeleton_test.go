// Package e2e runs Kuzet's parts together the way they run in use: a real
// kuzet-server on loopback with its bbolt file, a real agent on the
// synthetic camera, and a real pion peer watching as a proctor would.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	agentapp "kuzet.kz/kuzet/agent/app"
	"kuzet.kz/kuzet/agent/camera"
	agentconfig "kuzet.kz/kuzet/agent/config"
	"kuzet.kz/kuzet/agent/publish"
	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/config"
)

func testLog(t testing.TB) *slog.Logger {
	if os.Getenv("KUZET_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// server is a running kuzet-server.
type server struct {
	ready  app.Ready
	cancel context.CancelFunc
	done   chan error
}

func startServer(t testing.TB, dataDir string, port int) *server {
	t.Helper()
	return startServerWith(t, dataDir, port, nil)
}

// startServerWith is startServer with the configuration changed by with.
func startServerWith(t testing.TB, dataDir string, port int, with func(*config.Config)) *server {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:" + strconv.Itoa(port)
	cfg.PublicURL = "http://" + cfg.Listen
	cfg.DataDir = dataDir
	cfg.Demo = true
	cfg.HeartbeatInterval = 500 * time.Millisecond
	cfg.AgentLostAfter = 3 * time.Second
	if with != nil {
		with(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{cancel: cancel, done: make(chan error, 1)}
	readyCh := make(chan app.Ready, 1)
	go func() { s.done <- app.Run(ctx, cfg, testLog(t), func(r app.Ready) { readyCh <- r }) }()
	select {
	case s.ready = <-readyCh:
	case err := <-s.done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(90 * time.Second):
		// Under -race on a busy 2-core machine the demo seed (accounts
		// hashed with argon2id, six competitions) takes tens of seconds.
		t.Fatal("server did not start in 90 s")
	}
	return s
}

func (s *server) stop(t testing.TB) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server stopped with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not shut down in 20 s")
	}
}

// agent is a running kuzet-agent on the synthetic camera.
type agent struct {
	src    *camera.Synthetic
	cancel context.CancelFunc
	done   chan int
}

func startAgent(t *testing.T, url, token, dataDir string, extra ...string) *agent {
	t.Helper()
	return startAgentHooked(t, url, token, dataDir, nil, extra...)
}

func startAgentHooked(t *testing.T, url, token, dataDir string, media func(*publish.Publisher), extra ...string) *agent {
	t.Helper()
	return startAgentWith(t, url, token, dataDir, agentapp.Hooks{Media: media}, extra...)
}

func startAgentWith(t *testing.T, url, token, dataDir string, hooks agentapp.Hooks, extra ...string) *agent {
	t.Helper()
	args := append([]string{"--server", url, "--token", token, "--camera", "test", "--no-browser",
		"--lang", "en", "--data", dataDir, "--width", "320", "--height", "240"}, extra...)
	cfg, err := agentconfig.Load(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{done: make(chan int, 1)}
	srcCh := make(chan *camera.Synthetic, 1)
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	// The candidate consents in the page, as a candidate would, unless the
	// test watches the page itself.
	page := hooks.Page
	if page == nil {
		page = func(u string) {
			go func() {
				if _, err := kit.ConsentTLS(u, true, "en", cfg.TLS); err != nil {
					t.Errorf("consent: %v", err)
				}
			}()
		}
	}
	go func() {
		a.done <- agentapp.Run(ctx, cfg, cat, agentapp.NewTerminal(io.Discard, cat, i18n.EN), testLog(t),
			agentapp.Hooks{Source: func(s camera.Source) {
				syn, _ := s.(*camera.Synthetic)
				srcCh <- syn
			}, Media: hooks.Media, Outbox: hooks.Outbox, Uplink: hooks.Uplink, Page: page, Version: hooks.Version})
	}()
	select {
	case a.src = <-srcCh:
	case code := <-a.done:
		t.Fatalf("agent exited with %d before its camera started", code)
	}
	return a
}

func (a *agent) stop(t *testing.T) int {
	t.Helper()
	a.cancel()
	select {
	case code := <-a.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not stop in 20 s")
		return -1
	}
}

func isRecord(rule protocol.RuleID, kind protocol.EventKind) func(protocol.Message) bool {
	return func(m protocol.Message) bool {
		r, ok := m.(*protocol.Record)
		return ok && r.Event != nil && r.Event.Rule == rule && r.Event.Kind == kind
	}
}

// TestLiveProctoringEndToEnd is the walking skeleton: a proctor watches an
// agent's camera through the server, sees the agent's rule 10.6 events, and
// the events survive a server restart.
func TestLiveProctoringEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dataDir := filepath.Join(t.TempDir(), "server")
	port := freePort(t)
	srv := startServer(t, dataDir, port)
	creds := srv.ready.Demo
	if creds == nil {
		t.Fatal("demo credentials missing")
	}
	ag := startAgent(t, srv.ready.URL, creds.SittingToken, filepath.Join(t.TempDir(), "agent"))
	var agentStopped sync.Once
	defer agentStopped.Do(func() { ag.stop(t) })

	proctor, err := kit.Login(srv.ready.URL, creds.ProctorUser, creds.ProctorPassword)
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := proctor.DialViewer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	if err := viewer.Send(&protocol.Subscribe{}); err != nil {
		t.Fatal(err)
	}
	m, err := viewer.Next(ctx, func(m protocol.Message) bool { _, ok := m.(*protocol.Sittings); return ok })
	if err != nil {
		t.Fatal(err)
	}
	list := m.(*protocol.Sittings).Sittings
	if len(list) != 1 || list[0].PIN != creds.PIN || string(list[0].ID) != creds.SittingID {
		t.Fatalf("proctor sees %+v, want the demo sitting with PIN %s", list, creds.PIN)
	}
	sitting := list[0].ID

	// The camera started: an informational 10.6 instant reaches the feed.
	if _, err := viewer.Next(ctx, isRecord(protocol.Rule10_6, protocol.KindInstant)); err != nil {
		t.Fatalf("camera-started event: %v", err)
	}

	// A real pion peer watches and decodes keyframes of the agent's camera.
	sub, err := viewer.Watch(ctx, sitting, "v-test", true)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := kit.WaitFor(ctx, "30 VP8 frames and a decoded keyframe", func() bool {
		return sub.Frames.Load() >= 30 && sub.Keyframes.Load() >= 1
	}); err != nil {
		w, h, derr := sub.Size()
		t.Fatalf("%v (frames %d, keyframes %d, size %dx%d, decode error %v)", err, sub.Frames.Load(), sub.Keyframes.Load(), w, h, derr)
	}
	if w, h, _ := sub.Size(); w != 320 || h != 240 {
		t.Fatalf("decoded keyframe is %dx%d, want 320x240", w, h)
	}
	// The new viewer did not wait for the next periodic keyframe: the
	// server asked the agent for one.
	if n := srv.ready.SFU.Stats().KeyframeRequests; n < 1 {
		t.Fatalf("the SFU sent %d keyframe requests for a new viewer, want at least 1", n)
	}

	// Unplug the camera: rule 10.6 starts, is stored and acked.
	ag.src.SetStalled(true)
	m, err = viewer.Next(ctx, isRecord(protocol.Rule10_6, protocol.KindStart))
	if err != nil {
		t.Fatalf("camera-lost event: %v", err)
	}
	lost := m.(*protocol.Record)
	if lost.Event.Severity != protocol.SeverityViolation || lost.Event.Key != "camera.lost" {
		t.Fatalf("camera-lost record = %+v", lost.Event)
	}
	ag.src.SetStalled(false)
	m, err = viewer.Next(ctx, isRecord(protocol.Rule10_6, protocol.KindEnd))
	if err != nil {
		t.Fatalf("camera-restored event: %v", err)
	}
	restored := m.(*protocol.Record)
	if restored.Event.StartSeq != lost.Event.Seq {
		t.Fatalf("end event closes seq %d, want %d", restored.Event.StartSeq, lost.Event.Seq)
	}
	sub.Close()
	viewer.Close()

	// Restart the server on the same data and port: the events are still
	// there, and the agent reconnects by itself and goes on numbering.
	srv.stop(t)
	srv = startServer(t, dataDir, port)
	defer srv.stop(t)
	recs, err := srv.ready.Store.Records(sitting, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	bySeq := map[uint64]protocol.Event{}
	for _, r := range recs {
		if r.Event != nil {
			bySeq[r.Event.Seq] = *r.Event
		}
	}
	if bySeq[lost.Event.Seq].Kind != protocol.KindStart || bySeq[restored.Event.Seq].Kind != protocol.KindEnd {
		t.Fatalf("after restart the store lacks the 10.6 start and end: %v", bySeq)
	}
	if err := kit.WaitFor(ctx, "the agent to reconnect", func() bool { return srv.ready.Link.Connected(sitting) }); err != nil {
		t.Fatal(err)
	}
	ag.src.SetStalled(true)
	if err := kit.WaitFor(ctx, "a new 10.6 start after the restart", func() bool {
		recs, _ := srv.ready.Store.Records(sitting, 0, 1000)
		for _, r := range recs {
			if r.Event != nil && r.Event.Rule == protocol.Rule10_6 && r.Event.Kind == protocol.KindStart && r.Event.Seq > restored.Event.Seq {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	ag.src.SetStalled(false)
	st, err := srv.ready.Store.Sitting(sitting)
	if err != nil || st.PIN != creds.PIN {
		t.Fatalf("sitting after restart: %+v %v", st, err)
	}
	agentStopped.Do(func() {
		if code := ag.stop(t); code != 0 {
			t.Errorf("agent exit code %d after a normal stop", code)
		}
	})
}
