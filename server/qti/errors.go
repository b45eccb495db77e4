package qti

import (
	"regexp"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/protocol/i18n"
)

// Error is why an item, or a whole file, was refused. Key and Args are the
// reason in the kk/ru/en catalogue (protocol/i18n/messages/qti.json); Error()
// is the English text for logs and the command line.
type Error struct {
	// Item is the item's identifier, or "" when it could not be read.
	Item string `json:"item"`
	// File is the item's path in its package, or "".
	File string `json:"file,omitempty"`
	// Line is the line of the construct in the item or manifest XML, or 0.
	Line int `json:"line,omitempty"`
	// Construct names what was refused ("hotspotInteraction",
	// "responseProcessing", "DOCTYPE") or "".
	Construct string `json:"construct,omitempty"`
	// Key is the reason's catalogue key.
	Key i18n.Key `json:"key"`
	// Args fill the key's placeholders.
	Args i18n.Args `json:"args"`

	en string
}

var placeholderRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// newError makes an Error; en is the English text with {name} placeholders
// filled from kv (name, value pairs), the same as the catalogue's.
func newError(line int, construct string, key i18n.Key, en string, kv ...string) *Error {
	args := i18n.Args{}
	for i := 0; i+1 < len(kv); i += 2 {
		args[kv[i]] = kv[i+1]
	}
	return &Error{Line: line, Construct: construct, Key: key, Args: args, en: en}
}

// Reason is the English reason without the item and line.
func (e *Error) Reason() string {
	return placeholderRE.ReplaceAllStringFunc(e.en, func(m string) string {
		if v, ok := e.Args[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// Text is the reason in lang from the catalogue, with the line when known.
func (e *Error) Text(cat *i18n.Catalogue, lang i18n.Lang) string {
	s := cat.Text(lang, e.Key, e.Args)
	if e.Line > 0 {
		s = cat.Text(lang, i18n.Key("qti.at_line"), i18n.Args{"line": strconv.Itoa(e.Line)}) + ": " + s
	}
	return s
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Item != "" {
		b.WriteString("item ")
		b.WriteString(e.Item)
		b.WriteString(": ")
	}
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	b.WriteString(e.Reason())
	return b.String()
}
