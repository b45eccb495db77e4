package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	agentapp "kuzet.kz/kuzet/agent/app"
)

// essayText is the text of revision r: every save is different and its
// revision can be read back from it.
func essayText(r int64) string {
	return strings.TrimSpace(strings.Repeat("мемлекет ", int(r%200)+1)) + " rev" + strconv.FormatInt(r, 10)
}

type essayAck struct {
	Text     string `json:"text"`
	Revision int64  `json:"revision"`
}

func putEssay(url, token string, rev int64) (essayAck, int, error) {
	body, _ := json.Marshal(map[string]any{"text": essayText(rev), "revision": rev})
	req, _ := http.NewRequest(http.MethodPut, url+"/api/cabinet/essay", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	cl := http.Client{Timeout: 3 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		return essayAck{}, 0, err
	}
	defer resp.Body.Close()
	var a essayAck
	if resp.StatusCode == http.StatusOK {
		err = json.NewDecoder(resp.Body).Decode(&a)
	}
	return a, resp.StatusCode, err
}

// The server is killed (SIGKILL) while a candidate's page saves the essay
// as it is typed (p.115): after it restarts on the same data, the server
// holds at least the newest revision it acknowledged, with that
// revision's exact text, and the page's further saves are taken.
func TestP115_ServerKilledLosesNoAcknowledgedEssaySave(t *testing.T) {
	bin := serverBinary(t)
	data := filepath.Join(t.TempDir(), "server")
	port := freePort(t)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	srv := startServerProcess(t, bin, data, port)
	defer func() { srv.Process.Kill(); srv.Wait() }()
	demo := demoOf(t, data)
	_, token, ok := strings.Cut(demo.EssayCabinet, "#inbox=")
	if !ok || token == "" {
		t.Fatalf("demo.json has no essay cabinet: %q", demo.EssayCabinet)
	}
	// The candidate's agent joins the essay's sitting: the essay is
	// written under proctoring.
	a := startAgentWith(t, url, demo.SittingToken, filepath.Join(t.TempDir(), "agent"), agentapp.Hooks{}, "--mic", "none", "--screen=false", "--no-checks")
	defer a.stop(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, code, _ := putEssay(url, token, 1); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the essay was not accepted within 30 s of the agent starting")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The page saves a new revision every few milliseconds; the newest
	// acknowledged one is remembered.
	var acked, sent atomic.Int64
	acked.Store(1)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		rev := int64(1)
		for {
			select {
			case <-stop:
				return
			default:
			}
			rev++
			sent.Store(rev)
			ack, code, err := putEssay(url, token, rev)
			if err == nil && code == http.StatusOK {
				if ack.Revision < rev {
					panic(fmt.Sprintf("revision %d acknowledged as %d", rev, ack.Revision))
				}
				acked.Store(rev)
			} else {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}()
	time.Sleep(3 * time.Second)
	srv.Process.Kill() // SIGKILL: no shutdown, no flush
	srv.Wait()
	killedAt := acked.Load()
	time.Sleep(time.Second)
	srv = startServerProcess(t, bin, data, port)
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	if killedAt < 20 {
		t.Fatalf("only %d saves were acknowledged before the kill: the test did not exercise the server", killedAt)
	}

	// Read what the restarted server holds.
	req, _ := http.NewRequest(http.MethodGet, url+"/api/cabinet/essay", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var held essayAck
	json.NewDecoder(resp.Body).Decode(&held)
	resp.Body.Close()
	if held.Revision < acked.Load() {
		t.Fatalf("the server holds revision %d, but %d was acknowledged", held.Revision, acked.Load())
	}
	if held.Revision < killedAt {
		t.Fatalf("revision %d was acknowledged before the kill; the restarted server holds %d", killedAt, held.Revision)
	}
	if held.Text != essayText(held.Revision) {
		t.Fatalf("revision %d holds the text of another revision: %q", held.Revision, held.Text[max(0, len(held.Text)-20):])
	}
	t.Logf("acknowledged before the kill: revision %d; after the restart the server holds %d (last sent %d)", killedAt, held.Revision, sent.Load())
	// And saves go on after the restart.
	next := held.Revision + 1
	if ack, code, err := putEssay(url, token, next); err != nil || code != http.StatusOK || ack.Revision != next {
		t.Fatalf("a save after the restart: %+v %d %v", ack, code, err)
	}
}
