package qti

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/protocol/i18n"
)

const xmlNS = "http://www.w3.org/XML/1998/namespace"

// xnode is an element or a text of an untrusted document, read whole before
// it is interpreted so that the limits apply before any meaning does.
type xnode struct {
	name  xml.Name
	attrs []xml.Attr
	kids  []*xnode
	text  string
	buf   []byte // the text while it is read (appends stay linear)
	isTxt bool
	line  int
}

// readTree reads an XML document into a tree under the limits of the
// package doc.
func readTree(data []byte, limit int) (*xnode, error) {
	if len(data) > limit {
		return nil, newError(0, "", i18n.Key("qti.error.too_big"), "the file is {size} bytes or more; the limit is {max} bytes",
			"size", strconv.Itoa(len(data)), "max", strconv.Itoa(limit))
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var stack []*xnode
	var root *xnode
	line := func() int { l, _ := d.InputPos(); return l }
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, newError(se.Line, "", i18n.Key("qti.error.xml"), "the XML is not well-formed: {detail}", "detail", se.Msg)
			}
			msg := err.Error()
			if strings.Contains(msg, "CharsetReader") {
				return nil, newError(line(), "", i18n.Key("qti.error.encoding"), "the XML is not in UTF-8: save it as UTF-8")
			}
			return nil, newError(line(), "", i18n.Key("qti.error.xml"), "the XML is not well-formed: {detail}", "detail", msg)
		}
		switch t := tok.(type) {
		case xml.Directive:
			// Go's decoder never expands declared entities, but a
			// document that declares them is hostile or broken either way.
			if strings.Contains(string(t), "ENTITY") {
				return nil, newError(line(), "DOCTYPE", i18n.Key("qti.error.entity"), "the DOCTYPE declares entities, which are refused (they can read files or expand without end): remove the DOCTYPE")
			}
		case xml.StartElement:
			if len(stack) >= MaxDepth {
				return nil, newError(line(), t.Name.Local, i18n.Key("qti.error.depth"), "elements are nested more than {max} deep", "max", strconv.Itoa(MaxDepth))
			}
			n := &xnode{name: t.Name, attrs: append([]xml.Attr(nil), t.Attr...), line: line()}
			if len(stack) == 0 {
				if root != nil {
					return nil, newError(n.line, "", i18n.Key("qti.error.xml"), "the XML is not well-formed: {detail}", "detail", "more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			for _, k := range stack[len(stack)-1].kids {
				if k.isTxt && k.buf != nil {
					k.text, k.buf = string(k.buf), nil
				}
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			p := stack[len(stack)-1]
			// Comments and processing instructions split a text; its
			// pieces are joined here, in linear time (a string += per
			// piece would be quadratic on "a<!---->a<!---->…").
			if k := len(p.kids); k > 0 && p.kids[k-1].isTxt {
				p.kids[k-1].buf = append(p.kids[k-1].buf, t...)
			} else {
				p.kids = append(p.kids, &xnode{isTxt: true, buf: append([]byte{}, t...), line: line()})
			}
		}
	}
	if root == nil {
		return nil, newError(0, "", i18n.Key("qti.error.xml"), "the XML is not well-formed: {detail}", "detail", "no root element")
	}
	return root, nil
}

// attr returns the value of the attribute with this local name (no namespace).
func (n *xnode) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// elems returns the element children (no texts).
func (n *xnode) elems() []*xnode {
	var out []*xnode
	for _, k := range n.kids {
		if !k.isTxt {
			out = append(out, k)
		}
	}
	return out
}

// innerText is the concatenated text of n's text children.
func (n *xnode) innerText() string {
	var b strings.Builder
	for _, k := range n.kids {
		if k.isTxt {
			b.WriteString(k.text)
		}
	}
	return b.String()
}

// hasElems reports whether n has element children.
func (n *xnode) hasElems() bool { return len(n.elems()) > 0 }

func itoa(i int) string { return strconv.Itoa(i) }
