//go:build linux

package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DetectSession finds whether the agent's session is remote on Linux: the
// SSH and xrdp variables, an X display reached over the network (SSH X11
// forwarding), or a local X display whose server is a VNC or RDP server
// (Xvnc, Xtigervnc, xrdp's Xorg). root is "/" outside tests.
func DetectSession(ctx context.Context, env Env, root string) (Session, error) {
	if s, ok := sessionFromEnv(env); ok {
		return s, nil
	}
	display := env("DISPLAY")
	if display == "" {
		if env("WAYLAND_DISPLAY") != "" {
			return Session{}, nil
		}
		return Session{}, fmt.Errorf("%w: DISPLAY and WAYLAND_DISPLAY are not set", ErrNoSession)
	}
	host, num, err := ParseDisplay(display)
	if err != nil {
		return Session{}, err
	}
	if host != "" && host != "unix" {
		return Session{Remote: true, Kind: "x11_forwarded", Detail: map[string]string{"display": display}}, nil
	}
	pid, err := xServerPID(root, num)
	if err != nil {
		return Session{}, err
	}
	if pid == 0 {
		// Neither a socket nor a lock: the server runs in another mount
		// or network namespace (a container, Flatpak); nothing says it
		// is remote.
		return Session{}, nil
	}
	comm, err := os.ReadFile(filepath.Join(root, "proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Session{}, fmt.Errorf("%w: X server %d of display %s is not running", ErrNoSession, pid, display)
		}
		return Session{}, fmt.Errorf("read X server %d: %w", pid, err)
	}
	name := strings.TrimSpace(string(comm))
	args, _ := os.ReadFile(filepath.Join(root, "proc", strconv.Itoa(pid), "cmdline"))
	detail := map[string]string{"display": display, "server": name, "pid": strconv.Itoa(pid)}
	lname := strings.ToLower(name)
	switch {
	case strings.Contains(lname, "vnc"):
		return Session{Remote: true, Kind: "vnc", Detail: detail}, nil
	case strings.Contains(strings.ToLower(string(args)), "xrdp"):
		return Session{Remote: true, Kind: "rdp", Detail: detail}, nil
	}
	return Session{Detail: detail}, nil
}

// ParseDisplay splits an X display name "[host]:number[.screen]".
func ParseDisplay(d string) (host string, number int, err error) {
	i := strings.LastIndexByte(d, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("display %q is not [host]:number[.screen]", d)
	}
	host, rest := d[:i], d[i+1:]
	if j := strings.IndexByte(rest, '.'); j >= 0 {
		rest = rest[:j]
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return "", 0, fmt.Errorf("display %q: %q is not a display number", d, rest)
	}
	return host, n, nil
}

// xServerPID finds the process of the X server of display num: the peer
// credentials of its socket (abstract or in /tmp/.X11-unix), or else its
// lock file (/tmp/.X<num>-lock; servers started with -displayfd write
// none). It returns 0 when neither exists.
func xServerPID(root string, num int) (int, error) {
	sock := filepath.Join(root, "tmp", ".X11-unix", fmt.Sprintf("X%d", num))
	for _, addr := range []string{"@" + filepath.Join("/tmp", ".X11-unix", fmt.Sprintf("X%d", num)), sock} {
		if pid, err := peerPID(addr); err == nil && pid > 0 {
			return pid, nil
		}
	}
	lock := filepath.Join(root, "tmp", fmt.Sprintf(".X%d-lock", num))
	raw, err := os.ReadFile(lock)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read X server lock %s: %w", lock, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("lock file %s of the X server holds %q, not a process id", lock, strings.TrimSpace(string(raw)))
	}
	return pid, nil
}

// peerPID connects to the unix socket addr ("@name" for the abstract
// namespace) and returns the process id of the listener (SO_PEERCRED).
func peerPID(addr string) (int, error) {
	c, err := net.DialTimeout("unix", addr, time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	raw, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	return int(cred.Pid), nil
}
