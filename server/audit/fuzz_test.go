package audit

import (
	"bytes"
	"context"
	"testing"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"time":"2025-03-04T09:00:00Z","kind":"event","sitting":"S1","prev":-1,"actor":"agent","data":{"rule":"10.9"}}`))
	f.Add([]byte(`{"time":"2025-03-04T09:00:00.5Z","kind":"evidence","sitting":"S1","prev":3,"actor":"agent","files":[{"path":"evidence/S1/x","sha256":"` +
		"0000000000000000000000000000000000000000000000000000000000000000" + `","size":3}]}`))
	f.Add([]byte(`{"time":"2025-03-04T09:00:00+05:00","kind":"event","prev":-1,"actor":"a"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Encode(e)
		if err != nil {
			t.Fatalf("decoded entry does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted non-canonical bytes:\n%s\n%s", b, again)
		}
	})
}

func FuzzVerifyBundle(f *testing.F) {
	dir := f.TempDir()
	_, l := openLog(f, dir)
	for i := range 5 {
		e := Entry{Time: t0, Kind: KindEvent, Sitting: "S1", Actor: "agent"}
		if i == 2 {
			e.Files = []FileRef{writeDataFile(f, dir, "evidence/S1/a", []byte("abc"))}
		}
		if _, err := l.Append(context.Background(), e, nil); err != nil {
			f.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := l.Export(context.Background(), "S1", &buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Add(buf.Bytes()[:len(buf.Bytes())/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		rep := VerifyBundle(bytes.NewReader(b), BundleOptions{})
		if rep.OK() && (rep.Entries == 0 || rep.Latest == nil) {
			t.Fatalf("empty bundle verified: %+v", rep)
		}
		if !rep.Checked && rep.Err == nil {
			t.Fatal("unchecked report without a reason")
		}
	})
}

// FuzzQuickFields checks that the verifier's fast path never disagrees
// with the full decoder on an entry the full decoder accepts.
func FuzzQuickFields(f *testing.F) {
	for _, e := range []Entry{
		benchEntry(3),
		{Time: t0, Kind: KindEvidence, Sitting: "S1", Prev: 4, Actor: "agent", Files: []FileRef{{Path: "evidence/S1/a b", SHA256: "0000000000000000000000000000000000000000000000000000000000000000", Size: 3}}},
		{Time: t0, Kind: KindAction, Actor: "p-1", Data: []byte(`{"a":"}\"{","b":[{"c":1}]}`)},
	} {
		b, err := Encode(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		sitting, prev, files, ok := quickFields(b)
		if err != nil || !ok {
			return
		}
		if string(sitting) != e.Sitting || prev != e.Prev || len(files) != len(e.Files) {
			t.Fatalf("fast path read sitting %q prev %d files %v; decoder %q %d %v", sitting, prev, files, e.Sitting, e.Prev, e.Files)
		}
		for i := range files {
			if files[i] != e.Files[i] {
				t.Fatalf("file %d: %+v vs %+v", i, files[i], e.Files[i])
			}
		}
	})
}
