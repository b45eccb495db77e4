package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	agentapp "kuzet.kz/kuzet/agent/app"
	agentconfig "kuzet.kz/kuzet/agent/config"
	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Issue 13: `kuzet-agent join LINK` with the link exactly as the real
// server's cabinet shows it joins the sitting and opens the candidate page
// already bound to it (the opener is swapped: no display here); a browser
// that does not open leaves the candidate the page's address.
func TestJoinWithTheCabinetLink(t *testing.T) {
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	_, inbox, ok := strings.Cut(srv.ready.Demo.EssayCabinet, "#inbox=")
	if !ok {
		t.Fatalf("demo essay cabinet %q has no inbox token", srv.ready.Demo.EssayCabinet)
	}
	req, _ := http.NewRequest("GET", srv.ready.URL+"/api/cabinet/inbox", nil)
	req.Header.Set("Authorization", "Bearer "+inbox)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ib struct {
		Join []struct{ Stage, Link string } `json:"join"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ib)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(ib.Join) == 0 {
		t.Fatalf("inbox: %d %+v %v", resp.StatusCode, ib, err)
	}
	cfg, err := agentconfig.LoadJoin([]string{ib.Join[0].Link, "--camera", "test", "--mic", "test", "--screen=false", "--lang", "en",
		"--data", filepath.Join(t.TempDir(), "agent"), "--width", "320", "--height", "240"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatalf("the cabinet's link %v", err)
	}
	opened := make(chan string, 1)
	defer func(o func(string) error) { agentapp.OpenBrowser = o }(agentapp.OpenBrowser)
	agentapp.OpenBrowser = func(u string) error { opened <- u; return errors.New("no display") }
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- agentapp.Run(ctx, cfg, cat, agentapp.NewTerminal(&out, cat, i18n.EN), testLog(t), agentapp.Hooks{})
	}()
	defer func() { cancel(); <-done }()
	select {
	case u := <-opened:
		if !strings.HasPrefix(u, srv.ready.URL+"/candidate.html#") || !strings.Contains(u, "t=") {
			t.Fatalf("opened %q, want the sitting's candidate page", u)
		}
		want := cat.Text(i18n.EN, i18n.Key("agent.browser_failed"), i18n.Args{"url": u})
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		if err := kit.WaitFor(wctx, "the page's address after the failed browser", func() bool { return strings.Contains(out.String(), want) }); err != nil {
			t.Fatalf("%v; the candidate saw:\n%s", err, out.String())
		}
	case code := <-done:
		t.Fatalf("agent exited %d before opening the page", code)
	case <-time.After(60 * time.Second):
		t.Fatal("the candidate page was not opened in 60 s")
	}
}

// lockedBuffer is a terminal the test reads while the agent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
