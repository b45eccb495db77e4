// Command kuzet-agentbench measures the whole agent as a candidate's laptop
// runs it: a real kuzet-agent process on 640×480, 15 fps footage with the
// camera analysis on, the screen (under Xvfb when it is installed), the
// microphone (synthetic room) and the system checks, publishing to a real
// server. It reports the agent's CPU (share of one core), its peak resident
// memory, and the upload by track as the server received it.
//
//	go run ./e2e/cmd/kuzet-agentbench -agent bin/kuzet-agent -footage bin/kuzet-footage
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/config"
)

func main() {
	agentBin := flag.String("agent", "bin/kuzet-agent", "kuzet-agent binary")
	footageBin := flag.String("footage", "bin/kuzet-footage", "kuzet-footage binary")
	size := flag.String("size", "640x480", "camera size")
	fps := flag.Int("fps", 15, "camera frame rate")
	warm := flag.Duration("warmup", 10*time.Second, "warm-up before measuring")
	dur := flag.Duration("duration", 30*time.Second, "measurement window")
	uplink := flag.Int("uplink-kbps", 0, "run the agent on a simulated uplink of this rate (0: unconstrained)")
	profile := flag.String("cpu-profile", "", "also write the agent's CPU profile here")
	flag.Parse()
	if err := run(*agentBin, *footageBin, *size, *fps, *warm, *dur, *uplink, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "kuzet-agentbench:", err)
		os.Exit(1)
	}
}

func run(agentBin, footageBin, size string, fps int, warm, dur time.Duration, uplink int, profile string) error {
	dir, err := os.MkdirTemp("", "kuzet-agentbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	footage := filepath.Join(dir, "footage.y4m")
	if out, err := exec.Command(footageBin, "-o", footage, "-size", size, "-fps", strconv.Itoa(fps),
		"-scene", "face:12s,people=2:4s,away:4s,face:6s").CombinedOutput(); err != nil {
		return fmt.Errorf("footage: %v %s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:" + strconv.Itoa(port)
	cfg.PublicURL = "http://" + cfg.Listen
	cfg.DataDir = filepath.Join(dir, "server")
	cfg.Demo = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readyCh := make(chan app.Ready, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), func(r app.Ready) { readyCh <- r })
	}()
	var ready app.Ready
	select {
	case ready = <-readyCh:
	case err := <-done:
		return err
	}

	env := os.Environ()
	screen := "off (no Xvfb)"
	if xvfb, err := exec.LookPath("Xvfb"); err == nil {
		r, w, _ := os.Pipe()
		x := exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1920x1080x24", "-nolisten", "tcp")
		x.ExtraFiles = []*os.File{w}
		if err := x.Start(); err == nil {
			defer x.Process.Kill()
			w.Close()
			line, _ := bufio.NewReader(r).ReadString('\n')
			env = append(env, "DISPLAY=:"+strings.TrimSpace(line))
			screen = "1920×1080 Xvfb desktop at 1 fps"
		}
	}
	args := []string{"--server", ready.URL, "--token", ready.Demo.SittingToken, "--camera", "file:" + footage, "--mic", "test",
		"--no-browser", "--lang", "en", "--data", filepath.Join(dir, "agent")}
	if uplink > 0 {
		args = append(args, "--uplink-kbps", strconv.Itoa(uplink))
	}
	if profile != "" {
		args = append(args, "--cpu-profile", profile)
	}
	agent := exec.Command(agentBin, args...)
	agent.Env = env
	if err := agent.Start(); err != nil {
		return err
	}
	defer func() { agent.Process.Signal(os.Interrupt); agent.Wait() }()
	time.Sleep(warm)
	cpu0, err := kit.CPUSeconds(agent.Process.Pid)
	if err != nil {
		return err
	}
	s0 := ready.SFU.Stats()
	t0 := time.Now()
	time.Sleep(dur)
	cpu1, _ := kit.CPUSeconds(agent.Process.Pid)
	s1 := ready.SFU.Stats()
	el := time.Since(t0).Seconds()
	rss, hwm := kit.Memory(agent.Process.Pid)
	packets := float64(s1.PacketsIn - s0.PacketsIn)
	payload := float64(s1.BytesIn-s0.BytesIn) * 8 / el / 1000
	// On the wire each packet also carries IPv4 (20), UDP (8) and the SRTP
	// authentication tag (10).
	wire := payload + packets*38*8/el/1000
	fmt.Printf("agent: %s camera at %d fps (footage, analysis at 5 fps), screen %s, synthetic microphone, system checks on\n", size, fps, screen)
	fmt.Printf("| agent CPU (one core) | RSS now / peak | upload (RTP) | upload (on the wire, est.) | by track (RTP kbit/s) |\n")
	fmt.Printf("| ---: | ---: | ---: | ---: | --- |\n")
	var tracks []string
	for name := range s1.BytesByTrack {
		tracks = append(tracks, name)
	}
	sort.Strings(tracks)
	var parts []string
	for _, name := range tracks {
		parts = append(parts, fmt.Sprintf("%s %.0f", name, float64(s1.BytesByTrack[name]-s0.BytesByTrack[name])*8/el/1000))
	}
	fmt.Printf("| %.1f %% | %d / %d MB | %.0f kbit/s | %.0f kbit/s | %s |\n", 100*(cpu1-cpu0)/el, rss>>20, hwm>>20, payload, wire, strings.Join(parts, ", "))
	cancel()
	<-done
	return nil
}
