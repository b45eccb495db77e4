package audit

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

type member struct {
	name string
	data []byte
}

func exportBundle(t *testing.T, f *fixture, sitting string) []byte {
	t.Helper()
	db, l := openLog(t, f.dir)
	var buf bytes.Buffer
	if err := l.Export(context.Background(), sitting, &buf); err != nil {
		t.Fatal(err)
	}
	l.Close()
	db.Close()
	return buf.Bytes()
}

func readMembers(t *testing.T, b []byte) []member {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out []member
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, member{h.Name, data})
	}
}

func writeMembers(t *testing.T, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(m.data)
	}
	tw.Close()
	return buf.Bytes()
}

func editMember(t *testing.T, ms []member, name string, edit func([]byte) []byte) []member {
	t.Helper()
	for i := range ms {
		if ms[i].name == name || (strings.HasSuffix(name, "*") && strings.HasPrefix(ms[i].name, strings.TrimSuffix(name, "*"))) {
			ms[i].data = edit(append([]byte(nil), ms[i].data...))
			return ms
		}
	}
	t.Fatalf("no member %s", name)
	return nil
}

func dropLine(idx string) func([]byte) []byte {
	return func(b []byte) []byte {
		var out [][]byte
		for _, ln := range bytes.SplitAfter(b, []byte("\n")) {
			if !bytes.HasPrefix(ln, []byte(`{"index":`+idx+`,`)) {
				out = append(out, ln)
			}
		}
		return bytes.Join(out, nil)
	}
}

