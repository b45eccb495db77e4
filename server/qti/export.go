package qti

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
)

// Export writes the item as a QTI 2.1 assessmentItem document. Reading the
// result with ParseItem gives the same Item (the round-trip tests check it
// for every supported construct).
func (it *Item) Export() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	w := &writer{e: xml.NewEncoder(&buf)}
	attrs := []xml.Attr{
		{Name: xml.Name{Local: "xmlns"}, Value: Namespace},
		{Name: xml.Name{Local: "xmlns:xsi"}, Value: "http://www.w3.org/2001/XMLSchema-instance"},
		{Name: xml.Name{Local: "xsi:schemaLocation"}, Value: Namespace + " http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"},
		{Name: xml.Name{Local: "identifier"}, Value: it.Identifier},
		{Name: xml.Name{Local: "title"}, Value: it.Title},
	}
	attrs = optAttr(attrs, "label", it.Label)
	attrs = optAttr(attrs, "xml:lang", it.Lang)
	attrs = append(attrs,
		xml.Attr{Name: xml.Name{Local: "adaptive"}, Value: "false"},
		xml.Attr{Name: xml.Name{Local: "timeDependent"}, Value: strconv.FormatBool(it.TimeDependent)})
	attrs = optAttr(attrs, "toolName", it.ToolName)
	attrs = optAttr(attrs, "toolVersion", it.ToolVersion)
	w.start("assessmentItem", attrs)
	w.nl()
	w.responseDecl(&it.Response)
	for _, o := range it.Outcomes {
		a := []xml.Attr{attr("identifier", o.Identifier), attr("cardinality", o.Cardinality)}
		a = optAttr(a, "baseType", o.BaseType)
		a = optAttr(a, "normalMaximum", o.NormalMaximum)
		w.start("outcomeDeclaration", a)
		if len(o.Default) > 0 {
			w.start("defaultValue", nil)
			for _, v := range o.Default {
				w.textElem("value", v)
			}
			w.end("defaultValue")
		}
		w.end("outcomeDeclaration")
		w.nl()
	}
	w.node(&it.Body)
	w.nl()
	if it.Template != "" {
		w.start("responseProcessing", []xml.Attr{attr("template", TemplateBase+string(it.Template))})
		w.end("responseProcessing")
		w.nl()
	}
	w.end("assessmentItem")
	w.nl()
	if w.err == nil {
		w.err = w.e.Flush()
	}
	if w.err != nil {
		return nil, fmt.Errorf("export item %s: %w", it.Identifier, w.err)
	}
	return buf.Bytes(), nil
}

type writer struct {
	e   *xml.Encoder
	err error
}

func attr(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }

func optAttr(a []xml.Attr, name, value string) []xml.Attr {
	if value == "" {
		return a
	}
	return append(a, attr(name, value))
}

func optInt(a []xml.Attr, name string, v int) []xml.Attr {
	if v == 0 {
		return a
	}
	return append(a, attr(name, strconv.Itoa(v)))
}

func (w *writer) tok(t xml.Token) {
	if w.err == nil {
		w.err = w.e.EncodeToken(t)
	}
}

func (w *writer) start(name string, attrs []xml.Attr) {
	w.tok(xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs})
}
func (w *writer) end(name string) { w.tok(xml.EndElement{Name: xml.Name{Local: name}}) }
func (w *writer) text(s string)   { w.tok(xml.CharData(s)) }
func (w *writer) nl()             { w.text("\n") }
func (w *writer) textElem(name, s string) {
	w.start(name, nil)
	w.text(s)
	w.end(name)
}

