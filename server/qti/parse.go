package qti

import (
	"slices"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/score"
)

// ParseItem reads one assessmentItem document. href is the item's path in
// its package ("" for a standalone file); image paths are resolved against
// its folder. A refused item comes back as an *Error naming the item (when
// its identifier could be read), the line and the construct.
func ParseItem(data []byte, href string) (*Item, error) {
	root, err := readTree(data, MaxItemBytes)
	if err != nil {
		e := err.(*Error)
		e.File = href
		return nil, e
	}
	p := &itemParser{href: href}
	it, perr := p.item(root)
	if perr != nil {
		perr.Item = p.id
		perr.File = href
		return nil, perr
	}
	return it, nil
}

type itemParser struct {
	href   string
	id     string
	it     *Item
	inters []*Interaction
	lines  map[*Interaction]int
	assets map[string]bool
}

func refusedConstruct(n *xnode, what string) *Error {
	return newError(n.line, what, i18n.Key("qti.refused.construct"), "{construct} is not supported; only choice, text entry, inline choice, order, match and extended text interactions with the match_correct or map_response template are", "construct", what)
}

func missingAttr(n *xnode, attr string) *Error {
	return newError(n.line, n.name.Local, i18n.Key("qti.refused.attr_missing"), "{element} has no {attr} attribute, which it needs", "element", n.name.Local, "attr", attr)
}

// badValue refuses an attribute or value; key and en say what to write
// instead, after "{element} {attr}="{value}": ".
func badValue(n *xnode, attr, value string, key i18n.Key, en string, kv ...string) *Error {
	return newError(n.line, n.name.Local, key, "{element} {attr}=\"{value}\": "+en, append([]string{"element", n.name.Local, "attr", attr, "value", value}, kv...)...)
}

const (
	enBool    = "write true or false"
	enCount   = "write a whole number from 0 up"
	enDecimal = "write a decimal number with a point, such as 1, 0.5 or -0.25 (no exponent, at most 9 digits after the point)"
)

// badNumberOrBool refuses a value of an attribute parsed by parseBool
// (shuffle, fixed, required) or parseCount (the rest).
func badNumberOrBool(n *xnode, attr, value string) *Error {
	switch attr {
	case "shuffle", "fixed", "required":
		return badValue(n, attr, value, i18n.Key("qti.value.bool"), enBool)
	}
	return badValue(n, attr, value, i18n.Key("qti.value.count"), enCount)
}

