package workflow_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	imgpng "image/png"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/workflow"
)

// The candidate page answers every interaction the server scores and
// shows the items' pictures (issue 12): order and match questions are
// saved and graded through the engine, and the pictures of a question
// are served to its candidate only.

const qtiHead = `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="%s" title="%s" label="personal-qualities" adaptive="false" timeDependent="false">
`

const matchCorrect = `  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>
`

// orderItem asks to order A, B, C, D (the correct order), shuffled.
func orderItem(id string) string {
	return fmt.Sprintf(qtiHead, id, id) + `  <responseDeclaration identifier="RESPONSE" cardinality="ordered" baseType="identifier">
    <correctResponse><value>A</value><value>B</value><value>C</value><value>D</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>Order the steps of answering a complaint.</p>
    <orderInteraction responseIdentifier="RESPONSE" shuffle="true">
      <prompt>From first to last.</prompt>
      <simpleChoice identifier="A">register it</simpleChoice>
      <simpleChoice identifier="B">study it</simpleChoice>
      <simpleChoice identifier="C">decide</simpleChoice>
      <simpleChoice identifier="D">answer in writing</simpleChoice>
    </orderInteraction>
  </itemBody>
` + matchCorrect
}

// matchItem matches S1-T1, S2-T2, S3-T3, each choice once, at most three pairs.
func matchItem(id string) string {
	return fmt.Sprintf(qtiHead, id, id) + `  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="directedPair">
    <correctResponse><value>S1 T1</value><value>S2 T2</value><value>S3 T3</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <matchInteraction responseIdentifier="RESPONSE" shuffle="true" maxAssociations="3">
      <prompt>Match each act with what it regulates.</prompt>
      <simpleMatchSet>
        <simpleAssociableChoice identifier="S1" matchMax="1">Constitution</simpleAssociableChoice>
        <simpleAssociableChoice identifier="S2" matchMax="1">Law on Combating Corruption</simpleAssociableChoice>
        <simpleAssociableChoice identifier="S3" matchMax="1">Law on Civil Service</simpleAssociableChoice>
      </simpleMatchSet>
      <simpleMatchSet>
        <simpleAssociableChoice identifier="T1" matchMax="1">the state language</simpleAssociableChoice>
        <simpleAssociableChoice identifier="T2" matchMax="1">gifts to officials</simpleAssociableChoice>
        <simpleAssociableChoice identifier="T3" matchMax="1">the probation period</simpleAssociableChoice>
      </simpleMatchSet>
    </matchInteraction>
  </itemBody>
` + matchCorrect
}

// pictureItem is choiceItem with pictures: two PNGs shown (an img and an
// object), an SVG not shown, a "PNG" that is not one, and the first PNG
// again in the prompt.
func pictureItem(id, category string) string {
	body := `<p>Look at the chart <img src="img/chart.png" alt="a chart"/> and the logo <img src="img/logo.svg" alt="the logo"/>.</p>
    <object type="image/png" data="img/plan.png">the floor plan</object>
    <p><img src="img/fake.png" alt="not a picture"/></p>`
	it := strings.Replace(choiceItem(id, category, "PICTURE"), "<p>PICTURE</p>", body, 1)
	return strings.Replace(it, "<prompt>Choose one.</prompt>", `<prompt>Choose one. <img src="img/chart.png" alt="again"/></prompt>`, 1)
}

func pngOf(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{B: 255, A: 255})
	var b bytes.Buffer
	if err := imgpng.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mixedBank has exactly the 40 items the example program asks of the
