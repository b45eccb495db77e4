package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadPrecedence(t *testing.T) {
	c, err := Load([]string{"-listen", "127.0.0.1:9000"}, env(map[string]string{
		"KUZET_LISTEN": "127.0.0.1:7000", "KUZET_DATA": "/tmp/k", "KUZET_HEARTBEAT": "1s",
		"KUZET_AUDIT_KEYS": "/etc/kuzet/audit-keys",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9000" {
		t.Errorf("flag should win over env: listen = %s", c.Listen)
	}
	if c.DataDir != "/tmp/k" || c.HeartbeatInterval != time.Second {
		t.Errorf("env not applied: %+v", c)
	}
	if c.AuditKeys != "/etc/kuzet/audit-keys" {
		t.Errorf("KUZET_AUDIT_KEYS not applied: audit keys = %s", c.AuditKeys)
	}
	if c.PublicURL != "http://127.0.0.1:9000" {
		t.Errorf("public url = %s", c.PublicURL)
	}
}

func TestValidateNamesTheProblem(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-listen", "8080"}, nil, "want host:port"},
		{[]string{"-public-url", "proctor.kz"}, nil, "absolute http(s) URL"},
		{[]string{"-rtc-host", "localhost"}, nil, "want an IP address"},
		{[]string{"-heartbeat", "5s", "-agent-lost", "6s"}, nil, "at least two heartbeats"},
		{[]string{"-log-level", "loud"}, nil, "debug, info, warn or error"},
		{nil, map[string]string{"KUZET_RTC_PORT": "many"}, "KUZET_RTC_PORT"},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
		{[]string{"-min-agent-version", "1.4", "-agent-download-url", "https://kuzet.kz/download/"}, nil, "want a release version X.Y.Z"},
		{[]string{"-min-agent-version", "v1.4.0", "-agent-download-url", "https://kuzet.kz/download/"}, nil, "want a release version X.Y.Z"},
		{[]string{"-min-agent-version", "1.4.0"}, nil, "needs -agent-download-url"},
		{[]string{"-agent-download-url", "kuzet.kz/download"}, nil, "absolute http(s) URL"},
	}
	for _, tc := range cases {
		_, err := Load(tc.args, env(tc.env), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%v, %v) error = %v, want it to mention %q", tc.args, tc.env, err, tc.want)
		}
	}
}

// Issue 13: a minimum agent version with where to get it loads as given.
func TestMinAgentVersion(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"KUZET_MIN_AGENT_VERSION": "1.10.0", "KUZET_AGENT_DOWNLOAD_URL": "https://kuzet.kz/download/"}), nil)
	if err == nil {
		err = c.Validate()
	}
	if err != nil && strings.Contains(err.Error(), "agent") {
		t.Fatal(err)
	}
	if c.MinAgentVersion != "1.10.0" || c.AgentDownloadURL != "https://kuzet.kz/download/" {
		t.Fatalf("got %q %q", c.MinAgentVersion, c.AgentDownloadURL)
	}
}

// The audit signing key inside the data directory lets whoever holds the
// data sign a rewritten log; outside -demo the server must refuse it and
// say how to move it.
func TestAuditKeysApartFromData(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	outside := filepath.Join(root, "secrets", "audit")
	link := filepath.Join(root, "link")
	if err := os.MkdirAll(filepath.Join(data, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A symbolic link that leads into the data directory is still inside.
	if err := os.Symlink(filepath.Join(data, "sub"), link); err != nil {
		t.Fatal(err)
	}
	refused := [][]string{
		{"-data", data},
		{"-data", data, "-audit-keys", filepath.Join(data, "keys")},
		{"-data", data, "-audit-keys", data},
		{"-data", data, "-audit-keys", filepath.Join(data, "sub", "..", "keys")},
		{"-data", data, "-audit-keys", link},
	}
	for _, args := range refused {
		_, err := Load(args, env(nil), nil)
		if err == nil {
			t.Errorf("Load(%v) accepted audit keys inside the data directory", args)
			continue
		}
		for _, want := range []string{"inside the data directory", "mv ", "-audit-keys", "KUZET_AUDIT_KEYS"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Load(%v) error %q does not mention %q", args, err, want)
			}
		}
	}
	accepted := []struct {
		args []string
		env  map[string]string
		keys string
	}{
		{[]string{"-data", data, "-demo"}, nil, filepath.Join(data, "keys")},
		{[]string{"-data", data, "-audit-keys", outside}, nil, outside},
		{[]string{"-data", data}, map[string]string{"KUZET_AUDIT_KEYS": outside}, outside},
		// A sibling whose name starts like the data directory is outside it.
		{[]string{"-data", data, "-audit-keys", data + "-keys"}, nil, data + "-keys"},
	}
	for _, tc := range accepted {
		c, err := Load(tc.args, env(tc.env), nil)
		if err != nil {
			t.Errorf("Load(%v, %v) = %v, want it accepted", tc.args, tc.env, err)
			continue
		}
		if c.AuditKeys != tc.keys {
			t.Errorf("Load(%v, %v): audit keys %s, want %s", tc.args, tc.env, c.AuditKeys, tc.keys)
		}
	}
}