func (p *itemParser) item(root *xnode) (*Item, *Error) {
	if root.name.Local != "assessmentItem" || root.name.Space != Namespace {
		return nil, newError(root.line, root.name.Local, i18n.Key("qti.error.not_item"), "the root element is {found} in namespace \"{ns}\"; want assessmentItem in {want} (QTI 2.1)",
			"found", root.name.Local, "ns", root.name.Space, "want", Namespace)
	}
	id, ok := root.attr("identifier")
	if !ok || strings.TrimSpace(id) == "" {
		return nil, missingAttr(root, "identifier")
	}
	p.id = id
	it := &Item{Identifier: id, Href: p.href}
	p.it = it
	p.lines = map[*Interaction]int{}
	p.assets = map[string]bool{}
	for _, a := range root.attrs {
		switch {
		case a.Name.Space == xmlNS && a.Name.Local == "lang":
			it.Lang = a.Value
		case a.Name.Space != "":
			// xmlns, xsi:schemaLocation: the export writes its own.
		case a.Name.Local == "identifier":
		case a.Name.Local == "title":
			it.Title = a.Value
		case a.Name.Local == "label":
			it.Label = a.Value
		case a.Name.Local == "toolName":
			it.ToolName = a.Value
		case a.Name.Local == "toolVersion":
			it.ToolVersion = a.Value
		case a.Name.Local == "timeDependent":
			b, err := parseBool(a.Value)
			if err != nil {
				return nil, badValue(root, "timeDependent", a.Value, i18n.Key("qti.value.bool"), enBool)
			}
			it.TimeDependent = b
		case a.Name.Local == "adaptive":
			b, err := parseBool(a.Value)
			if err != nil {
				return nil, badValue(root, "adaptive", a.Value, i18n.Key("qti.value.bool"), enBool)
			}
			if b {
				return nil, refusedConstruct(root, "adaptive=\"true\"")
			}
		case a.Name.Local == "xmlns":
		default:
			return nil, refusedConstruct(root, "assessmentItem "+a.Name.Local)
		}
	}
	if _, ok := root.attr("title"); !ok {
		return nil, missingAttr(root, "title")
	}
	var responses []*xnode
	var processing, body *xnode
	for _, k := range root.elems() {
		if k.name.Space != Namespace {
			return nil, refusedConstruct(k, k.name.Local+" ("+k.name.Space+")")
		}
		switch k.name.Local {
		case "responseDeclaration":
			responses = append(responses, k)
		case "outcomeDeclaration":
			o, err := p.outcome(k)
			if err != nil {
				return nil, err
			}
			it.Outcomes = append(it.Outcomes, o)
		case "itemBody":
			if body != nil {
				return nil, refusedConstruct(k, "second itemBody")
			}
			body = k
		case "responseProcessing":
			processing = k
		default:
			// templateDeclaration, templateProcessing, stylesheet,
			// modalFeedback and anything else.
			return nil, refusedConstruct(k, k.name.Local)
		}
	}
	if body == nil {
		return nil, newError(root.line, "itemBody", i18n.Key("qti.refused.no_interaction"), "the item has no interaction: give it one of the supported interactions")
	}
	b, err := p.bodyNode(body, false)
	if err != nil {
		return nil, err
	}
	it.Body = b
	if len(p.inters) == 0 {
		return nil, newError(body.line, "itemBody", i18n.Key("qti.refused.no_interaction"), "the item has no interaction: give it one of the supported interactions")
	}
	if len(p.inters) > 1 {
		return nil, newError(p.lines[p.inters[1]], p.inters[1].Kind, i18n.Key("qti.refused.several_interactions"), "the item has {count} interactions; one interaction per item is supported (split it into several items)", "count", itoa(len(p.inters)))
	}
	in := p.inters[0]
	if processing != nil {
		t, err := p.template(processing)
		if err != nil {
			return nil, err
		}
		it.Template = t
	}
	if len(responses) != 1 {
		line := root.line
		if len(responses) > 1 {
			line = responses[1].line
		}
		return nil, newError(line, "responseDeclaration", i18n.Key("qti.refused.responses"), "the item declares {count} responses; it needs exactly one, {response}, for its interaction", "count", itoa(len(responses)), "response", in.ResponseIdentifier)
	}
	rd, err := p.response(responses[0], in)
	if err != nil {
		return nil, err
	}
	it.Response = rd
	if err := p.checkScoring(responses[0], in); err != nil {
		return nil, err
	}
	if it.Template != "" && !slices.ContainsFunc(it.Outcomes, func(o OutcomeDeclaration) bool { return o.Identifier == "SCORE" }) {
		it.Outcomes = append(it.Outcomes, OutcomeDeclaration{Identifier: "SCORE", Cardinality: Single, BaseType: Float})
	}
	for _, a := range sortedKeys(p.assets) {
		it.Assets = append(it.Assets, Asset{Path: a})
	}
	if it.Label != "" {
		it.Categories = []string{it.Label}
	}
	return it, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func parseBool(s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, strconv.ErrSyntax
}

func (p *itemParser) outcome(n *xnode) (OutcomeDeclaration, *Error) {
	var o OutcomeDeclaration
	for _, a := range n.attrs {
		switch a.Name.Local {
		case "identifier":
			o.Identifier = a.Value
		case "cardinality":
			o.Cardinality = a.Value
		case "baseType":
			o.BaseType = a.Value
		case "normalMaximum":
			o.NormalMaximum = a.Value
		case "normalMinimum", "masteryValue", "interpretation", "longInterpretation", "view", "externalScored", "lookupTable":
			// Descriptive, not used for scoring here.
		default:
			return o, refusedConstruct(n, "outcomeDeclaration "+a.Name.Local)
		}
	}
	if o.Identifier == "" {
		return o, missingAttr(n, "identifier")
	}
	if o.Cardinality == "" {
		return o, missingAttr(n, "cardinality")
	}
	for _, k := range n.elems() {
		switch k.name.Local {
		case "defaultValue":
			for _, v := range k.elems() {
				if v.name.Local != "value" {
					return o, refusedConstruct(v, "defaultValue "+v.name.Local)
				}
				o.Default = append(o.Default, strings.TrimSpace(v.innerText()))
			}
		default:
			return o, refusedConstruct(k, "outcomeDeclaration "+k.name.Local)
		}
	}
	return o, nil
}

func (p *itemParser) template(n *xnode) (Template, *Error) {
	if n.hasElems() {
		return "", newError(n.line, "responseProcessing", i18n.Key("qti.refused.custom_processing"), "custom responseProcessing is not supported; use the template match_correct or map_response")
	}
	uri, _ := n.attr("template")
	if uri == "" {
		return "", newError(n.line, "responseProcessing", i18n.Key("qti.refused.custom_processing"), "custom responseProcessing is not supported; use the template match_correct or map_response")
	}
	if t, ok := templateByURI(uri); ok {
		return t, nil
	}
	return "", newError(n.line, "responseProcessing", i18n.Key("qti.refused.template"), "the response-processing template {template} is not supported; use {match_correct} or {map_response}",
		"template", uri, "match_correct", TemplateBase+string(MatchCorrect), "map_response", TemplateBase+string(MapResponse))
}

// templateByURI accepts the template URI and its templateLocation form
// (with .xml), over http or https.
func templateByURI(uri string) (Template, bool) {
	u := strings.TrimSpace(uri)
	u = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	rest, ok := strings.CutPrefix(u, strings.TrimPrefix(TemplateBase, "http://"))
	if !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, ".xml")
	switch Template(rest) {
	case MatchCorrect, MapResponse:
		return Template(rest), true
	}
	return "", false
}

