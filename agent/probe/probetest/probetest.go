// Package probetest starts the real programs the system-check tests run
// against — an Xvfb display, a PulseAudio daemon, a process under a
// catalogued name, x11vnc — and stops them when the test ends. A test
// whose program is not installed is skipped with a message naming it.
package probetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Need skips t when a program is not on PATH, naming the Debian package
// that has it.
func Need(t testing.TB, program, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		t.Skipf("%s is not installed (Debian package %s): %v", program, debianPackage, err)
	}
	return p
}

// stop ends cmd's process group and waits for it.
func stop(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	signalGroup(cmd, false)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		signalGroup(cmd, true)
		<-done
	}
}

// Xvfb starts a virtual X server with the given extra arguments (e.g.
// "-screen", "1", "800x600x24", "+xinerama") and returns its display name
// (":N"). It waits until the server accepts connections.
func Xvfb(t testing.TB, args ...string) string {
	t.Helper()
	return xserver(t, Need(t, "Xvfb", "xvfb"), append([]string{"-screen", "0", "800x600x24"}, args...))
}

// Xvnc starts TigerVNC's X server, a display served over VNC on port.
func Xvnc(t testing.TB, port int) string {
	t.Helper()
	return xserver(t, Need(t, "Xtigervnc", "tigervnc-standalone-server"),
		[]string{"-rfbport", strconv.Itoa(port), "-localhost", "-SecurityTypes", "None", "-geometry", "800x600"})
}

func xserver(t testing.TB, bin string, args []string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -noreset: a real desktop always has clients; without them Xvfb
	// would reset between two test connections.
	full := append([]string{"-displayfd", "3", "-nolisten", "tcp", "-noreset"}, args...)
	cmd := exec.Command(bin, full...)
	cmd.ExtraFiles = []*os.File{w}
	ownGroup(cmd)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	w.Close()
	t.Cleanup(func() { stop(cmd) })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("%s did not report its display (%q): %s", bin, s, stderr.String())
		}
		return ":" + strconv.Itoa(n)
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not start in 15 s: %s", bin, stderr.String())
	}
	return ""
}

// Pulse is a private PulseAudio daemon.
type Pulse struct {
	// Dir is its XDG_RUNTIME_DIR (and HOME).
	Dir string
	// Env is the environment that reaches it (for pactl).
	Env []string
	cmd *exec.Cmd
}

// PulseAudio starts a PulseAudio daemon of its own in a private
// XDG_RUNTIME_DIR, with no sinks, and waits until pactl reaches it.
func PulseAudio(t testing.TB) *Pulse {
	t.Helper()
	bin := Need(t, "pulseaudio", "pulseaudio")
	Need(t, "pactl", "pulseaudio-utils")
	// A short path: the socket path must fit in sun_path.
	dir, err := os.MkdirTemp("", "pa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PULSE_SERVER=") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "XDG_RUNTIME_DIR="+dir, "HOME="+dir, "LC_ALL=C")
	cmd := exec.Command(bin, "--daemonize=no", "-n", "--exit-idle-time=-1", "--disable-shm=yes",
		"--use-pid-file=no", "--log-target=stderr", "-L", "module-native-protocol-unix")
	cmd.Env = env
	ownGroup(cmd)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pulseaudio: %v", err)
	}
	p := &Pulse{Dir: dir, Env: env, cmd: cmd}
	t.Cleanup(p.Stop)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := p.Pactl("info"); err == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulseaudio did not start in 15 s: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the daemon (also done at cleanup).
func (p *Pulse) Stop() { stop(p.cmd) }

// Pactl runs pactl against the daemon and returns its output.
func (p *Pulse) Pactl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pactl", args...)
	cmd.Env = p.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("pactl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// NullSink loads a null sink named name with the given sink properties
// (e.g. "device.form_factor=headset") and returns its module index.
func (p *Pulse) NullSink(t testing.TB, name string, props ...string) string {
	t.Helper()
	args := []string{"load-module", "module-null-sink", "sink_name=" + name}
	if len(props) > 0 {
		args = append(args, "sink_properties='"+strings.Join(props, " ")+"'")
	}
	idx, err := p.Pactl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// Process copies a tiny program (/bin/sleep) to a file called name and
// runs it, so the process is a real one with that name and executable
// path. It is killed at cleanup; the returned function kills it earlier.
func Process(t testing.TB, name string) (*exec.Cmd, func()) {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, name)
	src, err := os.Open("/bin/sleep")
	if err != nil {
		t.Skipf("no /bin/sleep to copy (Debian package coreutils): %v", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "300")
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	kill := func() { stop(cmd) }
	t.Cleanup(kill)
	return cmd, kill
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// searching from start upwards.
func FreePort(t testing.TB, start, end int) int {
	t.Helper()
	for p := start; p <= end; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Fatalf("no free TCP port in %d-%d", start, end)
	return 0
}

// X11vnc serves display over VNC on port and waits until it listens.
func X11vnc(t testing.TB, display string, port int) *exec.Cmd {
	t.Helper()
	bin := Need(t, "x11vnc", "x11vnc")
	cmd := exec.Command(bin, "-display", display, "-rfbport", strconv.Itoa(port), "-localhost",
		"-forever", "-shared", "-nopw", "-quiet", "-noxdamage")
	ownGroup(cmd)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start x11vnc: %v", err)
	}
	t.Cleanup(func() { stop(cmd) })
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("x11vnc did not listen on %d in 15 s: %s", port, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Script writes an executable shell script called name into a new
// directory and returns the directory (to put on PATH) and the path. It is
// for fault injection: a pactl that hangs or prints garbage.
func Script(t testing.TB, name, body string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// DBusDaemon starts a private dbus-daemon and returns its address.
func DBusDaemon(t testing.TB) string {
	t.Helper()
	bin := Need(t, "dbus-daemon", "dbus-daemon")
	dir, err := os.MkdirTemp("", "dbus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	addr := "unix:path=" + filepath.Join(dir, "bus")
	cmd := exec.Command(bin, "--session", "--nofork", "--nopidfile", "--print-address=1", "--address="+addr)
	ownGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(cmd) })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon did not print its address: %v", err)
	}
	return strings.TrimSpace(line)
}
