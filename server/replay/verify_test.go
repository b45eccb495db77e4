package replay_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/archive"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/replay"
	"kuzet.kz/kuzet/server/store"
)

// record makes real camera media for the sitting — VP8 from libvpx,
// packetized as the agent's sender does — and sends it through the real
// archive (the SFU's tap), so WebM segments are written and logged exactly
// as in the server. It returns when the segment's entry is in the log.
func (s *system) record(frames int) {
	s.t.Helper()
	p, err := vpx.NewVP8Params()
	if err != nil {
		s.t.Fatal(err)
	}
	p.BitRate, p.KeyFrameInterval, p.LagInFrames = 200000, 30, 0
	const w, h, fps = 160, 120, 10
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	n := 0
	enc, err := p.BuildVideoEncoder(video.ReaderFunc(func() (image.Image, func(), error) {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.Y[y*img.YStride+x] = uint8((x + 2*y + 5*n) % 256)
			}
		}
		n++
		return img, func() {}, nil
	}), prop.Media{Video: prop.Video{Width: w, Height: h, FrameRate: fps}})
	if err != nil {
		s.t.Fatalf("vp8 encoder: %v", err)
	}
	defer enc.Close()
	arch := archive.New(archive.Config{DataDir: s.dir, Log: s.log, Logger: slog.New(slog.DiscardHandler),
		RequestKeyframe: func(protocol.SittingID) {
			if kc, ok := enc.Controller().(codec.KeyFrameController); ok {
				_ = kc.ForceKeyFrame()
			}
		}})
	pack := rtp.NewPacketizer(1200, 96, 0x4242, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)
	for range frames {
		b, release, err := enc.Read()
		if err != nil {
			s.t.Fatal(err)
		}
		frame := append([]byte(nil), b...)
		release()
		if len(frame) == 0 {
			pack.SkipSamples(90000 / fps)
			continue
		}
		for _, pkt := range pack.Packetize(frame, 90000/fps) {
			arch.Tap(s.id(), "camera", pkt)
		}
	}
	arch.Stop(s.id())
	arch.Close() // waits until every closed segment is logged
}

