package exam

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/qti"
)

// choiceXML is a single-response choiceInteraction item, scored by
// match_correct, whose category is its label; B is correct, D is fixed.
func choiceXML(id, label string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="%s" title="Question %s" label="%s" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>B</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">
    <defaultValue><value>0</value></defaultValue>
  </outcomeDeclaration>
  <itemBody>
    <p>Question %s of the category %s?</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
      <simpleChoice identifier="A">First</simpleChoice>
      <simpleChoice identifier="B">Second</simpleChoice>
      <simpleChoice identifier="C">Third</simpleChoice>
      <simpleChoice identifier="D" fixed="true">None of these</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>`, id, id, label, id, label)
}

// mapXML is a multiple-response item scored by map_response: A and B are
// worth 0.5 each, C costs 1; correct is written only when withCorrect.
func mapXML(id, label string, withCorrect bool) string {
	correct := ""
	if withCorrect {
		correct = "<correctResponse><value>A</value><value>B</value></correctResponse>"
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="%s" title="Map %s" label="%s" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    %s
    <mapping defaultValue="0" lowerBound="0">
      <mapEntry mapKey="A" mappedValue="0.5"/>
      <mapEntry mapKey="B" mappedValue="0.5"/>
      <mapEntry mapKey="C" mappedValue="-1"/>
    </mapping>
  </responseDeclaration>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="0">
      <simpleChoice identifier="A">One</simpleChoice>
      <simpleChoice identifier="B">Two</simpleChoice>
      <simpleChoice identifier="C">Three</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>
</assessmentItem>`, id, id, label, correct)
}

func parse(tb testing.TB, xml string) qti.Item {
	tb.Helper()
	it, err := qti.ParseItem([]byte(xml), "")
	if err != nil {
		tb.Fatalf("parse item: %v", err)
	}
	return *it
}

// makeBank makes n items of each category, identifiers "<category>-<i>".
func makeBank(tb testing.TB, counts map[string]int) []qti.Item {
	tb.Helper()
	var bank []qti.Item
	for cat, n := range counts {
		for i := range n {
			bank = append(bank, parse(tb, choiceXML(fmt.Sprintf("%s-%03d", cat, i), cat)))
		}
	}
	return bank
}

// legislationBank holds 20 items per act: more than each section needs.
func legislationBank(tb testing.TB) []qti.Item {
	return makeBank(tb, map[string]int{"constitution": 20, "civil-service": 20, "anti-corruption": 20, "ethics-code": 20})
}

// withCategories gives items several categories the way a content package
// does (manifest keywords): written with qti.WritePackage and read back.
func withCategories(tb testing.TB, items []qti.Item, cats ...string) []qti.Item {
	tb.Helper()
	ptrs := make([]*qti.Item, len(items))
	for i := range items {
		it := items[i]
		it.Categories = cats
		ptrs[i] = &it
	}
	var buf bytes.Buffer
	if err := qti.WritePackage(&buf, "multi", ptrs); err != nil {
		tb.Fatal(err)
	}
	pkg, err := qti.ReadPackage(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		tb.Fatal(err)
	}
	out := []qti.Item{}
	for _, it := range pkg.Items() {
		out = append(out, *it)
	}
	if len(out) != len(items) {
		tb.Fatalf("package round trip kept %d of %d items", len(out), len(items))
	}
	return out
}

func mustProgram(tb testing.TB, id string) Program {
	tb.Helper()
	p, ok := BuiltinProgram(id)
	if !ok {
		tb.Fatalf("no builtin program %s", id)
	}
	return p
}

// answers answers the first correct[section] questions of each section
// right (B), the next one wrong (A) and leaves the rest unanswered.
func answers(v Variant, correct map[string]int) map[string]qti.Response {
	out := map[string]qti.Response{}
	given := map[string]int{}
	for _, q := range v.Questions {
		switch n := given[q.Section]; {
		case n < correct[q.Section]:
			out[q.Item] = qti.Response{"B"}
		case n == correct[q.Section]:
			out[q.Item] = qti.Response{"A"}
		}
		given[q.Section]++
	}
	return out
}

func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
