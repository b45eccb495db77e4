package demo

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// The demo personal-qualities bank has 40 items, as many as the example
// program asks, so every demo candidate sees each kind of question the
// page answers (issue 12): 37 single choices (demoItem), an order, a
// match and a choice about a picture. The last three come as a content
// package, the way a bank with pictures is imported.

// demoChoices is the number of single-choice items of the demo bank.
const demoChoices = 37

const demoHead = `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="%s" title="DEMO %d" label="personal-qualities" xml:lang="kk" adaptive="false" timeDependent="false">
`

const demoTail = `  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>
`

// demoOrder asks for the steps of answering a citizen's application in
// order (A, B, C, D), shown shuffled.
func demoOrder(n int) string {
	return fmt.Sprintf(demoHead, "demo-pq-order", n) + `  <responseDeclaration identifier="RESPONSE" cardinality="ordered" baseType="identifier">
    <correctResponse><value>A</value><value>B</value><value>C</value><value>D</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"><defaultValue><value>0</value></defaultValue></outcomeDeclaration>
  <itemBody>
    <p>DEMO ` + fmt.Sprint(n) + `. Азаматтың өтінішін қарау қадамдарын дұрыс ретке қойыңыз.</p>
    <orderInteraction responseIdentifier="RESPONSE" shuffle="true">
      <prompt>Бірінші қадамнан соңғысына дейін.</prompt>
      <simpleChoice identifier="A">Өтінішті тіркеу</simpleChoice>
      <simpleChoice identifier="B">Өтінішті зерделеу</simpleChoice>
      <simpleChoice identifier="C">Шешім қабылдау</simpleChoice>
      <simpleChoice identifier="D">Азаматқа жазбаша жауап беру</simpleChoice>
    </orderInteraction>
  </itemBody>
` + demoTail
}

// demoMatch matches three acts with what they regulate (S1 T1, S2 T2,
// S3 T3), each once.
func demoMatch(n int) string {
	return fmt.Sprintf(demoHead, "demo-pq-match", n) + `  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="directedPair">
    <correctResponse><value>S1 T1</value><value>S2 T2</value><value>S3 T3</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"><defaultValue><value>0</value></defaultValue></outcomeDeclaration>
  <itemBody>
    <p>DEMO ` + fmt.Sprint(n) + `. Әр құжатты ол реттейтін мәселемен сәйкестендіріңіз.</p>
    <matchInteraction responseIdentifier="RESPONSE" shuffle="true" maxAssociations="3">
      <prompt>Әр құжатқа бір мәселе таңдаңыз.</prompt>
      <simpleMatchSet>
        <simpleAssociableChoice identifier="S1" matchMax="1">Қазақстан Республикасының Конституциясы</simpleAssociableChoice>
        <simpleAssociableChoice identifier="S2" matchMax="1">«Сыбайлас жемқорлыққа қарсы іс-қимыл туралы» Заң</simpleAssociableChoice>
        <simpleAssociableChoice identifier="S3" matchMax="1">«Қазақстан Республикасының мемлекеттік қызметі туралы» Заң</simpleAssociableChoice>
      </simpleMatchSet>
      <simpleMatchSet>
        <simpleAssociableChoice identifier="T1" matchMax="1">Мемлекеттік тіл</simpleAssociableChoice>
        <simpleAssociableChoice identifier="T2" matchMax="1">Лауазымды адамдарға сыйлықтар</simpleAssociableChoice>
        <simpleAssociableChoice identifier="T3" matchMax="1">Сынақ мерзімі</simpleAssociableChoice>
      </simpleMatchSet>
    </matchInteraction>
  </itemBody>
` + demoTail
}

// demoPicture asks about a bar chart (demoChart); the keyed answer is
// the first choice, as in demoItem.
func demoPicture(n int) string {
	return fmt.Sprintf(demoHead, "demo-pq-picture", n) + `  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"><defaultValue><value>0</value></defaultValue></outcomeDeclaration>
  <itemBody>
    <p>DEMO ` + fmt.Sprint(n) + `. Диаграммада үш бөлімнің қызметкерлер саны көрсетілген.</p>
    <p><img src="img/chart.png" alt="Бағаналы диаграмма: көк бағана — 3, жасыл бағана — 5, сары бағана — 2" width="240" height="120"/></p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <prompt>Қай бөлімде қызметкер ең көп?</prompt>
      <simpleChoice identifier="A">Жасыл бағана</simpleChoice>
      <simpleChoice identifier="B">Көк бағана</simpleChoice>
      <simpleChoice identifier="C">Сары бағана</simpleChoice>
    </choiceInteraction>
  </itemBody>
` + demoTail
}

// demoChart draws the bar chart of demoPicture: blue 3, green 5, yellow 2
// on white, with a base line.
func demoChart() ([]byte, error) {
	const w, h, unit = 240, 120, 20
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(x0, y0, x1, y1 int, c color.Color) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.Set(x, y, c)
			}
		}
	}
	fill(0, 0, w, h, color.White)
	bars := []struct {
		n int
		c color.RGBA
	}{{3, color.RGBA{0x1f, 0x5f, 0xbf, 0xff}}, {5, color.RGBA{0x2e, 0x9e, 0x44, 0xff}}, {2, color.RGBA{0xe8, 0xb9, 0x1c, 0xff}}}
	for i, b := range bars {
		x := 30 + i*70
		fill(x, h-10-b.n*unit, x+40, h-10, b.c)
	}
	fill(10, h-10, w-10, h-8, color.Black)
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// demoInteractions is the content package of the order, match and
// picture items (numbered after the choices) with the chart.
func demoInteractions() ([]byte, error) {
	chart, err := demoChart()
	if err != nil {
		return nil, err
	}
	n := demoChoices
	items := []struct{ id, xml string }{{"demo-pq-order", demoOrder(n + 1)}, {"demo-pq-match", demoMatch(n + 2)}, {"demo-pq-picture", demoPicture(n + 3)}}
	var m bytes.Buffer
	m.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="demo-pq-interactions"><organizations/><resources>`)
	for _, it := range items {
		fmt.Fprintf(&m, `<resource identifier="%s" type="imsqti_item_xmlv2p1" href="items/%s.xml"><file href="items/%s.xml"/></resource>`, it.id, it.id, it.id)
	}
	m.WriteString(`</resources></manifest>`)
	type file struct {
		name string
		data []byte
	}
	files := []file{{"imsmanifest.xml", m.Bytes()}, {"items/img/chart.png", chart}}
	for _, it := range items {
		files = append(files, file{"items/" + it.id + ".xml", []byte(it.xml)})
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		fw, err := zw.Create(f.name)
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