// The XHTML elements an item body may use. Links, scripts, forms, frames,
// MathML and the QTI feedback and template elements are not among them.
var bodyElements = map[string]bool{
	"p": true, "div": true, "span": true, "br": true, "hr": true, "img": true, "object": true, "param": true,
	"b": true, "i": true, "em": true, "strong": true, "small": true, "big": true, "sub": true, "sup": true,
	"tt": true, "code": true, "kbd": true, "samp": true, "var": true, "cite": true, "dfn": true, "abbr": true,
	"acronym": true, "q": true, "blockquote": true, "address": true, "pre": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "li": true, "dl": true, "dt": true, "dd": true,
	"table": true, "caption": true, "thead": true, "tbody": true, "tfoot": true, "tr": true, "th": true, "td": true,
	"col": true, "colgroup": true,
}

// The attributes body elements may carry. No event handlers (on…), no style,
// no href: the body is shown to candidates in the exam page.
var bodyAttrs = map[string]bool{
	"id": true, "class": true, "label": true, "title": true, "dir": true, "src": true, "alt": true,
	"width": true, "height": true, "longdesc": true, "data": true, "type": true, "name": true, "value": true,
	"valuetype": true, "colspan": true, "rowspan": true, "scope": true, "headers": true, "abbr": true,
	"axis": true, "summary": true, "span": true, "cite": true, "start": true,
}

