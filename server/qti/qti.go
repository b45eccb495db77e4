// Package qti reads and writes item banks in IMS QTI 2.1, the exchange
// format of assessment platforms (TAO, Inspera): single assessmentItem XML
// files and IMS content packages (a zip with imsmanifest.xml). It scores
// responses exactly (server/score decimals, never float64) by the two
// standard response-processing templates, match_correct and map_response,
// and orders choices for a candidate from a seed so an appeal can show what
// the candidate saw.
//
// What is supported, item by item: one interaction per item, of
// choiceInteraction (single or multiple response), textEntryInteraction,
// inlineChoiceInteraction, orderInteraction, matchInteraction (directedPair)
// or extendedTextInteraction (the essay, graded by the commission, p.115);
// responseProcessing by template URI only. Any other construct refuses THAT
// item with an *Error naming the item and the construct; the other items of
// a package still import. Nothing is dropped silently.
//
// Categories (the legal act a legislation question tests, for the test
// program's sections) are the LOM keywords of the item's resource in
// imsmanifest.xml (metadata/lom/general/keyword/string, one category each,
// in order). An item without keywords — every standalone XML file — takes
// its label attribute (<assessmentItem label="constitution" …>) as its one
// category. When there are keywords the label is not a category: tools
// such as TAO keep the item's display name there. Export writes the
// categories as keywords and keeps the label.
//
// The input is untrusted: the XML is read by encoding/xml, which resolves no
// external entities; a DOCTYPE declaring entities is refused outright; an
// item is at most MaxItemBytes and MaxDepth elements deep; a package is at
// most MaxPackageBytes with MaxEntries entries and MaxUnpackedBytes
// unpacked, and names that leave the package are refused.
package qti

import "kuzet.kz/kuzet/server/score"

// The namespace of QTI 2.1 items.
const Namespace = "http://www.imsglobal.org/xsd/imsqti_v2p1"

// Limits on untrusted input.
const (
	// MaxItemBytes is the largest assessmentItem XML file read.
	MaxItemBytes = 1 << 20
	// MaxDepth is the deepest element nesting accepted in an item or manifest.
	MaxDepth = 64
	// MaxPackageBytes is the largest content package (the zip file) read.
	MaxPackageBytes = 50 << 20
	// MaxEntries is the most entries a package may have.
	MaxEntries = 5000
	// MaxUnpackedBytes is the most a package may unpack to, in all: the
	// zip-bomb guard (counted as read, not as the headers claim).
	MaxUnpackedBytes = 200 << 20
	// MaxAssetBytes is the largest image or object file kept for an item.
	MaxAssetBytes = 10 << 20
)

// Template is a standard response-processing template, by its short name.
type Template string

// The templates the engine runs. The empty Template means the item has no
// responseProcessing, which only an essay (extendedTextInteraction) may
// lack: it is graded by people (p.115).
const (
	MatchCorrect Template = "match_correct"
	MapResponse  Template = "map_response"
)

// TemplateBase is the URI prefix of the QTI 2.1 templates; a template URI is
// TemplateBase + name (written on export), and TemplateBase + name + ".xml"
// (the templateLocation form) is accepted too, over http or https.
const TemplateBase = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"

// The interactions supported, by their QTI element names.
const (
	ChoiceInteraction       = "choiceInteraction"
	TextEntryInteraction    = "textEntryInteraction"
	InlineChoiceInteraction = "inlineChoiceInteraction"
	OrderInteraction        = "orderInteraction"
	MatchInteraction        = "matchInteraction"
	ExtendedTextInteraction = "extendedTextInteraction"
)

// Item is one assessmentItem.
type Item struct {
	// Identifier is the item's identifier attribute, unique in a bank.
	Identifier string
	// Title is the item's title attribute (for authors; candidates see the body).
	Title string
	// Label is the label attribute; it is also a category (see the package doc).
	Label string
	// Lang is xml:lang of the item, e.g. "kk" or "ru"; may be empty.
	Lang string
	// TimeDependent is the timeDependent attribute.
	TimeDependent bool
	// ToolName and ToolVersion name the authoring tool, kept for export.
	ToolName, ToolVersion string
	// Categories, in order, without repeats: the manifest's keywords, else
	// the label (see the package doc).
	Categories []string
	// Href is the item file's path in its package ("" for a standalone file).
	Href string
	// Response declares the interaction's response variable.
	Response ResponseDeclaration
	// Outcomes are the outcome declarations; SCORE is added when the item
	// uses a template and does not declare it (the templates set SCORE).
	Outcomes []OutcomeDeclaration
	// Body is the itemBody element: XHTML with the interaction in it.
	Body Node
	// Template is the response processing; "" only for an essay.
	Template Template
	// Assets are the files the body references (img src, object data),
	// by their path in the package; Data is nil for a standalone file.
	Assets []Asset
}

// Asset is an image or object file an item references.
type Asset struct {
	// Path is the file's path in the package, resolved against the item's
	// folder ("img/map.png").
	Path string
	// Data is the file's content, or nil when the item was read alone.
	Data []byte
}