// tamperable is a sitting with everything a tamper can hit: events with an
// evidence file, a recording segment, a warning and a published verdict.
func tamperable(t *testing.T) (*system, []protocol.Record) {
	s := newSystem(t)
	recs := s.sittingWithEvents()
	s.record(30)
	recs = append(recs, s.publish(protocol.VerdictViolation, recs[3].N))
	return s, recs
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// update changes the bbolt file behind the server's back, as an intruder
// with the file would.
func (s *system) update(fn func(tx *bolt.Tx) error) {
	s.t.Helper()
	if err := s.st.DB().Update(fn); err != nil {
		s.t.Fatal(err)
	}
}

func (s *system) verify() replay.Verification {
	s.t.Helper()
	var v replay.Verification
	if code, body := s.login(store.RoleAuditor).do("GET", "/api/replay/sittings/"+string(s.id())+"/verify", nil, &v); code != http.StatusOK {
		s.t.Fatalf("verify: %d %s", code, body)
	}
	return v
}

func TestVerifyCleanSitting(t *testing.T) {
	s, recs := tamperable(t)
	v := s.verify()
	if !v.OK || !v.Checked || v.Problem != nil || v.Checkpoint == nil || v.Checkpoint.Number < 1 {
		t.Fatalf("a clean sitting: %+v", v)
	}
	if v.Entries != len(s.entries()) || v.Files != 2 || v.Records != len(recs) {
		t.Fatalf("checked %d entries, %d files, %d records; want %d, 2 (snapshot and segment), %d", v.Entries, v.Files, v.Records, len(s.entries()), len(recs))
	}
	// The checkpoint covers the whole sitting and its signature opens with
	// the key it names.
	keys, err := audit.ParseVerifierKey(v.Checkpoint.Key)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.OpenCheckpoint([]byte(v.Checkpoint.Signed), keys.Verifier)
	if err != nil || cp.Number != v.Checkpoint.Number || cp.Size <= s.entries()[len(s.entries())-1].Index {
		t.Fatalf("checkpoint %+v: %v", cp, err)
	}
}

// Every kind of tampering is found, and the badge names the entry (or the
// record) at fault.
func TestVerifyNamesTheTamperedEntry(t *testing.T) {
	isEvent := func(seq int) func(audit.Entry) bool {
		return func(e audit.Entry) bool {
			return e.Kind == audit.KindEvent && strings.Contains(string(e.Data), `"seq":`+strconv.Itoa(seq)+`,`)
		}
	}
	isKind := func(k audit.Kind) func(audit.Entry) bool { return func(e audit.Entry) bool { return e.Kind == k } }
	cases := []struct {
		name string
		// tamper changes the system and returns the entry index the
		// badge must name (or -1) and the record (or 0).
		tamper func(s *system, recs []protocol.Record) (int64, uint64)
		reason audit.Reason
	}{
		{"a byte of an entry", func(s *system, _ []protocol.Record) (int64, uint64) {
			i := s.indexOf(isEvent(1))
			s.update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("audit.entries"))
				v := bytes.Replace(b.Get(u64(uint64(i))), []byte(`"subject":"camera"`), []byte(`"subject":"cbmera"`), 1)
				return b.Put(u64(uint64(i)), v)
			})
			return i, 0
		}, audit.ReasonProof},
		{"an entry damaged beyond reading", func(s *system, _ []protocol.Record) (int64, uint64) {
			i := s.indexOf(isEvent(3))
			s.update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("audit.entries"))
				v := append([]byte(nil), b.Get(u64(uint64(i)))...)
				v[0] = '['
				return b.Put(u64(uint64(i)), v)
			})
			return i, 0
		}, ""},
		{"a byte of the evidence file", func(s *system, _ []protocol.Record) (int64, uint64) {
			i := s.indexOf(isKind(audit.KindEvidence))
			e, _ := s.log.Entry(i)
			flipByte(t, s.dataFile(e.Entry.Files[0].Path), -1)
			return i, 0
		}, audit.ReasonFileChanged},
		{"a byte of the recording", func(s *system, _ []protocol.Record) (int64, uint64) {
			i := s.indexOf(isKind(audit.KindRecording))
			e, _ := s.log.Entry(i)
			flipByte(t, s.dataFile(e.Entry.Files[0].Path), -1)
			return i, 0
		}, audit.ReasonFileChanged},
		{"the recording deleted without a retention entry", func(s *system, _ []protocol.Record) (int64, uint64) {
			i := s.indexOf(isKind(audit.KindRecording))
			e, _ := s.log.Entry(i)
			if err := os.Remove(s.dataFile(e.Entry.Files[0].Path)); err != nil {
				t.Fatal(err)
			}
			return i, 0
		}, audit.ReasonFileMissing},
		{"a removed entry", func(s *system, _ []protocol.Record) (int64, uint64) {
			i := s.indexOf(isEvent(2))
			s.update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("audit.entries")).Delete(u64(uint64(i))) })
			return i, 0
		}, ""},
		{"two entries swapped", func(s *system, _ []protocol.Record) (int64, uint64) {
			i, j := s.indexOf(isEvent(2)), s.indexOf(isEvent(3))
			s.update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("audit.entries"))
				vi, vj := append([]byte(nil), b.Get(u64(uint64(i)))...), append([]byte(nil), b.Get(u64(uint64(j)))...)
				if err := b.Put(u64(uint64(i)), vj); err != nil {
					return err
				}
				return b.Put(u64(uint64(j)), vi)
			})
			return i, 0
		}, ""},
		{"a record changed in the store", func(s *system, recs []protocol.Record) (int64, uint64) {
			n := recs[2].N // the 10.8 instant
			s.update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("events")).Bucket([]byte(s.id())).Bucket([]byte("records"))
				v := bytes.Replace(b.Get(u64(n)), []byte(`"severity":"suspected"`), []byte(`"severity":"info"`), 1)
				return b.Put(u64(n), v)
			})
			return s.indexOf(isEvent(3)), n
		}, replay.ReasonRecordChanged},
		{"a record removed from the store", func(s *system, recs []protocol.Record) (int64, uint64) {
			n := recs[4].N // the warning
			s.update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("events")).Bucket([]byte(s.id())).Bucket([]byte("records")).Delete(u64(n))
			})
			return s.indexOf(isKind(audit.KindAction)), 0
		}, replay.ReasonRecordMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, recs := tamperable(t)
			if v := s.verify(); !v.OK {
				t.Fatalf("before tampering: %+v", v.Problem)
			}
			index, record := tc.tamper(s, recs)
			v := s.verify()
			if v.OK || v.Problem == nil {
				t.Fatalf("tampering (%s) not detected: %+v", tc.name, v)
			}
			p := v.Problem
			if p.Index != index || (tc.reason != "" && p.Reason != tc.reason) || p.Record != record {
				t.Fatalf("first problem = entry %d record %d %s (%s); want entry %d record %d %s", p.Index, p.Record, p.Reason, p.Detail, index, record, tc.reason)
			}
			// The badge's text names the entry (or the record) in every language.
			for _, l := range i18n.Langs() {
				msg := p.Message[l]
				if !strings.Contains(msg, strconv.FormatInt(index, 10)) || strings.HasPrefix(msg, "[") {
					t.Errorf("%s message %q does not name entry %d", l, msg, index)
				}
			}
		})
	}
}

