package qti

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var supportedFiles = []string{
	"items/constitution_single_kk.xml", "items/anticorruption_multiple_ru.xml",
	"items/civilservice_text_integer.xml", "items/numerical_text_float.xml", "items/capital_text_string_map.xml",
	"items/ethics_inline.xml", "items/stages_order.xml", "items/acts_match.xml", "items/essay.xml",
}

// Parse → export → parse gives the same item for every supported construct.
func TestRoundTripEveryConstruct(t *testing.T) {
	for _, f := range supportedFiles {
		t.Run(filepath.Base(f), func(t *testing.T) {
			a := readItem(t, f)
			out, err := a.Export()
			if err != nil {
				t.Fatal(err)
			}
			b, err := ParseItem(out, "")
			if err != nil {
				t.Fatalf("the export does not read back: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("round trip changed the item:\nbefore %#v\nafter  %#v\n%s", a, b, out)
			}
			// And the export is stable.
			again, _ := b.Export()
			if !bytes.Equal(out, again) {
				t.Fatalf("exporting twice differs:\n%s\n%s", out, again)
			}
		})
	}
}

func zipDir(t testing.TB, dir string, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range extra {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Text and attributes that need escaping survive the round trip.
func TestRoundTripEscaping(t *testing.T) {
	body := "<p xml:lang=\"kk\" class=\"a&amp;b\" title=\"say &quot;hi&quot;&#10;tab&#9;\">1 &lt; 2 &amp;&amp; 3 &gt; 2,\r\nжол ]]&gt; <![CDATA[<b>not markup</b>]]> <br/><em></em></p>" +
		`<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><prompt></prompt><simpleChoice identifier="A"> «а» &amp; </simpleChoice><simpleChoice identifier="B"/></choiceInteraction>`
	a, err := ParseItem([]byte(strings.Replace(choiceItem("", body, ""), `title="t"`, `title="Закон &lt;о&gt; &amp; «кодекс»" label="ethics code"`, 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Export()
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseItem(out, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed the item:\n%#v\n%#v\n%s", a, b, out)
	}
	if a.Title != "Закон <о> & «кодекс»" || !strings.Contains(a.Body.Children[1].Children[0].Text, "1 < 2 && 3 > 2,\nжол ]]> <b>not markup</b> ") {
		t.Fatalf("decoded %q / %q", a.Title, a.Body.Children[1].Children[0].Text)
	}
}

func TestPackageImport(t *testing.T) {
	data := zipDir(t, "testdata/package", nil)
	pkg, err := ReadPackage(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Identifier != "legislation-bank-2026" {
		t.Errorf("identifier %q", pkg.Identifier)
	}
	var got []string
	for _, e := range pkg.Entries {
		if e.Item != nil {
			got = append(got, "item "+e.Item.Identifier)
		} else {
			got = append(got, "refused "+e.Resource+" "+e.Err.Construct)
		}
	}
	want := []string{"item const-002", "item corr-014", "refused res-geo-7 hotspotInteraction", "refused test-1 imsqti_test_xmlv2p1"}
	if !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q (the webcontent resource is a file, not an entry)", got, want)
	}
	if e := pkg.Entries[2].Err; e.Item != "geo-7" || e.File != "items/geo-7.xml" {
		t.Errorf("refusal %+v does not name the item and its file", e)
	}
	img := pkg.Entries[0].Item
	if len(img.Assets) != 1 || img.Assets[0].Path != "img/emblem.png" || !bytes.HasPrefix(img.Assets[0].Data, []byte("\x89PNG")) {
		t.Errorf("assets %+v, want img/emblem.png with its bytes", img.Assets)
	}
	if !slices.Equal(img.Categories, []string{"constitution", "state-symbols"}) {
		t.Errorf("categories from LOM keywords: %q", img.Categories)
	}
	corr := pkg.Entries[1].Item
	if !slices.Equal(corr.Categories, []string{"anti-corruption"}) {
		t.Errorf("keyword and label the same: %q, want one category", corr.Categories)
	}
	// A label beside keywords is a display name, not a category.
	relabelled := strings.Replace(mustReadStr("package/items/corr-014.xml"), `label="anti-corruption"`, `label="Вопрос 14"`, 1)
	data2 := zipFiles(t, map[string]string{
		"imsmanifest.xml":     mustReadStr("package/imsmanifest.xml"),
		"items/corr-014.xml":  relabelled,
		"items/const-002.xml": mustReadStr("package/items/const-002.xml"),
		"img/emblem.png":      mustReadStr("package/img/emblem.png"),
	})
	pkg2, err := ReadPackage(bytes.NewReader(data2), int64(len(data2)))
	if err != nil {
		t.Fatal(err)
	}
	if c := pkg2.Entries[1].Item; c.Label != "Вопрос 14" || !slices.Equal(c.Categories, []string{"anti-corruption"}) {
		t.Errorf("label %q categories %q, want the keyword only", c.Label, c.Categories)
	}

	// Export the imported items and every supported standalone item as a
	// package, and read it back: the same items.
	items := pkg.Items()
	for _, f := range supportedFiles {
		it := readItem(t, f)
		if it.Identifier == "corr-014" {
			continue // already in the package
		}
		it.Categories = append(it.Categories, "extra-"+it.Identifier)
		items = append(items, it)
	}
	var out bytes.Buffer
	if err := WritePackage(&out, "export-1", items); err != nil {
		t.Fatal(err)
	}
	back, err := ReadPackage(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if back.Identifier != "export-1" || len(back.Entries) != len(items) {
		t.Fatalf("read back %d entries", len(back.Entries))
	}
	for i, e := range back.Entries {
		if e.Err != nil {
			t.Fatalf("entry %d refused: %v", i, e.Err)
		}
		want := *items[i]
		if want.Href == "" {
			want.Href = "items/" + want.Identifier + ".xml"
		}
		if !reflect.DeepEqual(&want, e.Item) {
			t.Errorf("item %s changed in the package round trip:\n%#v\n%#v", want.Identifier, &want, e.Item)
		}
	}
}

// zipFiles makes a package of the given files, in name order.
func zipFiles(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPackageRefusals(t *testing.T) {
	manifest := mustReadStr("package/imsmanifest.xml")
	build := func(files map[string]string) []byte { return zipFiles(t, files) }
	for _, c := range []struct {
		name  string
		data  []byte
		key   string
		entry string // "" when the whole package fails
	}{
		{"traversal", build(map[string]string{"imsmanifest.xml": manifest, "../evil.xml": "x"}), "qti.error.entry_name", ""},
		{"absolute", build(map[string]string{"imsmanifest.xml": manifest, "/etc/cron.d/x": "x"}), "qti.error.entry_name", ""},
		{"backslash", build(map[string]string{"imsmanifest.xml": manifest, `..\evil.xml`: "x"}), "qti.error.entry_name", ""},
		{"no manifest", build(map[string]string{"item.xml": "x"}), "qti.error.missing_file", ""},
		{"not a zip", []byte("PK\x03\x04 but no zip"), "qti.error.not_zip", ""},
		{"manifest with entities", build(map[string]string{"imsmanifest.xml": `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "b">]><manifest/>`}), "qti.error.entity", ""},
		{"bomb", rawZip(t, manifest, MaxUnpackedBytes+1, 10), "qti.error.unpacked", ""},
		{"lying header", rawZip(t, manifest, 100, 2<<20), "qti.error.entry_read", "res-const-002"},
		{"missing item file", build(map[string]string{"imsmanifest.xml": manifest}), "qti.error.missing_file", "res-const-002"},
		{"missing image", build(map[string]string{"imsmanifest.xml": manifest, "items/const-002.xml": mustReadStr("package/items/const-002.xml")}), "qti.error.missing_file", "res-const-002"},
		{"resource outside", build(map[string]string{"imsmanifest.xml": strings.Replace(manifest, `href="items/const-002.xml"`, `href="../const-002.xml"`, 1)}), "qti.error.entry_name", "res-const-002"},
		{"duplicate identifier", build(map[string]string{"imsmanifest.xml": strings.Replace(manifest, `href="items/corr-014.xml"`, `href="items/dup.xml"`, 1),
			"items/const-002.xml": mustReadStr("package/items/const-002.xml"), "img/emblem.png": "png",
			"items/dup.xml": mustReadStr("package/items/const-002.xml")}), "qti.refused.duplicate_item", "res-corr-014"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pkg, err := ReadPackage(bytes.NewReader(c.data), int64(len(c.data)))
			var e *Error
			if c.entry == "" {
				if !errors.As(err, &e) || string(e.Key) != c.key {
					t.Fatalf("got %v, want the package refused with %s", err, c.key)
				}
				checkCatalogue(t, e)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range pkg.Entries {
				if en.Resource == c.entry {
					if en.Err == nil || string(en.Err.Key) != c.key {
						t.Fatalf("entry %s: %+v, want %s", c.entry, en.Err, c.key)
					}
					checkCatalogue(t, en.Err)
					return
				}
			}
			t.Fatalf("no entry %s in %+v", c.entry, pkg.Entries)
		})
	}
	if _, err := ReadPackage(bytes.NewReader(nil), MaxPackageBytes+1); err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Errorf("a package over the size limit: %v", err)
	}
}

// rawZip is a package whose items/const-002.xml says it unpacks to claimed
// bytes and really unpacks to real bytes of spaces.
func rawZip(t *testing.T, manifest string, claimed uint64, real int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("imsmanifest.xml")
	w.Write([]byte(manifest))
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	fw.Write(bytes.Repeat([]byte(" "), real))
	fw.Close()
	raw, err := zw.CreateRaw(&zip.FileHeader{Name: "items/const-002.xml", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(bytes.Repeat([]byte(" "), real)), CompressedSize64: uint64(comp.Len()), UncompressedSize64: claimed})
	if err != nil {
		t.Fatal(err)
	}
	raw.Write(comp.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPackageEntryLimit(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i <= MaxEntries; i++ {
		zw.CreateHeader(&zip.FileHeader{Name: "f" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "/" + itoa(i), Method: zip.Store})
	}
	zw.Close()
	_, err := ReadPackage(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	var e *Error
	if !errors.As(err, &e) || e.Key != "qti.error.entries" {
		t.Fatalf("%d entries: %v", MaxEntries+1, err)
	}
}

func TestVersionChangesWithContent(t *testing.T) {
	a := readItem(t, "items/constitution_single_kk.xml")
	b := readItem(t, "items/constitution_single_kk.xml")
	va, err := a.Version()
	if err != nil || len(va) != 64 {
		t.Fatalf("version %q %v", va, err)
	}
	if vb, _ := b.Version(); vb != va {
		t.Fatal("the same item has two versions")
	}
	out, _ := a.Export()
	c, _ := ParseItem(out, "")
	if vc, _ := c.Version(); vc != va {
		t.Fatal("the round trip changed the version")
	}
	for name, change := range map[string]func(it *Item){
		"correct answer": func(it *Item) { it.Response.Correct = []string{"C"} },
		"choice text":    func(it *Item) { it.Interaction().Choices[0].Content[0].Text = "Орыс тілі " },
		"category":       func(it *Item) { it.Categories = append(it.Categories, "x") },
		"asset":          func(it *Item) { it.Assets = append(it.Assets, Asset{Path: "a.png", Data: []byte{1}}) },
	} {
		it := readItem(t, "items/constitution_single_kk.xml")
		change(it)
		if v, _ := it.Version(); v == va {
			t.Errorf("changing the %s kept the version", name)
		}
	}
}