func (w *writer) responseDecl(rd *ResponseDeclaration) {
	w.start("responseDeclaration", []xml.Attr{attr("identifier", rd.Identifier), attr("cardinality", rd.Cardinality), attr("baseType", rd.BaseType)})
	if len(rd.Correct) > 0 {
		w.start("correctResponse", nil)
		for _, v := range rd.Correct {
			w.textElem("value", v)
		}
		w.end("correctResponse")
	}
	if m := rd.Mapping; m != nil {
		a := []xml.Attr{attr("defaultValue", m.Default.String())}
		if m.Lower != nil {
			a = append(a, attr("lowerBound", m.Lower.String()))
		}
		if m.Upper != nil {
			a = append(a, attr("upperBound", m.Upper.String()))
		}
		w.start("mapping", a)
		for _, e := range m.Entries {
			w.start("mapEntry", []xml.Attr{attr("mapKey", e.Key), attr("mappedValue", e.Value.String()), attr("caseSensitive", strconv.FormatBool(e.CaseSensitive))})
			w.end("mapEntry")
		}
		w.end("mapping")
	}
	w.end("responseDeclaration")
	w.nl()
}

func (w *writer) node(n *Node) {
	if n.Interaction != nil {
		w.interaction(n.Interaction)
		return
	}
	if n.Element == "" {
		w.text(n.Text)
		return
	}
	attrs := make([]xml.Attr, 0, len(n.Attrs))
	for _, a := range n.Attrs {
		attrs = append(attrs, attr(a.Name, a.Value))
	}
	w.start(n.Element, attrs)
	w.nodes(n.Children)
	w.end(n.Element)
}

func (w *writer) nodes(ns []Node) {
	for i := range ns {
		w.node(&ns[i])
	}
}

func (w *writer) interaction(in *Interaction) {
	a := []xml.Attr{attr("responseIdentifier", in.ResponseIdentifier)}
	switch in.Kind {
	case ChoiceInteraction, OrderInteraction, MatchInteraction, InlineChoiceInteraction:
		a = append(a, attr("shuffle", strconv.FormatBool(in.Shuffle)))
	}
	switch in.Kind {
	case ChoiceInteraction:
		a = append(a, attr("maxChoices", strconv.Itoa(in.MaxChoices)))
		a = optInt(a, "minChoices", in.MinChoices)
	case OrderInteraction:
		a = optInt(a, "maxChoices", in.MaxChoices)
		a = optInt(a, "minChoices", in.MinChoices)
	case MatchInteraction:
		a = append(a, attr("maxAssociations", strconv.Itoa(in.MaxChoices)))
		a = optInt(a, "minAssociations", in.MinChoices)
	}
	if in.Required {
		a = append(a, attr("required", "true"))
	}
	a = optAttr(a, "orientation", in.Orientation)
	a = optInt(a, "expectedLength", in.ExpectedLength)
	a = optInt(a, "expectedLines", in.ExpectedLines)
	a = optAttr(a, "patternMask", in.PatternMask)
	a = optAttr(a, "placeholderText", in.PlaceholderText)
	a = optAttr(a, "format", in.Format)
	w.start(in.Kind, a)
	if in.Prompt != nil {
		w.start("prompt", nil)
		w.nodes(in.Prompt)
		w.end("prompt")
	}
	choice := func(name string, c *Choice, associable bool) {
		a := []xml.Attr{attr("identifier", c.Identifier)}
		if c.Fixed {
			a = append(a, attr("fixed", "true"))
		}
		if associable {
			a = append(a, attr("matchMax", strconv.Itoa(c.MatchMax)))
			a = optInt(a, "matchMin", c.MatchMin)
		}
		w.start(name, a)
		w.nodes(c.Content)
		w.end(name)
	}
	switch in.Kind {
	case MatchInteraction:
		for _, set := range [][]Choice{in.Choices, in.Targets} {
			w.start("simpleMatchSet", nil)
			for i := range set {
				choice("simpleAssociableChoice", &set[i], true)
			}
			w.end("simpleMatchSet")
		}
	case InlineChoiceInteraction:
		for i := range in.Choices {
			choice("inlineChoice", &in.Choices[i], false)
		}
	default:
		for i := range in.Choices {
			choice("simpleChoice", &in.Choices[i], false)
		}
	}
	w.end(in.Kind)
}