// The proofs the server gives verify with nothing but the checkpoint and
// the key (audit.CheckInclusion), and a changed entry does not.
func TestProofsVerify(t *testing.T) {
	s, _ := tamperable(t)
	c := s.login(store.RoleAuditor)
	var pr replay.Proofs
	if code, body := c.do("GET", "/api/replay/sittings/"+string(s.id())+"/proofs", nil, &pr); code != http.StatusOK {
		t.Fatalf("proofs: %d %s", code, body)
	}
	keys, err := audit.ParseVerifierKey(pr.Checkpoint.Key)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.OpenCheckpoint([]byte(pr.Checkpoint.Signed), keys.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Entries) != len(s.entries()) {
		t.Fatalf("%d proofs for %d entries", len(pr.Entries), len(s.entries()))
	}
	for _, ln := range pr.Entries {
		if err := audit.CheckInclusion(cp, ln.Index, ln.Entry, ln.Proof); err != nil {
			t.Fatalf("entry %d: %v", ln.Index, err)
		}
		e, err := audit.Decode(ln.Entry)
		if err != nil || e.Sitting != string(s.id()) {
			t.Fatalf("entry %d: %v, sitting %q", ln.Index, err, e.Sitting)
		}
		bad := append([]byte(nil), ln.Entry...)
		bad[len(bad)/2] ^= 1
		if err := audit.CheckInclusion(cp, ln.Index, bad, ln.Proof); err == nil {
			t.Fatalf("entry %d with a flipped byte verifies", ln.Index)
		}
	}

	// A later checkpoint extends this one: its consistency proof checks.
	s.action(protocol.Action{Kind: protocol.ActionMessage, Time: base.Add(time.Hour), Note: "later"})
	if _, err := s.log.Checkpoint(contextFor(t)); err != nil {
		t.Fatal(err)
	}
	var ans replay.CheckpointAnswer
	if code, body := c.do("GET", fmt.Sprintf("/api/replay/checkpoint?from=%d", cp.Size), nil, &ans); code != http.StatusOK {
		t.Fatalf("checkpoint: %d %s", code, body)
	}
	newer, err := audit.OpenCheckpoint([]byte(ans.Checkpoint.Signed), keys.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if newer.Number <= cp.Number || newer.Size <= cp.Size {
		t.Fatalf("newer checkpoint %d (size %d) after %d (size %d)", newer.Number, newer.Size, cp.Number, cp.Size)
	}
	if err := audit.CheckConsistency(cp, newer, ans.Consistency); err != nil {
		t.Fatalf("consistency: %v", err)
	}
	if err := audit.CheckConsistency(cp, newer, tlog.TreeProof{}); err == nil {
		t.Fatal("an empty consistency proof verifies")
	}
	for _, bad := range []string{"0", "-1", "x", strconv.FormatInt(newer.Size+1, 10)} {
		c.refused("GET", "/api/replay/checkpoint?from="+bad, nil, http.StatusBadRequest, "invalid")
	}
}

// Recording segments stream with Range requests (seeking), only the ones
// the sitting's log names.
func TestRecordingStreamsWithRange(t *testing.T) {
	s, _ := tamperable(t)
	c := s.login(store.RoleAuditor)
	var tl replay.Timeline
	if code, body := c.do("GET", "/api/replay/sittings/"+string(s.id()), nil, &tl); code != http.StatusOK {
		t.Fatalf("timeline: %d %s", code, body)
	}
	if len(tl.Recordings) != 1 {
		t.Fatalf("recordings = %+v, want one camera segment", tl.Recordings)
	}
	rec := tl.Recordings[0]
	if rec.Kind != "camera" || !rec.Video || rec.URL == "" || rec.Size < 1000 || !rec.End.After(rec.Start) {
		t.Fatalf("recording = %+v", rec)
	}
	whole, err := os.ReadFile(s.dataFile("recordings/" + string(s.id()) + "/" + rec.Name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(whole, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		t.Fatal("the segment is not an EBML (WebM) file")
	}
	get := func(rng string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", s.url+rec.URL, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, b := get("")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(b, whole) || resp.Header.Get("Content-Type") != "video/webm" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("whole file: %d, %d bytes, type %q, ranges %q", resp.StatusCode, len(b), resp.Header.Get("Content-Type"), resp.Header.Get("Accept-Ranges"))
	}
	resp, b = get("bytes=100-299")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(b, whole[100:300]) ||
		resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-299/%d", len(whole)) {
		t.Fatalf("range: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Range"), len(b))
	}
	resp, b = get(fmt.Sprintf("bytes=%d-", len(whole)-10))
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(b, whole[len(whole)-10:]) {
		t.Fatalf("tail range: %d, %d bytes", resp.StatusCode, len(b))
	}
	if resp, _ := get(fmt.Sprintf("bytes=%d-", len(whole)+10)); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("range past the end: %d", resp.StatusCode)
	}
	// Only files the log names: not another file in the directory, not a
	// path out of it.
	if err := os.WriteFile(s.dataFile("recordings/"+string(s.id())+"/camera-9999.webm"), whole, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"camera-9999.webm", "..%2F..%2Fkeys%2Faudit.key", "nothing"} {
		c.refused("GET", "/api/replay/sittings/"+string(s.id())+"/recordings/"+name, nil, http.StatusNotFound, "not_found")
	}
	s.login(store.RoleProctor).refused("GET", rec.URL, nil, http.StatusForbidden, "forbidden_role")
}

