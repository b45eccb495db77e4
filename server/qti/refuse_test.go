package qti

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol/i18n"
)

const head = `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="Q1" title="t" adaptive="false" timeDependent="false">
`

// choiceItem is a valid single-choice item with parts replaceable by tests.
func choiceItem(decl, body, rp string) string {
	if decl == "" {
		decl = `<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse></responseDeclaration>`
	}
	if body == "" {
		body = `<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice></choiceInteraction>`
	}
	if rp == "" {
		rp = `<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>`
	}
	return head + decl + "\n<itemBody>\n" + body + "\n</itemBody>\n" + rp + "\n</assessmentItem>"
}

func TestChoiceItemIsValid(t *testing.T) {
	if _, err := ParseItem([]byte(choiceItem("", "", "")), ""); err != nil {
		t.Fatal(err)
	}
}

// Every unsupported construct refuses the item by its identifier and names
// the construct; nothing is dropped silently.
func TestRefusalsNameItemAndConstruct(t *testing.T) {
	for _, c := range []struct {
		name, xml, construct, key string
		line                      int
	}{
		{"unsupported interaction", mustReadStr("refused/hotspot.xml"), "hotspotInteraction", "qti.refused.interaction", 5},
		{"custom processing", mustReadStr("refused/custom_processing.xml"), "responseProcessing", "qti.refused.custom_processing", 13},
		{"unknown template", mustReadStr("refused/unknown_template.xml"), "responseProcessing", "qti.refused.template", 13},
		{"modal feedback", strings.Replace(choiceItem("", "", ""), "</assessmentItem>", `<modalFeedback outcomeIdentifier="FEEDBACK" identifier="x" showHide="show">hi</modalFeedback></assessmentItem>`, 1), "modalFeedback", "qti.refused.construct", 0},
		{"template declaration", strings.Replace(choiceItem("", "", ""), "<itemBody>", `<templateDeclaration identifier="T" cardinality="single" baseType="integer"/><itemBody>`, 1), "templateDeclaration", "qti.refused.construct", 0},
		{"feedback inline", choiceItem("", `<p><feedbackInline outcomeIdentifier="F" identifier="f" showHide="show">x</feedbackInline></p>`+`<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`, ""), "feedbackInline", "qti.refused.construct", 0},
		{"script", choiceItem("", `<script>alert(1)</script>`, ""), "script", "qti.refused.construct", 0},
		{"event handler", choiceItem("", `<p onclick="alert(1)">x</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`, ""), "p onclick", "qti.refused.attribute", 0},
		{"html object", choiceItem("", `<object type="text/html" data="page.html"/><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`, ""), `object type="text/html"`, "qti.refused.construct", 0},
		{"link", choiceItem("", `<a href="http://x">x</a>`, ""), "a", "qti.refused.construct", 0},
		{"external image", choiceItem("", `<img src="http://tracker.example/p.gif" alt=""/><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`, ""), "img", "qti.refused.asset_path", 0},
		{"image outside", choiceItem("", `<img src="../../etc/passwd" alt=""/><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`, ""), "img", "qti.refused.asset_path", 0},
		{"two interactions", choiceItem("", `<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction><textEntryInteraction responseIdentifier="R2"/>`, ""), "textEntryInteraction", "qti.refused.several_interactions", 0},
		{"no processing", choiceItem("", "", " "), "responseProcessing", "qti.refused.no_processing", 0},
		{"no correct response", choiceItem(`<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"/>`, "", ""), "correctResponse", "qti.refused.no_correct", 0},
		{"no mapping", choiceItem("", "", `<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>`), "mapping", "qti.refused.no_mapping", 0},
		{"response names differ", choiceItem(`<responseDeclaration identifier="ANSWER" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse></responseDeclaration>`, "", ""), "responseDeclaration", "qti.refused.response_name", 0},
		{"wrong base type", choiceItem(`<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"><correctResponse><value>A</value></correctResponse></responseDeclaration>`, "", ""), "responseDeclaration", "qti.refused.response_shape", 0},
		{"unknown correct choice", choiceItem(`<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>Z</value></correctResponse></responseDeclaration>`, "", ""), "value", "qti.refused.unknown_choice", 0},
		{"bad mapped value", choiceItem(`<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse><mapping><mapEntry mapKey="A" mappedValue="1e3"/></mapping></responseDeclaration>`, "", ""), "mapEntry", "qti.value.decimal", 0},
		{"shuffle yes", choiceItem("", `<choiceInteraction responseIdentifier="RESPONSE" shuffle="yes" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`, ""), "choiceInteraction", "qti.value.bool", 0},
		{"negative maxChoices", choiceItem("", `<choiceInteraction responseIdentifier="RESPONSE" maxChoices="-1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`, ""), "choiceInteraction", "qti.value.count", 0},
		{"bounds crossed", choiceItem(`<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse><mapping lowerBound="2" upperBound="1"><mapEntry mapKey="A" mappedValue="1"/></mapping></responseDeclaration>`, "", ""), "mapping", "qti.value.bounds", 0},
		{"key mapped twice", choiceItem(`<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse><mapping><mapEntry mapKey="A" mappedValue="1"/><mapEntry mapKey=" A " mappedValue="2"/></mapping></responseDeclaration>`, "", ""), "mapEntry", "qti.value.duplicate_key", 0},
		{"two correct for single", choiceItem(`<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>A</value><value>B</value></correctResponse></responseDeclaration>`, "", ""), "correctResponse", "qti.value.single_correct", 0},
		{"area mapping", choiceItem(`<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse><areaMapping/></responseDeclaration>`, "", ""), "responseDeclaration areaMapping", "qti.refused.construct", 0},
		{"adaptive", strings.Replace(choiceItem("", "", ""), `adaptive="false"`, `adaptive="true"`, 1), `adaptive="true"`, "qti.refused.construct", 0},
		{"map_response ordered", strings.Replace(strings.Replace(mustReadStr("items/stages_order.xml"), "match_correct", "map_response", 1), `</correctResponse>`, `</correctResponse><mapping><mapEntry mapKey="pq" mappedValue="1"/></mapping>`, 1), "map_response", "qti.refused.map_ordered", 0},
		{"template showHide on choice", choiceItem("", `<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A" templateIdentifier="T" showHide="show">a</simpleChoice></choiceInteraction>`, ""), "simpleChoice templateIdentifier", "qti.refused.construct", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseItem([]byte(c.xml), "")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a refusal", err)
			}
			if e.Item == "" || !strings.Contains(err.Error(), "item "+e.Item) {
				t.Errorf("the refusal %q does not name the item", err)
			}
			if e.Construct != c.construct || string(e.Key) != c.key {
				t.Errorf("construct %q key %q, want %q %q (%v)", e.Construct, e.Key, c.construct, c.key, err)
			}
			checkCatalogue(t, e)
			if c.line > 0 && e.Line != c.line {
				t.Errorf("line %d, want %d (%v)", e.Line, c.line, err)
			}
			if e.Line == 0 {
				t.Errorf("no line number: %v", err)
			}
		})
	}
}

