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

// FuzzItemParts puts fuzzed text into the places of a valid item (the
// title, the body, a choice, a mapped value), where plain mutation of a
// whole file rarely reaches: whatever is accepted must round-trip.
func FuzzItemParts(f *testing.F) {
	f.Add("Конституция", "<p>7-бап &amp; <b>тіл</b></p>", "Қазақ тілі", "1", "A")
	f.Add("t", "<![CDATA[<x>]]>\r\n", " ", "-0.5", "B")
	f.Add("\"'<>", `<p xml:lang="ru" class="a">x</p><img src="a.png" alt=""/>`, "<em>e</em>", "0.25", "A B")
	f.Fuzz(func(t *testing.T, title, body, choice, mapped, correct string) {
		doc := `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="F1" title="` + title + `" adaptive="false" timeDependent="false">
<responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier"><correctResponse><value>` + correct + `</value></correctResponse>
<mapping defaultValue="0" lowerBound="0"><mapEntry mapKey="A" mappedValue="` + mapped + `"/></mapping></responseDeclaration>
<itemBody>` + body + `<choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="0"><simpleChoice identifier="A">` + choice + `</simpleChoice><simpleChoice identifier="B" fixed="true">b</simpleChoice></choiceInteraction></itemBody>
<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>
</assessmentItem>`
		it, err := ParseItem([]byte(doc), "items/f1.xml")
		if err != nil {
			return
		}
		out, err := it.Export()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseItem(out, "items/f1.xml")
		if err != nil {
			t.Fatalf("the export is refused: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(it, back) {
			t.Fatalf("round trip changed the item:\n%#v\n%#v\n%s", it, back, out)
		}
		if _, err := it.Score(Response{"A", "B"}); err != nil {
			t.Fatalf("score: %v", err)
		}
	})
}
