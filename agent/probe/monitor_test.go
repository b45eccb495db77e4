package probe

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"strconv"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/probe/audio"
	"kuzet.kz/kuzet/agent/probe/probetest"
	"kuzet.kz/kuzet/agent/probe/remote"
	"kuzet.kz/kuzet/protocol"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// monitor runs m until the test ends and returns its transitions.
func monitor(t *testing.T, m *Monitor) <-chan finding.Transition {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan finding.Transition, 64)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, func(tr finding.Transition) { ch <- tr }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not stop within 10 s of cancel")
		}
	})
	return ch
}

// await waits for a transition of kind on subject and returns when it came.
func await(t *testing.T, ch <-chan finding.Transition, kind protocol.EventKind, subject string, within time.Duration) (finding.Transition, time.Time) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case tr := <-ch:
			if tr.Kind == kind && tr.Subject == subject {
				return tr, time.Now()
			}
		case <-deadline:
			t.Fatalf("no %s of %s within %s", kind, subject, within)
		}
	}
}

func drain(ch <-chan finding.Transition, d time.Duration) {
	end := time.After(d)
	for {
		select {
		case <-ch:
		case <-end:
			return
		}
	}
}

// TestMonitorRemoteProcesses starts real processes under catalogued names
// while the Monitor runs its 1 s loop: each is reported once running and
// its span ends once it exits. The latencies go to docs/bench/probe.md.
func TestMonitorRemoteProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("live process test runs on Linux")
	}
	cfg := DefaultConfig()
	cfg.ScreenshotInterval = 0
	cat, err := remote.Load()
	if err != nil {
		t.Fatal(err)
	}
	ch := monitor(t, NewMonitor(cfg, []Checker{NewRemoteAccess(cfg, cat, remote.SystemSource{}, runtime.GOOS, quiet())}, quiet()))
	drain(ch, 1500*time.Millisecond)
	for _, name := range []string{"anydesk", "teamviewer", "rustdesk"} {
		t0 := time.Now()
		cmd, kill := probetest.Process(t, name)
		tr, at := await(t, ch, protocol.KindStart, "process:"+name, 10*time.Second)
		if tr.Rule != protocol.Rule10_9 || tr.Severity != protocol.SeverityViolation || tr.Args["process"] != name {
			t.Errorf("%s start = %+v", name, tr)
		}
		if len(tr.Evidence) != 1 || tr.Evidence[0].Kind != protocol.EvidenceReport {
			t.Errorf("%s start carries no evidence report", name)
		} else if want := `"pid":"` + strconv.Itoa(cmd.Process.Pid) + `"`; !contains(string(tr.Evidence[0].Data), want) {
			t.Errorf("%s evidence %s lacks %s", name, tr.Evidence[0].Data, want)
		}
		t.Logf("%s: start reported %s after the process started", name, at.Sub(t0).Round(time.Millisecond))
		t1 := time.Now()
		kill()
		_, at = await(t, ch, protocol.KindEnd, "process:"+name, 10*time.Second)
		t.Logf("%s: end reported %s after the process exited", name, at.Sub(t1).Round(time.Millisecond))
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestX11vncDetected serves a real Xvfb display with a real x11vnc: it is
// found both as a process and as a listening VNC port.
func TestX11vncDetected(t *testing.T) {
	d := probetest.Xvfb(t)
	port := probetest.FreePort(t, 5900, 5909)
	vnc := probetest.X11vnc(t, d, port)
	cat, err := remote.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := NewRemoteAccess(DefaultConfig(), cat, remote.SystemSource{}, runtime.GOOS, quiet())
	r := c.Check(context.Background())
	if r.Status != StatusViolation {
		t.Fatalf("status %s (%v), want violation", r.Status, r.Cause)
	}
	byProc, byPort := false, false
	for _, f := range r.Findings {
		switch f.Subject {
		case "process:x11vnc":
			byProc = f.Detail["pid"] == strconv.Itoa(vnc.Process.Pid) && contains(f.Detail["listening"], fmt.Sprintf("tcp/%d", port))
		case fmt.Sprintf("port:tcp/%d", port):
			byPort = f.Detail["process"] == "x11vnc" && contains(f.Detail["tools"], "x11vnc")
		}
	}
	if !byProc || !byPort {
		t.Fatalf("x11vnc by process %v, by port %v: %+v", byProc, byPort, r.Findings)
	}
}

// TestMonitorHeadsetEvents loads sinks into a real PulseAudio daemon while
// the Monitor follows `pactl subscribe`: a headset is reported long before
// the next poll would have found it, and when the daemon stops the check
// reports that it cannot run.
func TestMonitorHeadsetEvents(t *testing.T) {
	pa := probetest.PulseAudio(t)
	pa.NullSink(t, "plain")
	cfg := DefaultConfig()
	cfg.ScreenshotInterval = 0
	cfg.WatchedInterval = time.Minute // only an event can bring the headset in time
	h := NewPactlHeadset(&audio.Pactl{Env: pa.Env, Timeout: cfg.CheckTimeout})
	ch := monitor(t, NewMonitor(cfg, []Checker{h}, quiet()))
	drain(ch, 2*time.Second)
	for _, tc := range []struct{ sink, prop string }{
		{"hs", "device.form_factor=headset"}, {"hp", "device.form_factor=headphone"}, {"bt", "device.bus=bluetooth"},
	} {
		t0 := time.Now()
		pa.NullSink(t, tc.sink, tc.prop)
		tr, at := await(t, ch, protocol.KindStart, "sink:"+tc.sink, 20*time.Second)
		if tr.Rule != protocol.Rule10_10 || tr.Severity != protocol.SeverityViolation {
			t.Errorf("%s start = %+v", tc.sink, tr)
		}
		t.Logf("%s: reported %s after it was loaded", tc.sink, at.Sub(t0).Round(time.Millisecond))
	}
	pa.Stop()
	tr, _ := await(t, ch, protocol.KindStart, "check:headset", 20*time.Second)
	if tr.Severity != protocol.SeverityUnchecked || tr.Key == "" {
		t.Fatalf("after the daemon stopped: %+v, want an unchecked span with a reason", tr)
	}
}

func TestDisplaysChecker(t *testing.T) {
	cfg := DefaultConfig()
	t.Setenv("DISPLAY", probetest.Xvfb(t))
	if r := NewDisplays(cfg).Check(context.Background()); r.Status != StatusOK {
		t.Errorf("one display: %s %v", r.Status, r.Cause)
	}
	t.Setenv("DISPLAY", probetest.Xvfb(t, "-screen", "1", "800x600x24", "+xinerama"))
	r := NewDisplays(cfg).Check(context.Background())
	if r.Status != StatusViolation || len(r.Findings) != 1 || r.Findings[0].Args["count"] != "2" {
		t.Errorf("two displays: %+v", r)
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	if r := NewDisplays(cfg).Check(context.Background()); r.Status != StatusCouldNotCheck || r.Reason == "" {
		t.Errorf("no display: %+v, want could not check", r)
	}
}

// TestScreenEvidence keeps a real screenshot of an Xvfb display.
func TestScreenEvidence(t *testing.T) {
	t.Setenv("DISPLAY", probetest.Xvfb(t))
	shot, rep, err := ScreenEvidence(context.Background(), 320, 60)
	if err != nil {
		t.Fatal(err)
	}
	if shot.MIME != "image/jpeg" || len(shot.Data) < 100 || shot.Data[0] != 0xFF || shot.Data[1] != 0xD8 {
		t.Errorf("screenshot is not a JPEG: %s %d bytes", shot.MIME, len(shot.Data))
	}
	if !contains(string(rep.Data), `"foreground_title":null`) {
		t.Errorf("report %s: no window manager, so no title", rep.Data)
	}
}

func TestMonitorScreenEvidence(t *testing.T) {
	t.Setenv("DISPLAY", probetest.Xvfb(t))
	cfg := DefaultConfig()
	cfg.ScreenshotInterval = time.Second
	ch := monitor(t, NewMonitor(cfg, nil, quiet()))
	tr, _ := await(t, ch, protocol.KindInstant, "screen", 10*time.Second)
	if tr.Rule != protocol.Rule10_11 || len(tr.Evidence) != 2 || tr.Evidence[0].Kind != protocol.EvidenceScreenshot {
		t.Fatalf("screen evidence = %+v", tr)
	}
}

type sys struct {
	procs []remote.Process
	err   error
}

func (s sys) Processes(context.Context) ([]remote.Process, error) { return s.procs, s.err }
func (s sys) Listening(context.Context) ([]remote.Socket, error)  { return nil, nil }
func (s sys) Connections(context.Context, int32) ([]remote.Socket, error) {
	return nil, nil
}

type proc struct {
	pid     int32
	name    string
	nameErr error
}

func (p proc) PID() int32                             { return p.pid }
func (p proc) Name(context.Context) (string, error)   { return p.name, p.nameErr }
func (p proc) Exe(context.Context) (string, error)    { return "/usr/bin/" + p.name, nil }
func (p proc) Args(context.Context) ([]string, error) { return []string{p.name}, nil }

func TestRemoteAccessPolicy(t *testing.T) {
	cat, err := remote.Load()
	if err != nil {
		t.Fatal(err)
	}
	procs := []remote.Process{proc{pid: 100, name: "anydesk"}, proc{pid: 101, name: "anydesk"}, proc{pid: 102, name: "zoom"}, proc{pid: 103, name: "sshd"}}
	cfg := DefaultConfig()
	cfg.Allow = []string{"ZOOM"}
	r := NewRemoteAccess(cfg, cat, sys{procs: procs}, "linux", quiet()).Check(context.Background())
	got := map[string]protocol.Severity{}
	for _, f := range r.Findings {
		got[f.Subject] = f.Severity
	}
	if len(got) != 2 || got["process:anydesk"] != protocol.SeverityViolation || got["process:openssh-server"] != protocol.SeveritySuspected {
		t.Fatalf("findings %v: want anydesk violation, sshd suspected, zoom allowed", got)
	}
	for _, f := range r.Findings {
		if f.Subject == "process:anydesk" && f.Detail["pid"] != "100,101" {
			t.Errorf("anydesk pids = %q, want both processes in one span", f.Detail["pid"])
		}
	}
	cfg.Categories[remote.CategoryRemoteShell] = ActionIgnore
	r = NewRemoteAccess(cfg, cat, sys{procs: procs}, "linux", quiet()).Check(context.Background())
	if len(r.Findings) != 1 {
		t.Errorf("remote shells ignored: %+v", r.Findings)
	}

	// Faults never give ok.
	denied := fmt.Errorf("status: %w", fs.ErrPermission)
	for name, s := range map[string]sys{
		"process list unreadable": {err: fs.ErrPermission},
		"one process unreadable":  {procs: []remote.Process{proc{pid: 1, name: "bash"}, proc{pid: 2, nameErr: denied}}},
	} {
		r := NewRemoteAccess(cfg, cat, s, "linux", quiet()).Check(context.Background())
		if r.Status != StatusCouldNotCheck || r.Reason == "" || r.Cause == nil {
			t.Errorf("%s: %+v, want could not check with reason and cause", name, r)
		}
	}
}

type stuck struct{}

func (stuck) Name() string          { return "stuck" }
func (stuck) Rule() protocol.RuleID { return protocol.Rule10_11 }
func (stuck) Check(ctx context.Context) Result {
	<-ctx.Done()
	return Result{} // a careless checker that says nothing about the timeout
}

func TestCheckAllTimeoutIsNeverOK(t *testing.T) {
	rs := CheckAll(context.Background(), []Checker{stuck{}}, 100*time.Millisecond)
	if rs[0].Status != StatusCouldNotCheck || rs[0].Reason != "probe.unchecked.timeout" {
		t.Fatalf("timed-out check = %+v", rs[0])
	}
}

// TestCheckersLive runs every real checker of this machine once: each
// gives a definite status, and could-not-check always has a reason.
func TestCheckersLive(t *testing.T) {
	cs, err := Checkers(DefaultConfig(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range CheckAll(context.Background(), cs, 3*time.Second) {
		names[r.Check] = true
		switch r.Status {
		case StatusOK, StatusViolation:
		case StatusCouldNotCheck:
			if r.Reason == "" {
				t.Errorf("%s could not check without a reason", r.Check)
			}
		default:
			t.Errorf("%s: status %q", r.Check, r.Status)
		}
		t.Logf("%s: %s %s %v", r.Check, r.Status, r.Reason, r.Cause)
	}
	for _, n := range []string{"remote-access", "remote-session", "headset", "displays", "virtual-machine"} {
		if !names[n] {
			t.Errorf("no %s check", n)
		}
	}
	bad := DefaultConfig()
	bad.MaxDisplays = 0
	if _, err := Checkers(bad, quiet()); err == nil {
		t.Error("Checkers accepted an invalid config")
	}
}