// A recording deleted at the end of its retention period (logged) is
// accepted by verification and answered 410 Gone.
func TestRetiredRecording(t *testing.T) {
	s, _ := tamperable(t)
	ctx := contextFor(t)
	files, err := s.log.Expired(ctx, time.Now().Add(400*24*time.Hour), 365*24*time.Hour)
	if err != nil || len(files) == 0 {
		t.Fatalf("expired files: %v, %d", err, len(files))
	}
	if _, err := s.log.Retire(ctx, files, 365*24*time.Hour, "system", time.Now()); err != nil {
		t.Fatal(err)
	}
	v := s.verify()
	if !v.OK || v.Deleted != len(files) {
		t.Fatalf("after retention: ok %v deleted %d (want %d): %+v", v.OK, v.Deleted, len(files), v.Problem)
	}
	var tl replay.Timeline
	c := s.login(store.RoleAuditor)
	c.do("GET", "/api/replay/sittings/"+string(s.id()), nil, &tl)
	if len(tl.Recordings) != 1 || !tl.Recordings[0].Deleted || tl.Recordings[0].URL != "" {
		t.Fatalf("recordings after retention = %+v", tl.Recordings)
	}
	c.refused("GET", "/api/replay/sittings/"+string(s.id())+"/recordings/"+tl.Recordings[0].Name, nil, http.StatusGone, "deleted")
}

// TestVerifyChecksEveryEntryNamingAFile: a later entry that names an
// already-checked file with another size (as ingest logged an agent's
// claim before issue 16) is found by the sitting's check, not only by
// the whole log's: every entry naming a file is compared with it.
func TestVerifyChecksEveryEntryNamingAFile(t *testing.T) {
	s := newSystem(t)
	snap := s.evidence([]byte("\xff\xd8\xff\xe0 the snapshot \xff\xd9"))
	s.event(protocol.Event{Seq: 1, Time: base, Rule: protocol.Rule10_6, Kind: protocol.KindStart, Subject: "camera",
		Severity: protocol.SeverityViolation, Key: "camera.lost", Evidence: []protocol.EvidenceRef{snap}})
	if v := s.verify(); !v.OK || v.Files != 1 {
		t.Fatalf("clean sitting: ok %v, %d files (want 1): %+v", v.OK, v.Files, v.Problem)
	}
	lied := snap
	lied.Size = 999999
	ev := protocol.Event{Seq: 2, Time: base.Add(time.Second), Rule: protocol.Rule10_6, Kind: protocol.KindStart, Subject: "camera",
		Severity: protocol.SeverityViolation, Key: "camera.lost", Evidence: []protocol.EvidenceRef{lied}}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := s.log.Append(context.Background(), audit.Entry{Time: base.Add(time.Second), Kind: audit.KindEvent, Sitting: string(s.id()), Actor: "agent", Data: data,
		Files: []audit.FileRef{{Path: evidence.RelPath(string(s.id()), snap.SHA256), SHA256: snap.SHA256, Size: lied.Size}}},
		func(tx *bolt.Tx, _ int64) error {
			_, _, err := store.AppendEventTx(tx, s.id(), ev, base.Add(time.Second))
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	v := s.verify()
	if v.OK || v.Problem == nil || v.Problem.Index != idx || v.Problem.Reason != audit.ReasonFileChanged || !strings.Contains(v.Problem.Detail, "999999") {
		t.Fatalf("an entry naming the snapshot with 999999 bytes: %+v, want file_changed at entry %d", v.Problem, idx)
	}
}
