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
	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/config"
)

// runAgent runs the agent to its end and returns its exit code and what
// the candidate saw in the terminal.
func runAgent(t *testing.T, url, token string) (int, string) {
	t.Helper()
	return runAgentArgs(t, url, token)
}

func runAgentArgs(t *testing.T, url, token string, extra ...string) (int, string) {
	t.Helper()
	return runAgentAs(t, url, token, agentapp.Hooks{}, i18n.EN, extra...)
}

// runAgentAs is runAgentArgs in lang, with hooks (a version to report).
func runAgentAs(t *testing.T, url, token string, hooks agentapp.Hooks, lang i18n.Lang, extra ...string) (int, string) {
	t.Helper()
	args := append([]string{"--server", url, "--token", token, "--camera", "test", "--no-browser",
		"--lang", string(lang), "--data", filepath.Join(t.TempDir(), "agent"), "--width", "320", "--height", "240", "--screen=false", "--mic", "test"}, extra...)
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
	code := agentapp.Run(ctx, cfg, cat, agentapp.NewTerminal(&out, cat, lang), testLog(t), hooks)
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

// Issue 13: a real kuzet-server with -min-agent-version refuses a real
// agent below it, which tells the candidate in their language (Kazakh
// here) its version, the minimum and where to download the new one, and
// exits non-zero. The refusal comes before the join token is used: the new
// agent joins with the same token.
func TestOldAgentIsToldWhereToGetTheNewOne(t *testing.T) {
	const download = "https://proctor.example.kz/download/"
	srv := startServerWith(t, filepath.Join(t.TempDir(), "server"), freePort(t), func(c *config.Config) {
		c.MinAgentVersion, c.AgentDownloadURL = "1.4.0", download
	})
	defer srv.stop(t)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	token := srv.ready.Demo.SittingToken
	code, out := runAgentAs(t, srv.ready.URL, token, agentapp.Hooks{Version: "1.3.9"}, i18n.KK)
	if code != agentapp.ExitRefused {
		t.Fatalf("exit code %d, want %d; output:\n%s", code, agentapp.ExitRefused, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := cat.Text(i18n.KK, i18n.Key("agent.refused"), i18n.Args{"reason": cat.Text(i18n.KK, i18n.Key("agent.outdated"),
		i18n.Args{"version": "1.3.9", "minimum": "1.4.0", "url": download})})
	if len(lines) != 2 || lines[1] != want {
		t.Fatalf("the candidate saw:\n%s\nwant the connecting line and:\n%s", out, want)
	}
	ag := startAgentWith(t, srv.ready.URL, token, filepath.Join(t.TempDir(), "agent"), agentapp.Hooks{Version: "1.4.0"})
	defer ag.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sitting := protocol.SittingID(srv.ready.Demo.SittingID)
	if err := kit.WaitFor(ctx, "the 1.4.0 agent to join with the same token", func() bool { return srv.ready.Link.Connected(sitting) }); err != nil {
		t.Fatal(err)
	}
}