func TestBundleRoundTrip(t *testing.T) {
	f := newFixture(t)
	b := exportBundle(t, f, "S2")
	rep := VerifyBundle(bytes.NewReader(b), BundleOptions{})
	if !rep.OK() {
		t.Fatalf("fresh bundle does not verify: %v %v", rep.Err, rep.Problems)
	}
	if rep.Sitting != "S2" || rep.Entries != 13 || rep.Files != 3 || rep.Latest == nil || rep.Latest.Size != 40 || rep.Latest.Number != 3 {
		t.Fatalf("report: sitting %s, %d entries, %d files, checkpoint %+v; want S2, 13, 3, checkpoint 3 of size 40", rep.Sitting, rep.Entries, rep.Files, rep.Latest)
	}
	key, err := os.ReadFile(filepath.Join(f.dir, "keys", VerifierKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if rep := VerifyBundle(bytes.NewReader(b), BundleOptions{TrustedKey: string(key)}); !rep.OK() {
		t.Fatalf("bundle with the trusted key: %v", rep.Problems)
	}
}

func TestBundleDetectsTampering(t *testing.T) {
	f := newFixture(t)
	orig := exportBundle(t, f, "S2")
	key, err := os.ReadFile(filepath.Join(f.dir, "keys", VerifierKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	evidence19 := ""
	for p, idx := range f.fileEntry {
		if idx == 19 {
			evidence19 = FilesPrefix + p
		}
	}
	tests := []struct {
		name       string
		tamper     func(ms []member) []member
		opts       BundleOptions
		wantIndex  int64
		wantReason Reason
	}{
		{"byte flip in an entry", func(ms []member) []member {
			return editMember(t, ms, BundleEntries, func(b []byte) []byte {
				return bytes.Replace(b, []byte("entry-0016-marker"), []byte("entry-0016-markes"), 1)
			})
		}, BundleOptions{}, 16, ReasonProof},
		{"byte flip in an evidence file", func(ms []member) []member {
			return editMember(t, ms, evidence19, func(b []byte) []byte { b[0] ^= 1; return b })
		}, BundleOptions{}, 19, ReasonFileChanged},
		{"byte flip in a recording segment", func(ms []member) []member {
			return editMember(t, ms, FilesPrefix+"recordings/S2/0001.webm", func(b []byte) []byte { b[len(b)/2] ^= 0x80; return b })
		}, BundleOptions{}, 22, ReasonFileChanged},
		{"entry left out", func(ms []member) []member { return editMember(t, ms, BundleEntries, dropLine("10")) }, BundleOptions{}, 13, ReasonSittingChain},
		{"entries reordered", func(ms []member) []member {
			return editMember(t, ms, BundleEntries, func(b []byte) []byte {
				lines := bytes.SplitAfter(b, []byte("\n"))
				lines[1], lines[2] = lines[2], lines[1]
				return bytes.Join(lines, nil)
			})
		}, BundleOptions{}, 4, ReasonEntryMoved},
		{"file removed", func(ms []member) []member {
			var out []member
			for _, m := range ms {
				if m.name != evidence19 {
					out = append(out, m)
				}
			}
			return out
		}, BundleOptions{}, 19, ReasonFileMissing},
		{"re-signed with another key, trusted key given", func(ms []member) []member {
			skey, vkey, err := note.GenerateKey(rand.Reader, KeyName)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := note.NewSigner(skey)
			var text string
			for _, m := range ms {
				if m.name == BundleCheckpoint {
					text = string(m.data[:bytes.Index(m.data, []byte("\n\n"))+1])
				}
			}
			signed, err := note.Sign(&note.Note{Text: text}, s)
			if err != nil {
				t.Fatal(err)
			}
			ms = editMember(t, ms, BundleCheckpoint, func([]byte) []byte { return signed })
			return editMember(t, ms, BundleKey, func([]byte) []byte { return []byte(vkey + "\n") })
		}, BundleOptions{TrustedKey: string(key)}, -1, ReasonKeyMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := writeMembers(t, tc.tamper(readMembers(t, orig)))
			rep := VerifyBundle(bytes.NewReader(b), tc.opts)
			if !rep.Checked {
				t.Fatalf("could not check: %v", rep.Err)
			}
			first := rep.First()
			if rep.OK() || first == nil {
				t.Fatal("tampering not detected")
			}
			if first.Index != tc.wantIndex || first.Reason != tc.wantReason {
				t.Fatalf("first problem %v; want entry %d, %s\nall: %v", first, tc.wantIndex, tc.wantReason, rep.Problems)
			}
		})
	}
}

func TestBundleMalformed(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not a tar", []byte("hello, this is not a tar file at all")},
		{"tar without entries", writeMembers(t, []member{{BundleKey, []byte("x")}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := VerifyBundle(bytes.NewReader(tc.data), BundleOptions{})
			if rep.OK() || rep.Checked {
				t.Fatalf("malformed bundle: checked=%v ok=%v", rep.Checked, rep.OK())
			}
			if rep.Err == nil {
				t.Fatal("no error says what is wrong")
			}
		})
	}
}

func TestRetention(t *testing.T) {
	f := newFixture(t)
	db, l := openLog(t, f.dir)
	ctx := context.Background()
	now := t0.Add(400 * 24 * time.Hour)
	if exp, err := l.Expired(ctx, t0.Add(300*24*time.Hour), DefaultRetention); err != nil || len(exp) != 0 {
		t.Fatalf("before expiry: %v %v, want nothing", exp, err)
	}
	exp, err := l.Expired(ctx, now, DefaultRetention)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp) != 3 {
		t.Fatalf("expired %v, want the 3 files", exp)
	}
	idx, err := l.Retire(ctx, exp, DefaultRetention, "retention", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 1 || idx[0] != 40 {
		t.Fatalf("retention entries %v, want [40]", idx)
	}
	for _, e := range exp {
		if _, err := os.Stat(filepath.Join(f.dir, e.File.Path)); !os.IsNotExist(err) {
			t.Fatalf("%s still there: %v", e.File.Path, err)
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	rep := Verify(ctx, db, f.dir)
	if !rep.OK() {
		t.Fatalf("log after retention does not verify: %v", rep.Problems)
	}
	if len(rep.Deleted) != 3 || rep.Files != 0 {
		t.Fatalf("deleted %v, files %d; want 3 deleted by entry 40, 0 files", rep.Deleted, rep.Files)
	}
	for p, by := range rep.Deleted {
		if by != 40 {
			t.Fatalf("%s deleted by %d, want 40", p, by)
		}
	}
	var buf bytes.Buffer
	if err := l.Export(ctx, "S2", &buf); err != nil {
		t.Fatal(err)
	}
	if brep := VerifyBundle(&buf, BundleOptions{}); !brep.OK() || len(brep.Deleted) != 3 {
		t.Fatalf("bundle after retention: %v, deleted %v", brep.Problems, brep.Deleted)
	}

	// A crash between logging and removing leaves a file behind: the next
	// run removes it without logging it again.
	writeDataFile(t, f.dir, exp[0].File.Path, []byte("left over"))
	again, err := l.Expired(ctx, now, DefaultRetention)
	if err != nil || len(again) != 1 || again[0].Logged != 40 {
		t.Fatalf("leftover: %+v %v, want one file logged by 40", again, err)
	}
	if idx, err := l.Retire(ctx, again, DefaultRetention, "retention", now); err != nil || len(idx) != 0 {
		t.Fatalf("retire leftover: %v %v", idx, err)
	}
	if n, _ := l.Size(); n != 41 {
		t.Fatalf("size %d, want 41", n)
	}
}
