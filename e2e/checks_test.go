package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
)

// A remote-access tool started during the stage reaches the proctor as a
// rule 10.9 span with its evidence report, and ends when the tool exits;
// the pre-check the agent ran at the start is in the feed too.
func TestRemoteAccessToolReachesTheProctorWithEvidence(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("could not check: no sleep binary to run under a catalogued name")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := startServer(t, filepath.Join(t.TempDir(), "server"), freePort(t))
	defer srv.stop(t)
	creds := srv.ready.Demo
	ag := startAgent(t, srv.ready.URL, creds.SittingToken, filepath.Join(t.TempDir(), "agent"))
	defer ag.stop(t)
	proctor, err := kit.Login(srv.ready.URL, creds.ProctorUser, creds.ProctorPassword)
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := proctor.DialViewer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	viewer.Send(&protocol.Subscribe{})

	// The pre-check: one instant per check, with the report as evidence.
	m, err := viewer.Next(ctx, func(m protocol.Message) bool {
		r, ok := m.(*protocol.Record)
		return ok && r.Event != nil && r.Event.Subject == "precheck:remote-access"
	})
	if err != nil {
		t.Fatalf("pre-check event: %v", err)
	}
	pre := m.(*protocol.Record).Event
	if len(pre.Evidence) != 1 || pre.Evidence[0].Kind != protocol.EvidenceReport {
		t.Fatalf("pre-check event evidence = %+v", pre.Evidence)
	}

	// "anydesk" starts: a copy of sleep under a catalogued name.
	dir := t.TempDir()
	fake := filepath.Join(dir, "anydesk")
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(fake, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	m, err = viewer.Next(ctx, func(m protocol.Message) bool {
		r, ok := m.(*protocol.Record)
		return ok && r.Event != nil && r.Event.Rule == protocol.Rule10_9 && r.Event.Kind == protocol.KindStart && r.Event.Subject == "process:anydesk"
	})
	if err != nil {
		t.Fatalf("10.9 start: %v", err)
	}
	start := m.(*protocol.Record)
	if start.Event.Severity != protocol.SeverityViolation || len(start.Event.Evidence) == 0 {
		t.Fatalf("10.9 start = %+v", start.Event)
	}
	// The evidence was uploaded before the event and is what its hash says.
	ref := start.Event.Evidence[0]
	resp, err := proctor.HTTP.Get(srv.ready.URL + "/api/sittings/" + string(start.Sitting) + "/evidence/" + ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || int64(len(body)) != ref.Size {
		t.Fatalf("evidence GET: %s, %d bytes (want %d)", resp.Status, len(body), ref.Size)
	}

	cmd.Process.Kill()
	cmd.Wait()
	m, err = viewer.Next(ctx, func(m protocol.Message) bool {
		r, ok := m.(*protocol.Record)
		return ok && r.Event != nil && r.Event.Rule == protocol.Rule10_9 && r.Event.Kind == protocol.KindEnd && r.Event.Subject == "process:anydesk"
	})
	if err != nil {
		t.Fatalf("10.9 end: %v", err)
	}
	if end := m.(*protocol.Record).Event; end.StartSeq != start.Event.Seq {
		t.Fatalf("end closes %d, want %d", end.StartSeq, start.Event.Seq)
	}
}