// bodyNode converts an element of the body (or inside a choice or prompt)
// into a Node; inInteraction forbids nested interactions.
func (p *itemParser) bodyNode(n *xnode, inInteraction bool) (Node, *Error) {
	out := Node{Element: n.name.Local}
	for _, a := range n.attrs {
		switch {
		case a.Name.Space == xmlNS && a.Name.Local == "lang":
			out.Attrs = append(out.Attrs, Attr{Name: "xml:lang", Value: a.Value})
		case a.Name.Space == "" && bodyAttrs[a.Name.Local]:
			out.Attrs = append(out.Attrs, Attr{Name: a.Name.Local, Value: a.Value})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
		default:
			return out, newError(n.line, n.name.Local+" "+a.Name.Local, i18n.Key("qti.refused.attribute"), "the attribute {attr} on {element} is not allowed in an item body", "attr", a.Name.Local, "element", n.name.Local)
		}
	}
	if src, ok := n.attr("src"); ok && n.name.Local == "img" {
		if err := p.asset(n, src); err != nil {
			return out, err
		}
	}
	if typ, ok := n.attr("type"); ok && n.name.Local == "object" {
		// The object is shown in the exam page: pictures and recordings
		// only, never HTML, PDF with scripts or plug-ins.
		t := strings.ToLower(strings.TrimSpace(typ))
		if !strings.HasPrefix(t, "image/") && !strings.HasPrefix(t, "audio/") && !strings.HasPrefix(t, "video/") {
			return out, refusedConstruct(n, "object type=\""+typ+"\"")
		}
	}
	if data, ok := n.attr("data"); ok && n.name.Local == "object" {
		if err := p.asset(n, data); err != nil {
			return out, err
		}
	}
	kids, err := p.bodyKids(n, inInteraction)
	if err != nil {
		return out, err
	}
	out.Children = kids
	return out, nil
}

