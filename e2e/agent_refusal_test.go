package e2e

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	agentapp "kuzet.kz/kuzet/agent/app"
	agentconfig "kuzet.kz/kuzet/agent/config"
	"kuzet.kz/kuzet/protocol/i18n"
)

// runAgent runs the agent to its end and returns its exit code and what
// the candidate saw in the terminal.
func runAgent(t *testing.T, url, token string) (int, string) {
	t.Helper()
	return runAgentArgs(t, url, token)
}

func runAgentArgs(t *testing.T, url, token string, extra ...string) (int, string) {
	t.Helper()
	args := append([]string{"--server", url, "--token", token, "--camera", "test", "--no-browser",
		"--lang", "en", "--data", filepath.Join(t.TempDir(), "agent"), "--width", "320", "--height", "240", "--screen=false", "--mic", "test"}, extra...)
	cfg, err := agentconfig.Load(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := agentapp.Run(ctx, cfg, cat, agentapp.NewTerminal(&out, cat, i18n.EN), testLog(t), agentapp.Hooks{})
	return code, out.String()
}

func TestAgentSaysWhyItCannotStart(t *testing.T) {
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	cases := []struct {
		name, url, token string
		code             int
		line             string
	}{
		{"wrong token", srv.ready.URL, "not-a-real-token", agentapp.ExitRefused, "The server refused the connection: the sitting token is not valid"},
		{"server unreachable", "http://127.0.0.1:" + strconv.Itoa(freePort(t)), "any", agentapp.ExitFailed, "Could not reach the server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runAgent(t, tc.url, tc.token)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tc.code, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, tc.line) {
				t.Errorf("last line %q, want it to start %q", last, tc.line)
			}
			if len(lines) != 2 { // "Connecting to …" and the one line saying why
				t.Errorf("want exactly two lines, got:\n%s", out)
			}
		})
	}
}
