package qti

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func seedItems(f *testing.F) {
	for _, dir := range []string{"testdata/items", "testdata/refused", "testdata/package/items"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// FuzzParseItem: untrusted XML never crashes the parser; what it accepts
// exports and reads back as the same item, scores without a panic, and
// presents a permutation of its choices.
func FuzzParseItem(f *testing.F) {
	seedItems(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		it, err := ParseItem(data, "")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Key == "" {
				t.Fatalf("an error that is not an *Error with a key: %v", err)
			}
			return
		}
		out, err := it.Export()
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		back, err := ParseItem(out, "")
		if err != nil {
			t.Fatalf("the export of an accepted item is refused: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(it, back) {
			t.Fatalf("round trip changed the item:\n%#v\n%#v\n%s", it, back, out)
		}
		in := it.Interaction()
		for _, set := range in.ChoiceIdentifiers() {
			for _, id := range set {
				it.Score(Response{id})
			}
		}
		it.Score(it.Response.Correct)
		it.Score(Response{"x", "y"})
		for i, p := range it.Presentation(uint64(len(data))) {
			if len(p) != len(in.ChoiceIdentifiers()[i]) {
				t.Fatalf("presentation %v is not a permutation", p)
			}
		}
	})
}

// FuzzPackage: an untrusted zip never crashes the reader, and every entry
// is an item or a refusal.
func FuzzPackage(f *testing.F) {
	var buf bytes.Buffer
	if err := WritePackage(&buf, "seed", nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(zipDir(f, "testdata/package", nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkg, err := ReadPackage(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, e := range pkg.Entries {
			if (e.Item == nil) == (e.Err == nil) {
				t.Fatalf("entry %+v is neither an item nor a refusal", e)
			}
		}
	})
}