func (p *itemParser) bodyKids(n *xnode, inInteraction bool) ([]Node, *Error) {
	var out []Node
	for _, k := range n.kids {
		if k.isTxt {
			out = append(out, Node{Text: k.text})
			continue
		}
		if k.name.Space != Namespace {
			return nil, refusedConstruct(k, k.name.Local+" ("+k.name.Space+")")
		}
		name := k.name.Local
		if strings.HasSuffix(name, "Interaction") {
			if inInteraction {
				return nil, refusedConstruct(k, name+" inside an interaction")
			}
			in, err := p.interaction(k)
			if err != nil {
				return nil, err
			}
			out = append(out, Node{Element: name, Interaction: in})
			continue
		}
		if !bodyElements[name] {
			return nil, refusedConstruct(k, name)
		}
		c, err := p.bodyNode(k, inInteraction)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// asset records a referenced file; only paths inside the package are
// accepted (an external image would tell a third party who sits the exam).
func (p *itemParser) asset(n *xnode, ref string) *Error {
	full, ok := AssetPath(p.href, ref)
	if !ok {
		return newError(n.line, n.name.Local, i18n.Key("qti.refused.asset_path"), "the file {path} is not a path inside the package; put the image in the package and refer to it by a relative path", "path", ref)
	}
	p.assets[full] = true
	return nil
}

// interactionAttrs lists the attributes each interaction may have.
var interactionAttrs = map[string][]string{
	ChoiceInteraction:       {"responseIdentifier", "shuffle", "maxChoices", "minChoices", "orientation", "id", "class", "label"},
	OrderInteraction:        {"responseIdentifier", "shuffle", "maxChoices", "minChoices", "orientation", "id", "class", "label"},
	MatchInteraction:        {"responseIdentifier", "shuffle", "maxAssociations", "minAssociations", "id", "class", "label"},
	InlineChoiceInteraction: {"responseIdentifier", "shuffle", "required", "id", "class", "label"},
	TextEntryInteraction:    {"responseIdentifier", "base", "expectedLength", "patternMask", "placeholderText", "id", "class", "label"},
	ExtendedTextInteraction: {"responseIdentifier", "base", "expectedLength", "expectedLines", "patternMask", "placeholderText", "format", "maxStrings", "minStrings", "id", "class", "label"},
}

func (p *itemParser) interaction(n *xnode) (*Interaction, *Error) {
	kind := n.name.Local
	allowed, ok := interactionAttrs[kind]
	if !ok {
		return nil, newError(n.line, kind, i18n.Key("qti.refused.interaction"), "{construct} is not supported; the supported interactions are choice, text entry, inline choice, order, match and extended text", "construct", kind)
	}
	in := &Interaction{Kind: kind}
	p.inters = append(p.inters, in)
	p.lines[in] = n.line
	for _, a := range n.attrs {
		if a.Name.Space != "" || !slices.Contains(allowed, a.Name.Local) {
			return nil, newError(n.line, kind+" "+a.Name.Local, i18n.Key("qti.refused.attribute"), "the attribute {attr} on {element} is not allowed in an item body", "attr", a.Name.Local, "element", kind)
		}
		v := strings.TrimSpace(a.Value)
		var err error
		switch a.Name.Local {
		case "responseIdentifier":
			in.ResponseIdentifier = v
		case "shuffle":
			in.Shuffle, err = parseBool(v)
		case "maxChoices", "maxAssociations":
			in.MaxChoices, err = parseCount(v)
		case "minChoices", "minAssociations":
			in.MinChoices, err = parseCount(v)
		case "expectedLength":
			in.ExpectedLength, err = parseCount(v)
		case "expectedLines":
			in.ExpectedLines, err = parseCount(v)
		case "orientation":
			if v != "horizontal" && v != "vertical" {
				return nil, badValue(n, a.Name.Local, a.Value, i18n.Key("qti.value.orientation"), "write horizontal or vertical")
			}
			in.Orientation = v
		case "patternMask":
			in.PatternMask = a.Value
		case "placeholderText":
			in.PlaceholderText = a.Value
		case "format":
			if v != "plain" && v != "preFormatted" && v != "xhtml" {
				return nil, badValue(n, a.Name.Local, a.Value, i18n.Key("qti.value.format"), "write plain, preFormatted or xhtml")
			}
			in.Format = v
		case "base":
			if v != "10" {
				return nil, badValue(n, a.Name.Local, a.Value, i18n.Key("qti.value.base"), "only base 10 is supported")
			}
		case "maxStrings", "minStrings":
			// One essay text per item: several strings are a record response.
			if v != "1" && !(a.Name.Local == "minStrings" && v == "0") {
				return nil, refusedConstruct(n, kind+" "+a.Name.Local+"=\""+v+"\"")
			}
		case "required":
			in.Required, err = parseBool(v)
		case "id", "class", "label":
			// Presentation only.
		}
		if err != nil {
			return nil, badNumberOrBool(n, a.Name.Local, a.Value)
		}
	}
	if in.ResponseIdentifier == "" {
		return nil, missingAttr(n, "responseIdentifier")
	}
	if _, ok := n.attr("maxChoices"); !ok && kind == ChoiceInteraction {
		in.MaxChoices = 1
	}
	if _, ok := n.attr("maxAssociations"); !ok && kind == MatchInteraction {
		in.MaxChoices = 1
	}
	switch kind {
	case TextEntryInteraction:
		for _, k := range n.elems() {
			return nil, refusedConstruct(k, kind+" "+k.name.Local)
		}
		return in, nil
	case MatchInteraction:
		sets := 0
		for _, k := range n.elems() {
			switch k.name.Local {
			case "prompt":
				if err := p.prompt(in, k); err != nil {
					return nil, err
				}
			case "simpleMatchSet":
				sets++
				if sets > 2 {
					return nil, refusedConstruct(k, "third simpleMatchSet")
				}
				for _, c := range k.elems() {
					if c.name.Local != "simpleAssociableChoice" {
						return nil, refusedConstruct(c, "simpleMatchSet "+c.name.Local)
					}
					ch, err := p.choice(c, true)
					if err != nil {
						return nil, err
					}
					if sets == 1 {
						in.Choices = append(in.Choices, ch)
					} else {
						in.Targets = append(in.Targets, ch)
					}
				}
			default:
				return nil, refusedConstruct(k, kind+" "+k.name.Local)
			}
		}
		if sets != 2 {
			return nil, newError(n.line, kind, i18n.Key("qti.refused.match_sets"), "matchInteraction needs two simpleMatchSet elements, found {count}", "count", itoa(sets))
		}
	case ExtendedTextInteraction:
		for _, k := range n.elems() {
			if k.name.Local != "prompt" {
				return nil, refusedConstruct(k, kind+" "+k.name.Local)
			}
			if err := p.prompt(in, k); err != nil {
				return nil, err
			}
		}
		return in, nil
	default:
		want := "simpleChoice"
		if kind == InlineChoiceInteraction {
			want = "inlineChoice"
		}
		for _, k := range n.elems() {
			switch {
			case k.name.Local == "prompt" && kind != InlineChoiceInteraction:
				if err := p.prompt(in, k); err != nil {
					return nil, err
				}
			case k.name.Local == want:
				ch, err := p.choice(k, false)
				if err != nil {
					return nil, err
				}
				in.Choices = append(in.Choices, ch)
			default:
				return nil, refusedConstruct(k, kind+" "+k.name.Local)
			}
		}
	}
	seen := map[string]bool{}
	for _, set := range [][]Choice{in.Choices, in.Targets} {
		for _, c := range set {
			if seen[c.Identifier] {
				return nil, newError(n.line, kind, i18n.Key("qti.refused.duplicate_choice"), "two choices have the identifier {choice}", "choice", c.Identifier)
			}
			seen[c.Identifier] = true
		}
	}
	if len(in.Choices) == 0 || (kind == MatchInteraction && len(in.Targets) == 0) {
		return nil, newError(n.line, kind, i18n.Key("qti.refused.no_choices"), "{construct} has no choices", "construct", kind)
	}
	return in, nil
}

func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1000000 {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

func (p *itemParser) prompt(in *Interaction, n *xnode) *Error {
	if in.Prompt != nil {
		return refusedConstruct(n, "second prompt")
	}
	kids, err := p.bodyKids(n, true)
	if err != nil {
		return err
	}
	if kids == nil {
		kids = []Node{}
	}
	in.Prompt = kids
	return nil
}

func (p *itemParser) choice(n *xnode, associable bool) (Choice, *Error) {
	var c Choice
	for _, a := range n.attrs {
		v := strings.TrimSpace(a.Value)
		var err error
		switch {
		case a.Name.Space != "":
			return c, newError(n.line, n.name.Local+" "+a.Name.Local, i18n.Key("qti.refused.attribute"), "the attribute {attr} on {element} is not allowed in an item body", "attr", a.Name.Local, "element", n.name.Local)
		case a.Name.Local == "identifier":
			c.Identifier = v
		case a.Name.Local == "fixed":
			c.Fixed, err = parseBool(v)
		case associable && a.Name.Local == "matchMax":
			c.MatchMax, err = parseCount(v)
		case associable && a.Name.Local == "matchMin":
			c.MatchMin, err = parseCount(v)
		case a.Name.Local == "id" || a.Name.Local == "class" || a.Name.Local == "label":
		default:
			// templateIdentifier, showHide and the like.
			return c, refusedConstruct(n, n.name.Local+" "+a.Name.Local)
		}
		if err != nil {
			return c, badNumberOrBool(n, a.Name.Local, a.Value)
		}
	}
	if c.Identifier == "" || strings.ContainsAny(c.Identifier, " \t\n") {
		return c, missingAttr(n, "identifier")
	}
	if _, ok := n.attr("matchMax"); associable && !ok {
		return c, missingAttr(n, "matchMax")
	}
	kids, err := p.bodyKids(n, true)
	if err != nil {
		return c, err
	}
	if kids == nil {
		kids = []Node{}
	}
	c.Content = kids
	return c, nil
}

// The response each interaction needs: its base types and cardinalities.
var responseShape = map[string]struct{ base, card []string }{
	ChoiceInteraction:       {[]string{Identifier}, []string{Single, Multiple}},
	OrderInteraction:        {[]string{Identifier}, []string{Ordered}},
	MatchInteraction:        {[]string{DirectedPair}, []string{Single, Multiple}},
	InlineChoiceInteraction: {[]string{Identifier}, []string{Single}},
	TextEntryInteraction:    {[]string{String, Integer, Float}, []string{Single}},
	ExtendedTextInteraction: {[]string{String}, []string{Single}},
}

func (p *itemParser) response(n *xnode, in *Interaction) (ResponseDeclaration, *Error) {
	var rd ResponseDeclaration
	for _, a := range n.attrs {
		switch a.Name.Local {
		case "identifier":
			rd.Identifier = a.Value
		case "cardinality":
			rd.Cardinality = a.Value
		case "baseType":
			rd.BaseType = a.Value
		default:
			return rd, refusedConstruct(n, "responseDeclaration "+a.Name.Local)
		}
	}
	if rd.Identifier != in.ResponseIdentifier {
		return rd, newError(n.line, "responseDeclaration", i18n.Key("qti.refused.response_name"), "the interaction answers {response}, but the responseDeclaration is {declared}: give them the same identifier", "response", in.ResponseIdentifier, "declared", rd.Identifier)
	}
	shape := responseShape[in.Kind]
	if !slices.Contains(shape.base, rd.BaseType) || !slices.Contains(shape.card, rd.Cardinality) {
		return rd, newError(n.line, "responseDeclaration", i18n.Key("qti.refused.response_shape"), "{construct} needs a response of baseType {base} and cardinality {card}; {response} is declared baseType \"{got_base}\", cardinality \"{got_card}\"",
			"construct", in.Kind, "base", strings.Join(shape.base, "/"), "card", strings.Join(shape.card, "/"), "response", rd.Identifier, "got_base", rd.BaseType, "got_card", rd.Cardinality)
	}
	if in.Kind == ChoiceInteraction && rd.Cardinality == Single && in.MaxChoices != 1 {
		return rd, badValue(n, "cardinality", rd.Cardinality, i18n.Key("qti.value.single_max"), "a choiceInteraction with maxChoices other than 1 needs cardinality multiple")
	}
	for _, k := range n.elems() {
		switch k.name.Local {
		case "correctResponse":
			if rd.Correct != nil {
				return rd, refusedConstruct(k, "second correctResponse")
			}
			rd.Correct = []string{}
			for _, v := range k.elems() {
				if v.name.Local != "value" {
					return rd, refusedConstruct(v, "correctResponse "+v.name.Local)
				}
				val := normValue(rd.BaseType, v.innerText())
				if err := checkValue(v, in, rd.BaseType, val); err != nil {
					return rd, err
				}
				rd.Correct = append(rd.Correct, val)
			}
			if len(rd.Correct) == 0 {
				return rd, refusedConstruct(k, "empty correctResponse")
			}
			if rd.Cardinality == Single && len(rd.Correct) > 1 {
				return rd, badValue(k, "cardinality", Single, i18n.Key("qti.value.single_correct"), "a single response has one correct value; this one has {count}", "count", itoa(len(rd.Correct)))
			}
		case "mapping":
			m, err := mapping(k, in, rd.BaseType)
			if err != nil {
				return rd, err
			}
			rd.Mapping = m
		default:
			// defaultValue, areaMapping and the like.
			return rd, refusedConstruct(k, "responseDeclaration "+k.name.Local)
		}
	}
	return rd, nil
}

// normValue trims a value as QTI compares it: identifiers and pairs without
// surrounding space and with one space inside a pair; strings as written.
func normValue(base, v string) string {
	switch base {
	case String:
		return v
	case DirectedPair:
		return strings.Join(strings.Fields(v), " ")
	}
	return strings.TrimSpace(v)
}

// checkValue makes sure a correct value or map key can be a response.
func checkValue(n *xnode, in *Interaction, base, v string) *Error {
	switch base {
	case Identifier:
		if !hasChoice(in.Choices, v) {
			return newError(n.line, n.name.Local, i18n.Key("qti.refused.unknown_choice"), "{value} is not the identifier of a choice of the interaction", "value", v)
		}
	case DirectedPair:
		src, dst, ok := strings.Cut(v, " ")
		if !ok || !hasChoice(in.Choices, src) || !hasChoice(in.Targets, dst) {
			return newError(n.line, n.name.Local, i18n.Key("qti.refused.unknown_choice"), "{value} is not the identifier of a choice of the interaction", "value", v)
		}
	case Integer:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return badValue(n, "value", v, i18n.Key("qti.value.integer"), "write a whole number")
		}
	case Float:
		if _, err := score.Parse(v); err != nil {
			return badValue(n, "value", v, i18n.Key("qti.value.decimal"), enDecimal)
		}
	}
	return nil
}

func hasChoice(cs []Choice, id string) bool {
	return slices.ContainsFunc(cs, func(c Choice) bool { return c.Identifier == id })
}

func decimalAttr(n *xnode, name string) (*score.Decimal, *Error) {
	v, ok := n.attr(name)
	if !ok {
		return nil, nil
	}
	d, err := score.Parse(v)
	if err != nil {
		return nil, badValue(n, name, v, i18n.Key("qti.value.decimal"), enDecimal)
	}
	return &d, nil
}

func mapping(n *xnode, in *Interaction, base string) (*Mapping, *Error) {
	m := &Mapping{Entries: []MapEntry{}}
	for _, a := range n.attrs {
		if a.Name.Local != "defaultValue" && a.Name.Local != "lowerBound" && a.Name.Local != "upperBound" {
			return nil, refusedConstruct(n, "mapping "+a.Name.Local)
		}
	}
	def, err := decimalAttr(n, "defaultValue")
	if err != nil {
		return nil, err
	}
	if def != nil {
		m.Default = *def
	}
	if m.Lower, err = decimalAttr(n, "lowerBound"); err != nil {
		return nil, err
	}
	if m.Upper, err = decimalAttr(n, "upperBound"); err != nil {
		return nil, err
	}
	if m.Lower != nil && m.Upper != nil && m.Lower.Cmp(*m.Upper) > 0 {
		return nil, badValue(n, "lowerBound", m.Lower.String(), i18n.Key("qti.value.bounds"), "the lower bound is above the upper bound {upper}", "upper", m.Upper.String())
	}
	seen := map[string]bool{}
	for _, k := range n.elems() {
		if k.name.Local != "mapEntry" {
			return nil, refusedConstruct(k, "mapping "+k.name.Local)
		}
		var e MapEntry
		e.CaseSensitive = true
		key, ok := k.attr("mapKey")
		if !ok {
			return nil, missingAttr(k, "mapKey")
		}
		e.Key = normValue(base, key)
		if err := checkValue(k, in, base, e.Key); err != nil {
			return nil, err
		}
		mv, ok := k.attr("mappedValue")
		if !ok {
			return nil, missingAttr(k, "mappedValue")
		}
		d, perr := score.Parse(mv)
		if perr != nil {
			return nil, badValue(k, "mappedValue", mv, i18n.Key("qti.value.decimal"), enDecimal)
		}
		e.Value = d
		for _, a := range k.attrs {
			switch a.Name.Local {
			case "mapKey", "mappedValue":
			case "caseSensitive":
				b, err := parseBool(a.Value)
				if err != nil {
					return nil, badValue(k, "caseSensitive", a.Value, i18n.Key("qti.value.bool"), enBool)
				}
				e.CaseSensitive = b
			default:
				return nil, refusedConstruct(k, "mapEntry "+a.Name.Local)
			}
		}
		if seen[e.Key] {
			return nil, badValue(k, "mapKey", e.Key, i18n.Key("qti.value.duplicate_key"), "each key may be mapped once")
		}
		seen[e.Key] = true
		m.Entries = append(m.Entries, e)
	}
	return m, nil
}

// checkScoring refuses an item its template cannot score.
func (p *itemParser) checkScoring(n *xnode, in *Interaction) *Error {
	it := p.it
	switch it.Template {
	case "":
		if in.Kind != ExtendedTextInteraction {
			return newError(n.line, "responseProcessing", i18n.Key("qti.refused.no_processing"), "the item has no responseProcessing, so it cannot be scored; add the template match_correct or map_response")
		}
	case MatchCorrect:
		if it.Response.Correct == nil {
			return newError(n.line, "correctResponse", i18n.Key("qti.refused.no_correct"), "the template {template} needs a correctResponse for {response}", "template", string(MatchCorrect), "response", it.Response.Identifier)
		}
	case MapResponse:
		if it.Response.Mapping == nil {
			return newError(n.line, "mapping", i18n.Key("qti.refused.no_mapping"), "the template {template} needs a mapping for {response}", "template", string(MapResponse), "response", it.Response.Identifier)
		}
		if it.Response.Cardinality == Ordered {
			return newError(n.line, "map_response", i18n.Key("qti.refused.map_ordered"), "map_response cannot score an ordered response; use match_correct for orderInteraction")
		}
	}
	if it.Template != "" && it.Response.Identifier != "RESPONSE" {
		return newError(n.line, "responseDeclaration", i18n.Key("qti.refused.not_response"), "the standard templates score the response RESPONSE; this item's response is {response}", "response", it.Response.Identifier)
	}
	return nil
}
