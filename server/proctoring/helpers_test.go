package proctoring_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/config"
	"kuzet.kz/kuzet/server/internal/apitest"
)

// start runs a real kuzet-server (bbolt file, demo seed) for the test,
// stopped at the end of the test.
func start(t *testing.T, dataDir string) app.Ready {
	t.Helper()
	r, stop := startStoppable(t, dataDir)
	t.Cleanup(stop)
	return r
}

// startStoppable runs a server and returns a function that stops it (once).
func startStoppable(t *testing.T, dataDir string) (app.Ready, func()) {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.PublicURL = "http://127.0.0.1"
	cfg.DataDir = dataDir
	cfg.Demo = true
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("KUZET_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan app.Ready, 1)
	go func() { done <- app.Run(ctx, cfg, log, func(r app.Ready) { ready <- r }) }()
	var r app.Ready
	select {
	case r = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		// Under -race on a busy two-core machine the demo seed's argon2id
		// hashes alone take most of 20 s.
		cancel()
		t.Fatal("server did not start in 60 s")
	}
	var once sync.Once
	return r, func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}

// user is a logged-in staff member.
type user struct {
	t    *testing.T
	base string
	c    *http.Client
}

func login(t *testing.T, base, name, pass string) *user {
	t.Helper()
	u := &user{t: t, base: base, c: apitest.NewHTTP()}
	if code, body := u.do("POST", "/api/login", map[string]string{"username": name, "password": pass}, nil); code != http.StatusOK {
		t.Fatalf("login as %s: %d %s", name, code, body)
	}
	return u
}

type apiError = apitest.Error

// api is u as an API client.
func (u *user) api() *apitest.Client { return &apitest.Client{T: u.t, Base: u.base, HTTP: u.c} }

// do sends a JSON request and decodes the answer into out (if 2xx) and
// returns the status and the raw body.
func (u *user) do(method, path string, body, out any) (int, string) {
	u.t.Helper()
	return u.api().Do(method, path, body, out)
}

// refused checks that a request was refused with status and error code.
func (u *user) refused(method, path string, body any, status int, code string) apiError {
	u.t.Helper()
	return u.api().Refused(method, path, body, status, code)
}

// wsURL turns an http URL into a ws one.
func wsURL(base, path string) string { return "ws" + strings.TrimPrefix(base, "http") + path }

// agent speaks the agent channel over a real WebSocket, as kuzet-agent
// does, so commands travel the real agentlink.
type agent struct {
	t       *testing.T
	ws      *websocket.Conn
	codec   *protocol.Codec
	welcome *protocol.Welcome
	seq     uint64
	wmu     sync.Mutex
	// Commands delivers the commands the server sent.
	commands chan *protocol.Command
	acks     chan uint64
	done     chan struct{}
	// failure is the last error message the server sent and closed the
	// reason the connection ended; read them after done.
	failure *protocol.Error
	closed  error
}

func connectAgent(t *testing.T, base, token string) *agent {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(base, "/v1/agent"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{t: t, ws: ws, codec: protocol.NewCodec(protocol.ServerToAgent, protocol.AgentToServer),
		commands: make(chan *protocol.Command, 64), acks: make(chan uint64, 256), done: make(chan struct{})}
	a.send(&protocol.Hello{Versions: []int{protocol.Version}, Token: token, Agent: protocol.AgentInfo{Version: "test", OS: "linux", Arch: "amd64"}, Lang: "en"})
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.codec.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := m.(*protocol.Welcome)
	if !ok {
		t.Fatalf("first message %T, want welcome", m)
	}
	a.welcome, a.seq = w, w.LastSeq
	_ = ws.SetReadDeadline(time.Time{})
	go a.read()
	t.Cleanup(a.close)
	return a
}

func (a *agent) read() {
	defer close(a.done)
	for {
		_, data, err := a.ws.ReadMessage()
		if err != nil {
			a.closed = err
			return
		}
		m, err := a.codec.Decode(data)
		if err != nil {
			a.closed = err
			return
		}
		switch m := m.(type) {
		case *protocol.Error:
			a.failure = m
		case *protocol.Command:
			a.commands <- m
		case *protocol.Ack:
			a.acks <- m.Seq
		}
	}
}

func (a *agent) send(m protocol.Message) {
	a.t.Helper()
	frame, err := a.codec.Encode(m)
	if err != nil {
		a.t.Fatal(err)
	}
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if err := a.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		a.t.Fatal(err)
	}
}

// event sends an event and waits until the server stored it (its ack).
func (a *agent) event(rule protocol.RuleID, kind protocol.EventKind, sev protocol.Severity, startSeq uint64) uint64 {
	a.t.Helper()
	a.seq++
	a.send(&protocol.Event{Seq: a.seq, Time: time.Now().UTC(), Rule: rule, Kind: kind, Severity: sev, StartSeq: startSeq,
		Subject: "test", Key: "camera.lost"})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-a.acks:
			if s == a.seq {
				return a.seq
			}
		case <-deadline:
			a.t.Fatalf("event %d not acknowledged", a.seq)
		}
	}
}

// command waits for the next command.
func (a *agent) command() *protocol.Command {
	a.t.Helper()
	select {
	case c := <-a.commands:
		return c
	case <-time.After(10 * time.Second):
		a.t.Fatal("the agent received no command in 10 s")
		return nil
	}
}

func (a *agent) close() {
	a.ws.Close()
	<-a.done
}

// candidatePage opens the candidate page's channel with the page token the
// agent was given, and returns the commands it receives.
func candidatePage(t *testing.T, base string, a *agent) <-chan *protocol.Command {
	t.Helper()
	u, err := url.Parse(a.welcome.CandidateURL)
	if err != nil {
		t.Fatal(err)
	}
	frag, _ := url.ParseQuery(u.Fragment)
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(base, "/v1/candidate?t="+url.QueryEscape(frag.Get("t"))), nil)
	if err != nil {
		t.Fatal(err)
	}
	codec := protocol.NewCodec(protocol.ServerToCandidate, protocol.CandidateToServer)
	// The page's subscription exists once its first status arrived.
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("candidate page: %v", err)
		}
		if m, err := codec.Decode(data); err == nil {
			if _, ok := m.(*protocol.Status); ok {
				break
			}
		}
	}
	_ = ws.SetReadDeadline(time.Time{})
	out := make(chan *protocol.Command, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if m, err := codec.Decode(data); err == nil {
				if c, ok := m.(*protocol.Command); ok {
					out <- c
				}
			}
		}
	}()
	t.Cleanup(func() { ws.Close(); <-done })
	return out
}

func pageCommand(t *testing.T, ch <-chan *protocol.Command) *protocol.Command {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the candidate page received no command in 10 s")
		return nil
	}
}

// tempDir is t.TempDir under a name the server may use as its data dir.
func tempDir(t *testing.T) string { return filepath.Join(t.TempDir(), "data") }
