package e2e

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
)

var buildOnce sync.Once
var builtAgent string
var buildErr error

// agentBinary builds kuzet-agent once per test run, for tests that need a
// real process to stop, freeze or kill.
func agentBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kuzet-agent-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtAgent = filepath.Join(dir, "kuzet-agent")
		out, err := exec.Command("go", "build", "-o", builtAgent, "kuzet.kz/kuzet/agent/cmd/kuzet-agent").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build kuzet-agent: %v", buildErr)
	}
	return builtAgent
}

func actionMatch(kind protocol.ActionKind) func(protocol.Message) bool {
	return func(m protocol.Message) bool {
		r, ok := m.(*protocol.Record)
		return ok && r.Action != nil && r.Action.Kind == kind
	}
}

// A frozen agent (its process stopped) is seen as lost within a few
// seconds, as a span the proctor sees; when it thaws it comes back by
// itself and the span ends.
func TestFrozenAgentIsLostAndComesBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	bin := agentBinary(t)
	cmd := exec.Command(bin, "--server", srv.ready.URL, "--token", srv.ready.Demo.SittingToken, "--camera", "test", "--mic", "test",
		"--screen=false", "--no-checks", "--no-browser", "--lang", "en", "--width", "320", "--height", "240", "--data", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	_, viewer := proctorView(t, ctx, srv)
	sitting := protocol.SittingID(srv.ready.Demo.SittingID)
	if _, err := viewer.Next(ctx, func(m protocol.Message) bool {
		u, ok := m.(*protocol.SittingUpdate)
		return ok && u.Sitting.ID == sitting && u.Sitting.State == protocol.StateLive
	}); err != nil {
		t.Fatalf("agent live: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	m, err := viewer.Next(ctx, actionMatch(protocol.ActionAgentLost))
	if err != nil {
		t.Fatalf("agent lost: %v", err)
	}
	// The server's -agent-lost is 3 s in these tests; allow for scheduling.
	if took := time.Since(frozen); took > 10*time.Second {
		t.Fatalf("the frozen agent was seen lost after %v", took)
	}
	if a := m.(*protocol.Record).Action; a.Actor != "system" || a.Note != "silent" {
		t.Fatalf("agent-lost action %+v, want by system, reason silent", a)
	}
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if _, err := viewer.Next(ctx, actionMatch(protocol.ActionAgentBack)); err != nil {
		t.Fatalf("agent back: %v", err)
	}
}

// proxy is a TCP relay the test can cut, as a network outage would: every
// open connection is closed and new ones are refused until Restore.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); io.Copy(up, c); up.Close() }()
		go func() { defer p.wg.Done(); io.Copy(c, up); c.Close() }()
	}
}

// Cut drops every connection and refuses new ones.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Restore accepts connections again.
func (p *proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

func (p *proxy) close() {
	p.Cut()
	p.ln.Close()
	p.wg.Wait()
}

// The network is cut for several minutes in the middle of a stage while
// the camera is lost and restored again and again: when the network is
// back, every event is on the server exactly once, with the time it
// happened, and the proctor sees the outage as an agent-lost span.
// KUZET_CUT sets the outage's length (default 5m, as issue 8 asks).
func TestNetworkCutLosesNothing(t *testing.T) {
	outage := 5 * time.Minute
	if v := os.Getenv("KUZET_CUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("KUZET_CUT=%q: %v", v, err)
		}
		outage = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), outage+3*time.Minute)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	px := newProxy(t, strings.TrimPrefix(srv.ready.URL, "http://"))
	ag := startAgent(t, px.URL(), srv.ready.Demo.SittingToken, filepath.Join(t.TempDir(), "agent"), "--mic", "test", "--screen=false", "--no-checks")
	defer ag.stop(t)
	sitting := protocol.SittingID(srv.ready.Demo.SittingID)
	if err := kit.WaitFor(ctx, "the agent", func() bool { return srv.ready.Link.Connected(sitting) }); err != nil {
		t.Fatal(err)
	}
	_, before, _ := srv.ready.Store.Counters(sitting)

	px.Cut()
	cutAt := time.Now()
	// Three camera losses during the outage, spread over it.
	var stalls []time.Time
	for i := 0; i < 3; i++ {
		time.Sleep(outage / 4)
		stalls = append(stalls, time.Now())
		ag.src.SetStalled(true)
		time.Sleep(3 * time.Second)
		ag.src.SetStalled(false)
	}
	time.Sleep(outage - time.Since(cutAt))
	px.Restore()
	restoredAt := time.Now()

	var starts []protocol.Event
	if err := kit.WaitFor(ctx, "the outage's events", func() bool {
		recs, _ := srv.ready.Store.Records(sitting, 0, 100000)
		starts = starts[:0]
		for _, r := range recs {
			if r.Event != nil && r.Event.Rule == protocol.Rule10_6 && r.Event.Kind == protocol.KindStart && r.Event.Time.After(cutAt) {
				starts = append(starts, *r.Event)
			}
		}
		return len(starts) >= 3
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // anything duplicated would have arrived by now
	recs, err := srv.ready.Store.Records(sitting, before, 100000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	var lost, back *protocol.Action
	for _, r := range recs {
		if r.Event != nil {
			if seen[r.Event.Seq] {
				t.Fatalf("event %d stored twice", r.Event.Seq)
			}
			seen[r.Event.Seq] = true
		}
		if r.Action != nil && r.Action.Kind == protocol.ActionAgentLost && lost == nil {
			lost = r.Action
		}
		if r.Action != nil && r.Action.Kind == protocol.ActionAgentBack {
			back = r.Action
		}
	}
	if len(starts) != 3 {
		t.Fatalf("%d camera-lost events from the outage, want 3", len(starts))
	}
	for i, ev := range starts {
		// Rule 10.6 starts when the last frame came: at the stall.
		if d := ev.Time.Sub(stalls[i]); d < -time.Second || d > time.Second {
			t.Errorf("event %d has time %v, %v from when it happened", ev.Seq, ev.Time, d)
		}
		if ev.Time.After(restoredAt) {
			t.Errorf("event %d is stamped with its arrival, not its time", ev.Seq)
		}
	}
	if lost == nil || back == nil || lost.Time.After(cutAt.Add(15*time.Second)) || back.Time.Before(restoredAt) {
		t.Fatalf("outage as seen by the proctor: lost %+v, back %+v (cut %v, restored %v)", lost, back, cutAt, restoredAt)
	}
}
