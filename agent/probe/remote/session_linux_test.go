package remote

import (
	"context"
	"errors"
	"testing"

	"kuzet.kz/kuzet/agent/probe/probetest"
)

func envOf(m map[string]string) Env { return func(k string) string { return m[k] } }

func TestParseDisplay(t *testing.T) {
	for in, want := range map[string]struct {
		host string
		n    int
	}{":0": {"", 0}, ":1.0": {"", 1}, "localhost:10.0": {"localhost", 10}, "unix:3": {"unix", 3}, "[::1]:12": {"[::1]", 12}} {
		h, n, err := ParseDisplay(in)
		if err != nil || h != want.host || n != want.n {
			t.Errorf("ParseDisplay(%q) = %q %d %v, want %q %d", in, h, n, err, want.host, want.n)
		}
	}
	for _, in := range []string{"", "0", ":x", ":-1", "host:"} {
		if _, _, err := ParseDisplay(in); err == nil {
			t.Errorf("ParseDisplay(%q) accepted", in)
		}
	}
}

func TestDetectSessionFromEnvironment(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		remote bool
		kind   string
		err    error
	}{
		{"ssh", map[string]string{"SSH_CONNECTION": "203.0.113.9 50000 192.0.2.1 22", "DISPLAY": ":0"}, true, "ssh", nil},
		{"xrdp", map[string]string{"XRDP_SESSION": "1", "DISPLAY": ":10"}, true, "rdp", nil},
		{"x11 forwarded over the network", map[string]string{"DISPLAY": "localhost:10.0"}, true, "x11_forwarded", nil},
		{"wayland without X", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, false, "", nil},
		{"no desktop at all", map[string]string{}, false, "", ErrNoSession},
		{"display with no server", map[string]string{"DISPLAY": ":987"}, false, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := DetectSession(context.Background(), envOf(tc.env), "/")
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Remote != tc.remote || s.Kind != tc.kind {
				t.Fatalf("session = %+v, want remote %v kind %q", s, tc.remote, tc.kind)
			}
		})
	}
}

// TestDetectSessionXServers asks about real X servers: a local Xvfb is
// not remote; a TigerVNC X server is.
func TestDetectSessionXServers(t *testing.T) {
	d := probetest.Xvfb(t)
	s, err := DetectSession(context.Background(), envOf(map[string]string{"DISPLAY": d}), "/")
	if err != nil {
		t.Fatal(err)
	}
	if s.Remote || s.Detail["server"] != "Xvfb" {
		t.Fatalf("Xvfb session = %+v, want local with server Xvfb", s)
	}
	port := probetest.FreePort(t, 5900, 5999)
	v := probetest.Xvnc(t, port)
	s, err = DetectSession(context.Background(), envOf(map[string]string{"DISPLAY": v}), "/")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Remote || s.Kind != "vnc" {
		t.Fatalf("Xtigervnc session = %+v, want remote vnc", s)
	}
}
