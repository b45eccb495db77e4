package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"kuzet.kz/kuzet/e2e/kit"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/audit"
)

// Everything a sitting produced — events, evidence, recordings — is in the
// audit log after the server stops, the log verifies, and one changed byte
// in a recording is found and named.
func TestSittingIsRecordedLoggedAndVerifies(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dataDir := filepath.Join(t.TempDir(), "server")
	srv := startServer(t, dataDir, freePort(t))
	creds := srv.ready.Demo
	ag := startAgent(t, srv.ready.URL, creds.SittingToken, filepath.Join(t.TempDir(), "agent"))
	sitting := protocol.SittingID(creds.SittingID)
	// A viewer makes the SFU forward (and so record) media as in use.
	proctor, err := kit.Login(srv.ready.URL, creds.ProctorUser, creds.ProctorPassword)
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := proctor.DialViewer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	viewer.Send(&protocol.Subscribe{})
	sub, err := viewer.Watch(ctx, sitting, "v-audit", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := kit.WaitFor(ctx, "4 s of video", func() bool { return sub.Frames.Load() >= 50 }); err != nil {
		t.Fatal(err)
	}
	// Evidence: the pre-check report of every check.
	if err := kit.WaitFor(ctx, "pre-check events", func() bool {
		recs, _ := srv.ready.Store.Records(sitting, 0, 1000)
		for _, r := range recs {
			if r.Event != nil && strings.HasPrefix(r.Event.Subject, "precheck:") && len(r.Event.Evidence) > 0 {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	sub.Close()
	viewer.Close()
	ag.stop(t) // the publisher leaves: its recording segments close and are logged
	srv.stop(t)

	db, err := bolt.Open(filepath.Join(dataDir, "kuzet.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rep := audit.Verify(ctx, db, dataDir)
	if !rep.OK() {
		db.Close()
		t.Fatalf("the log of a normal sitting does not verify: %+v", rep.First())
	}
	kinds := map[audit.Kind]int{}
	var recording string
	var recordingIndex int64 = -1
	db.Close()
	// Count entries by kind through a fresh open of the log.
	db, err = bolt.Open(filepath.Join(dataDir, "kuzet.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := audit.LoadOrCreateKeys(filepath.Join(dataDir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(db, keys, audit.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := l.Entries(string(sitting))
	l.Close()
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		kinds[e.Entry.Kind]++
		if e.Entry.Kind == audit.KindRecording && strings.Contains(e.Entry.Files[0].Path, "camera-") {
			recording = filepath.Join(dataDir, filepath.FromSlash(e.Entry.Files[0].Path))
			recordingIndex = e.Index
		}
	}
	if kinds[audit.KindEvent] == 0 || kinds[audit.KindEvidence] == 0 || kinds[audit.KindRecording] == 0 {
		t.Fatalf("audit entries by kind: %v; want events, evidence and recordings", kinds)
	}
	if ffprobe, err := exec.LookPath("ffprobe"); err == nil {
		out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", recording).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) == "" || strings.HasPrefix(string(out), "0.0") {
			t.Fatalf("ffprobe of %s: %v %s", recording, err, out)
		}
	} else {
		t.Log("could not check playback: ffprobe (Debian package ffmpeg) is missing")
	}
	// Every segment the real server wrote decodes without a warning.
	decodeRecordingsClean(t, filepath.Join(dataDir, "recordings"))

	// One changed byte in the recording is found, naming its entry.
	raw, err := os.ReadFile(recording)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x01
	if err := os.WriteFile(recording, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(filepath.Join(dataDir, "kuzet.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep = audit.Verify(ctx, db, dataDir)
	if rep.OK() {
		t.Fatal("a recording with a flipped byte verified")
	}
	if f := rep.First(); f == nil || f.Index != recordingIndex || !strings.Contains(f.Path, filepath.Base(recording)) {
		t.Fatalf("first failure %v does not name entry %d and its recording %s", rep.First(), recordingIndex, filepath.Base(recording))
	}
}

// decodeRecordingsClean decodes every .webm file under dir with ffmpeg and
// fails on any warning or error it prints (non-monotonic timestamps,
// corrupt frames, a broken index): what an auditor's player would trip on.
func decodeRecordingsClean(t *testing.T, dir string) {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("could not check: ffmpeg not installed (Debian package ffmpeg; scripts/lib.sh installs it)")
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".webm") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no recordings under %s", dir)
	}
	for _, f := range files {
		out, err := exec.Command(ffmpeg, "-nostdin", "-hide_banner", "-v", "warning", "-i", f, "-f", "null", "-").CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("ffmpeg -v warning decode of %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
	t.Logf("%d recordings decode with no ffmpeg warning", len(files))
}