// personal-qualities category (37 choices, an order, a match, one with
// pictures) and one more with pictures of another category, never drawn.
func mixedBank(t *testing.T, pic []byte) []byte {
	items := map[string]string{}
	for i := range 37 {
		id := fmt.Sprintf("mx-%02d", i)
		items[id+".xml"] = choiceItem(id, "personal-qualities", "Question "+id)
	}
	items["mx-order.xml"] = orderItem("mx-order")
	items["mx-match.xml"] = matchItem("mx-match")
	items["mx-picture.xml"] = pictureItem("mx-picture", "personal-qualities")
	items["mx-elsewhere.xml"] = pictureItem("mx-elsewhere", "other")
	return contentPackage(t, items, map[string][]byte{"items/img/chart.png": pic, "items/img/plan.png": pic,
		"items/img/logo.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "items/img/fake.png": []byte("<html>not a PNG</html>")})
}

func TestOrderMatchAndPicturesInTheCandidatesTest(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	in := testCompetition()
	in.Stages[0].Bank = "pq-mixed"
	_, apps := w.testsOf(in, 2)
	pic := pngOf(t)
	if im := must[workflow.BankImport](t)(w.e.ImportBank(ctx, "a-hr", "pq-mixed", mixedBank(t, pic), "mixed.zip")); len(im.Added) != 41 || len(im.Refused) != 0 {
		t.Fatalf("the mixed bank: %+v", im)
	}
	a, other := apps[0], apps[1]
	pq := workflow.StagePersonal
	w.set("2025-03-17 10:05")
	w.joinStage(a, pq)

	// Before the start nothing is served: the questions are not shown yet.
	_, err := w.e.TestImage(ctx, a.Token, pq, "mx-picture", "items/img/chart.png")
	if e := refused(t, err, ""); e.Key != "workflow.err.test_not_begun" {
		t.Fatalf("a picture before the start: %v", e)
	}
	must[workflow.Attempt](t)(w.e.StartTest(ctx, a.Token, pq))
	v := must[workflow.TestView](t)(w.e.TestQuestions(ctx, a.Token, pq))
	byItem := map[string]workflow.QuestionView{}
	for _, q := range v.Questions {
		byItem[q.Item] = q
	}
	if len(byItem) != 40 || byItem["mx-elsewhere"].Item != "" {
		t.Fatalf("the variant: want the 40 personal-qualities items: %d", len(byItem))
	}
	raw := must[[]byte](t)(json.Marshal(byItem["mx-00"]))
	if !bytes.Contains(raw, []byte(`"images":[]`)) || !bytes.Contains(raw, []byte(`"match_max":0`)) {
		t.Errorf("a question without pictures: want images [], never null: %s", raw)
	}

	order := byItem["mx-order"]
	if order.Interaction != "orderInteraction" || order.Cardinality != "ordered" || len(order.Choices) != 4 || order.Prompt != "From first to last." {
		t.Errorf("the order question: %+v", order)
	}
	match := byItem["mx-match"]
	if match.Interaction != "matchInteraction" || match.MaxChoices != 3 || len(match.Choices) != 3 || len(match.Targets) != 3 || match.Targets[0].MatchMax != 1 || match.Choices[0].MatchMax != 1 {
		t.Errorf("the match question: want 3 sources and 3 targets of matchMax 1, at most 3 pairs: %+v", match)
	}

	// The pictures in the order of the body, the prompt's repeat once;
	// the SVG not among them (its alt stays in the text), the shown ones'
	// alt not repeated in the text.
	pq1 := byItem["mx-picture"]
	src := func(file string) string {
		return "/api/cabinet/tests/personal_qualities/assets/mx-picture/" + strings.ReplaceAll(file, "/", "%2F")
	}
	want := []workflow.ImageView{{Src: src("items/img/chart.png"), Alt: "a chart"}, {Src: src("items/img/plan.png"), Alt: "the floor plan"}, {Src: src("items/img/fake.png"), Alt: "not a picture"}}
	if fmt.Sprint(pq1.Images) != fmt.Sprint(want) {
		t.Errorf("the pictures: got %v, want %v", pq1.Images, want)
	}
	if pq1.Text != "Look at the chart and the logo [the logo] ." || pq1.Prompt != "Choose one." {
		t.Errorf("the text around the pictures: %q, prompt %q", pq1.Text, pq1.Prompt)
	}

	img := must[workflow.Image](t)(w.e.TestImage(ctx, a.Token, pq, "mx-picture", "items/img/chart.png"))
	if img.Type != "image/png" || !bytes.Equal(img.Data, pic) {
		t.Errorf("the chart: %s, %d bytes", img.Type, len(img.Data))
	}
	must[workflow.Image](t)(w.e.TestImage(ctx, a.Token, pq, "mx-picture", "items/img/plan.png"))
	for _, c := range []struct {
		what, token, item, file, key string
	}{
		{"the SVG", a.Token, "mx-picture", "items/img/logo.svg", "workflow.err.test_asset_type"},
		{"a PNG that is not one", a.Token, "mx-picture", "items/img/fake.png", "workflow.err.test_asset_type"},
		{"a path climbing out", a.Token, "mx-picture", "../items/img/chart.png", "workflow.err.test_asset"},
		{"a path climbing out and back", a.Token, "mx-picture", "items/../items/img/chart.png", "workflow.err.test_asset"},
		{"a file the item does not have", a.Token, "mx-picture", "items/img/none.png", "workflow.err.test_asset"},
		{"a picture of a question without pictures", a.Token, "mx-00", "items/img/chart.png", "workflow.err.test_asset"},
		{"an item of the bank not in the variant", a.Token, "mx-elsewhere", "items/img/chart.png", "workflow.err.test_asset"},
		{"another candidate, not started", other.Token, "mx-picture", "items/img/chart.png", "workflow.err.test_not_begun"},
		{"no cabinet token", "not-a-token", "mx-picture", "items/img/chart.png", ""},
	} {
		_, err := w.e.TestImage(ctx, c.token, pq, c.item, c.file)
		if e := refused(t, err, ""); c.key != "" && e.Key != c.key {
			t.Errorf("%s: refused with %s, want %s: %v", c.what, e.Key, c.key, e)
		}
	}

	// Order and match answers saved by revision and graded: the order
	// right at the second revision (a resent first one changes nothing),
	// a match with a target twice refused (matchMax), one pair wrong.
	save := func(item string, rev int64, r ...string) error {
		_, err := w.e.SaveAnswer(ctx, a.Token, pq, item, r, rev)
		return err
	}
	saved := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for item, q := range byItem {
		if q.Interaction == "choiceInteraction" {
			saved(save(item, 1, "A"))
		}
	}
	saved(save("mx-order", 1, "D", "C", "B", "A"))
	saved(save("mx-order", 2, "A", "B", "C", "D"))
	saved(save("mx-order", 1, "D", "C", "B", "A"))
	if e := refused(t, save("mx-order", 3, "A", "B", "Z", "D"), ""); e.Key != "workflow.err.test_response" {
		t.Errorf("an order with a choice it does not have: %v", e)
	}
	if e := refused(t, save("mx-match", 1, "S1 T1", "S2 T1"), ""); e.Key != "workflow.err.test_response" {
		t.Errorf("a match with a target twice: %v", e)
	}
	saved(save("mx-match", 2, "S1 T2", "S2 T1", "S3 T3"))
	got := must[workflow.Attempt](t)(w.e.SubmitTest(ctx, a.Token, pq))
	// 39 of 40 (the match wrong): S = 97.5 %, T = 0.02 × 97.5 = 1.95 (Annex 3).
	if got.Result == nil || got.Result.Correct != 39 || !got.Score().Equal(dec("1.95")) {
		t.Fatalf("the result: %+v", got.Result)
	}
}
