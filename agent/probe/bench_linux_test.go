package probe

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/probe/audio"
	"kuzet.kz/kuzet/agent/probe/probetest"
	"kuzet.kz/kuzet/agent/probe/remote"
)

// cpuTime is the CPU time (user + system) this process and its waited-for
// children (pactl) have used.
func cpuTime(b *testing.B) time.Duration {
	var self, kids syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids); err != nil {
		b.Fatal(err)
	}
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

// benchEnv is the machine of a loaded desktop: 300 more processes, an X
// display and a sound server with a few devices.
func benchEnv(b *testing.B) (Config, []Checker) {
	b.Helper()
	if runtime.GOOS != "linux" {
		b.Skip("benchmark runs on Linux")
	}
	var procs []*exec.Cmd
	b.Cleanup(func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	})
	for i := 0; i < 300; i++ {
		p := exec.Command("sleep", "600")
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		procs = append(procs, p)
	}
	b.Setenv("DISPLAY", probetest.Xvfb(b))
	pa := probetest.PulseAudio(b)
	pa.NullSink(b, "speakers")
	pa.NullSink(b, "hs", "device.form_factor=headset")
	cfg := DefaultConfig()
	cfg.ScreenshotInterval = 0
	cat, err := remote.Load()
	if err != nil {
		b.Fatal(err)
	}
	return cfg, []Checker{
		NewRemoteAccess(cfg, cat, remote.SystemSource{}, runtime.GOOS, quiet()),
		NewRemoteSession(cfg, os.Getenv, "/"),
		NewPactlHeadset(&audio.Pactl{Env: pa.Env, Timeout: cfg.CheckTimeout}),
		NewDisplays(cfg),
	}
}

// BenchmarkFullScan runs every per-second check once (processes and
// sockets, remote session, audio devices, displays) with 300 extra
// processes running, and reports the CPU time of one scan and what it
// would cost polled every second.
func BenchmarkFullScan(b *testing.B) {
	_, cs := benchEnv(b)
	ctx := context.Background()
	for _, c := range cs {
		b.Run(c.Name(), func(b *testing.B) {
			benchChecks(b, ctx, []Checker{c})
		})
	}
	b.Run("all", func(b *testing.B) { benchChecks(b, ctx, cs) })
}

func benchChecks(b *testing.B, ctx context.Context, cs []Checker) {
	for _, c := range cs {
		if r := c.Check(ctx); r.Status == StatusCouldNotCheck {
			b.Fatalf("%s could not check: %v", c.Name(), r.Cause)
		}
	}
	b.ResetTimer()
	start := cpuTime(b)
	for i := 0; i < b.N; i++ {
		for _, c := range cs {
			c.Check(ctx)
		}
	}
	cpu := cpuTime(b) - start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e9*100, "%core@1s")
}

// BenchmarkMonitorSteadyState runs the real Monitor for 10 s per
// iteration on the loaded machine (audio follows pactl subscribe and polls
// every WatchedInterval) and reports the share of one core it used. Run
// it with -benchtime=1x.
func BenchmarkMonitorSteadyState(b *testing.B) {
	cfg, cs := benchEnv(b)
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		m := NewMonitor(cfg, cs, quiet())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx, func(finding.Transition) {}) }()
		time.Sleep(2 * time.Second) // first checks and subscriptions
		start, t0 := cpuTime(b), time.Now()
		time.Sleep(10 * time.Second)
		cpu, wall := cpuTime(b)-start, time.Since(t0)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(cpu)/float64(wall)*100, "%core")
	}
}
