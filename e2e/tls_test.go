package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/config"
)

// The server serves HTTPS with a self-signed certificate; an agent that
// pins its fingerprint connects, one that pins another certificate or
// trusts only the system's CAs refuses to talk to it.
func TestAgentPinsTheServersCertificate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "server")
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfg.DataDir = data
	cfg.Demo = true
	cfg.TLSSelfSigned = true
	cfg.PublicURL = "https://" + cfg.Listen
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	readyCh := make(chan app.Ready, 1)
	go func() { done <- app.Run(ctx, cfg, testLog(t), func(r app.Ready) { readyCh <- r }) }()
	var ready app.Ready
	select {
	case ready = <-readyCh:
	case err := <-done:
		t.Fatal(err)
	}
	defer func() { cancel(); <-done }()
	if !strings.HasPrefix(ready.URL, "https://") {
		t.Fatalf("server URL %s is not HTTPS", ready.URL)
	}
	raw, err := os.ReadFile(filepath.Join(data, "keys", "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	sum := sha256.Sum256(block.Bytes)
	pin := hex.EncodeToString(sum[:])

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"system trust only", nil},
		{"another pin", []string{"--pin-sha256", strings.Repeat("ab", 32)}},
	} {
		code, out := runAgentArgs(t, ready.URL, ready.Demo.SittingToken, tc.args...)
		if code == 0 || !strings.Contains(out, "Could not reach the server") {
			t.Errorf("%s: exit %d, output:\n%s", tc.name, code, out)
		}
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	ag := startAgent(t, ready.URL, ready.Demo.SittingToken, filepath.Join(t.TempDir(), "agent"),
		"--pin-sha256", pin, "--mic", "test", "--screen=false", "--no-checks")
	defer ag.stop(t)
	if err := kit.WaitFor(wctx, "the pinned agent to connect", func() bool {
		return ready.Link.Connected(protocol.SittingID(ready.Demo.SittingID))
	}); err != nil {
		t.Fatal(err)
	}
}