// Cardinality and base types of a response, as QTI spells them.
const (
	Single   = "single"
	Multiple = "multiple"
	Ordered  = "ordered"

	Identifier   = "identifier"
	String       = "string"
	Integer      = "integer"
	Float        = "float"
	DirectedPair = "directedPair"
)

// ResponseDeclaration is a responseDeclaration.
type ResponseDeclaration struct {
	// Identifier is the response variable, "RESPONSE" for the templates.
	Identifier string
	// Cardinality is Single, Multiple or Ordered.
	Cardinality string
	// BaseType is Identifier, String, Integer, Float or DirectedPair.
	BaseType string
	// Correct is the correctResponse's values, in order (a directedPair
	// is "source target"); empty when there is none.
	Correct []string
	// Mapping is the mapping, or nil.
	Mapping *Mapping
}

// Mapping maps response values to scores (map_response).
type Mapping struct {
	// Default is the score of a value with no entry (defaultValue, 0 if absent).
	Default score.Decimal
	// Lower and Upper bound the sum when set (lowerBound, upperBound).
	Lower, Upper *score.Decimal
	// Entries are the mapEntry elements in order.
	Entries []MapEntry
}

// MapEntry is one mapEntry.
type MapEntry struct {
	// Key is mapKey.
	Key string
	// Value is mappedValue.
	Value score.Decimal
	// CaseSensitive is caseSensitive (true when absent), for string responses.
	CaseSensitive bool
}

// OutcomeDeclaration is an outcomeDeclaration (SCORE and the like).
type OutcomeDeclaration struct {
	// Identifier names the outcome variable ("SCORE").
	Identifier string
	// Cardinality and BaseType are as QTI spells them ("single", "float").
	Cardinality, BaseType string
	// NormalMaximum is normalMaximum as written, or "".
	NormalMaximum string
	// Default is the defaultValue's values, or nil.
	Default []string
}

// Node is a piece of the item body: an element with its attributes and
// children, a text (Element == ""), or an interaction (Interaction != nil).
type Node struct {
	// Element is the element's local name ("p", "img", "choiceInteraction"),
	// or "" for a text.
	Element string
	// Attrs are the element's attributes in document order.
	Attrs []Attr
	// Text is the text of a text node.
	Text string
	// Children are the element's content.
	Children []Node
	// Interaction is set when the element is an interaction.
	Interaction *Interaction
}

// Attr is one attribute; Name is the local name, or "xml:lang" for the
// language.
type Attr struct {
	Name, Value string
}

// Interaction is one of the supported interactions.
type Interaction struct {
	// Kind is the element name, one of the *Interaction constants.
	Kind string
	// ResponseIdentifier names the response variable.
	ResponseIdentifier string
	// Shuffle allows the choices to be shown in another order (choices with
	// Fixed keep their place).
	Shuffle bool
	// MaxChoices is maxChoices (choice, order) or maxAssociations (match);
	// 0 means no limit. MinChoices is the matching minimum.
	MaxChoices, MinChoices int
	// Required is an inline choice's required="true": an answer is needed.
	Required bool
	// Orientation is "horizontal", "vertical" or "".
	Orientation string
	// ExpectedLength, ExpectedLines, PatternMask, PlaceholderText and Format
	// are the text interactions' attributes (0 or "" when absent).
	ExpectedLength, ExpectedLines int
	PatternMask, PlaceholderText  string
	Format                        string
	// Prompt is the prompt element's content, or nil.
	Prompt []Node
	// Choices are the simpleChoice, inlineChoice or (match) first
	// simpleMatchSet's simpleAssociableChoice elements.
	Choices []Choice
	// Targets are the match interaction's second simpleMatchSet.
	Targets []Choice
}

// Choice is one choice of an interaction.
type Choice struct {
	// Identifier is what a response names the choice by.
	Identifier string
	// Fixed keeps the choice in place when the interaction shuffles.
	Fixed bool
	// MatchMax and MatchMin are a match choice's limits (matchMax is required there).
	MatchMax, MatchMin int
	// Content is the choice's text and markup.
	Content []Node
}

// Interaction returns the item's one interaction.
func (it *Item) Interaction() *Interaction {
	var found *Interaction
	var walk func(n *Node)
	walk = func(n *Node) {
		if found != nil {
			return
		}
		if n.Interaction != nil {
			found = n.Interaction
			return
		}
		for i := range n.Children {
			walk(&n.Children[i])
		}
	}
	walk(&it.Body)
	return found
}

// ChoiceIdentifiers returns the identifiers of in's choices in document
// order: one list, or two for a match interaction (sources, targets).
func (in *Interaction) ChoiceIdentifiers() [][]string {
	ids := func(cs []Choice) []string {
		out := make([]string, 0, len(cs))
		for _, c := range cs {
			out = append(out, c.Identifier)
		}
		return out
	}
	switch in.Kind {
	case MatchInteraction:
		return [][]string{ids(in.Choices), ids(in.Targets)}
	case ChoiceInteraction, OrderInteraction, InlineChoiceInteraction:
		return [][]string{ids(in.Choices)}
	}
	return [][]string{}
}