// checkCatalogue makes sure a refusal reads in every language with every
// placeholder filled.
func checkCatalogue(t *testing.T, e *Error) {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !cat.Has(e.Key) {
		t.Fatalf("key %s is not in the catalogue", e.Key)
	}
	for _, l := range i18n.Langs() {
		if txt := e.Text(cat, l); placeholderRE.MatchString(txt) {
			t.Errorf("%s text %q has an unfilled placeholder (args %v)", l, txt, e.Args)
		}
	}
	if placeholderRE.MatchString(e.Error()) {
		t.Errorf("English %q has an unfilled placeholder", e.Error())
	}
}

func mustReadStr(name string) string {
	b, err := readTestdata(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestUntrustedXML(t *testing.T) {
	for _, c := range []struct {
		name, xml, key string
	}{
		{"external entity", mustReadStr("refused/xxe.xml"), "qti.error.entity"},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x" title="&lol2;"/>`, "qti.error.entity"},
		{"undeclared entity", strings.Replace(choiceItem("", "", ""), `>a<`, `>&nbsp;<`, 1), "qti.error.xml"},
		{"not well-formed", head + "<itemBody><p>x</itemBody></assessmentItem>", "qti.error.xml"},
		{"deep", head + "<itemBody>" + strings.Repeat("<div>", 100) + strings.Repeat("</div>", 100) + "</itemBody></assessmentItem>", "qti.error.depth"},
		{"too big", head + "<itemBody><p>" + strings.Repeat("x", MaxItemBytes) + "</p></itemBody></assessmentItem>", "qti.error.too_big"},
		{"windows-1251", `<?xml version="1.0" encoding="windows-1251"?><assessmentItem/>`, "qti.error.encoding"},
		{"QTI 3", `<?xml version="1.0"?><qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x"/>`, "qti.error.not_item"},
		{"QTI 2.1 without namespace", `<assessmentItem identifier="x" title="t"/>`, "qti.error.not_item"},
		{"empty", ``, "qti.error.xml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseItem([]byte(c.xml), "")
			var e *Error
			if !errors.As(err, &e) || string(e.Key) != c.key {
				t.Fatalf("got %v, want key %s", err, c.key)
			}
			checkCatalogue(t, e)
		})
	}
	_, err := ParseItem([]byte(head+"<itemBody>\n<p>x\n</itemBody></assessmentItem>"), "")
	var e *Error
	if !errors.As(err, &e) || e.Line != 5 {
		t.Errorf("a syntax error on line 5 reported as %v", err)
	}
}

// A text split by comments into many pieces reads in linear time.
func TestManyTextPieces(t *testing.T) {
	body := "<p>" + strings.Repeat("a<!---->", 120000) + "</p>" +
		`<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`
	start := time.Now()
	it, err := ParseItem([]byte(choiceItem("", body, "")), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := it.Body.Children[1].Children[0].Text; got != strings.Repeat("a", 120000) {
		t.Fatalf("text of %d bytes", len(got))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestAssetsFromImgAndObject(t *testing.T) {
	body := `<p><img src="img/a.png" alt=""/><object type="image/svg+xml" data="./img/b.svg"/><img src="img/a.png" alt="again"/></p>` +
		`<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A"><img src="../c.png" alt=""/></simpleChoice></choiceInteraction>`
	it, err := ParseItem([]byte(choiceItem("", body, "")), "items/sub/q.xml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range it.Assets {
		got = append(got, a.Path)
	}
	if strings.Join(got, " ") != "items/c.png items/sub/img/a.png items/sub/img/b.svg" {
		t.Fatalf("assets %q: want each file once, resolved against the item's folder", got)
	}
}
