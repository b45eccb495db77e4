// Package i18n is the one text catalogue of Kuzet. Every string a person
// reads — in the agent's terminal, on the candidate's page, in the proctor's
// dashboard — is looked up here by key, in Kazakh, Russian or English.
//
// The catalogue is data: JSON files under messages/, one per area, each
// mapping a key to its three texts:
//
//	{"agent.connected": {"kk": "…", "ru": "…", "en": "Connected, PIN {pin}"}}
//
// Placeholders are written {name}; every language of a key must use the same
// set. Load refuses a catalogue where a language or a placeholder is missing,
// so a gap is found by the tests, not by a candidate.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Lang is a language the catalogue holds, as its ISO 639-1 code.
type Lang string

// The languages of the catalogue. Kazakh is the state language; Russian is in
// official use; English is for support staff and auditors abroad.
const (
	KK Lang = "kk"
	RU Lang = "ru"
	EN Lang = "en"
)

// Langs lists the languages every key must have, in the order the UI offers them.
func Langs() []Lang { return []Lang{KK, RU, EN} }

// Key is a catalogue key. Code writes keys as i18n.Key("area.name") literals
// so that a test can find every key the code uses and check it exists.
type Key string

// Args fills the {name} placeholders of a text.
type Args map[string]string

// Catalogue holds every text by key and language. It is read-only after Load
// and safe for concurrent use.
type Catalogue struct {
	texts map[Key]map[Lang]string
}

//go:embed messages/*.json
var messages embed.FS

var placeholder = regexp.MustCompile(`\{([a-zA-Z0-9_]+)\}`)

// Load reads the catalogue shipped in this package.
func Load() (*Catalogue, error) { return LoadFS(messages, "messages") }

// LoadFS reads every *.json file in dir of fsys as catalogue files. It fails,
// naming the file and key, when a key is defined twice, a language is missing
// or empty, or the languages of a key use different placeholders.
func LoadFS(fsys fs.FS, dir string) (*Catalogue, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list catalogue files: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no catalogue files in %s", dir)
	}
	c := &Catalogue{texts: map[Key]map[Lang]string{}}
	from := map[Key]string{}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		var file map[Key]map[Lang]string
		if err := json.Unmarshal(raw, &file); err != nil {
			return nil, fmt.Errorf("%s: not a catalogue file (want {\"key\": {\"kk\": …, \"ru\": …, \"en\": …}}): %w", name, err)
		}
		for key, texts := range file {
			if prev, ok := from[key]; ok {
				return nil, fmt.Errorf("%s: key %q is already defined in %s", name, key, prev)
			}
			if err := checkEntry(key, texts); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			from[key] = name
			c.texts[key] = texts
		}
	}
	return c, nil
}

func checkEntry(key Key, texts map[Lang]string) error {
	for lang := range texts {
		if !lang.Valid() {
			return fmt.Errorf("key %q: unknown language %q (want kk, ru, en)", key, lang)
		}
	}
	var want []string
	for i, lang := range Langs() {
		s := strings.TrimSpace(texts[lang])
		if s == "" {
			return fmt.Errorf("key %q: no %s text", key, lang)
		}
		got := placeholders(s)
		if i == 0 {
			want = got
			continue
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("key %q: %s uses placeholders %v but kk uses %v", key, lang, got, want)
		}
	}
	return nil
}

func placeholders(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// Valid reports whether l is one of the catalogue's languages.
func (l Lang) Valid() bool { return l == KK || l == RU || l == EN }

// ParseLang turns a user's choice ("kk", "ru", "en", or a locale such as
// "ru_KZ.UTF-8" or "kk-KZ") into a Lang, or explains what is accepted.
func ParseLang(s string) (Lang, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) >= 2 {
		if l := Lang(s[:2]); l.Valid() && (len(s) == 2 || s[2] == '_' || s[2] == '-' || s[2] == '.') {
			return l, nil
		}
	}
	return "", fmt.Errorf("language %q is not available: use kk, ru or en", s)
}

// Has reports whether key is in the catalogue.
func (c *Catalogue) Has(key Key) bool { _, ok := c.texts[key]; return ok }

// Keys returns every key, sorted.
func (c *Catalogue) Keys() []Key {
	keys := make([]Key, 0, len(c.texts))
	for k := range c.texts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// Text returns the text of key in lang with its placeholders filled from args.
// An unknown key comes back as "[key]" so that a gap shows instead of a blank;
// the tests make sure no code path reaches that. An unknown language falls back
// to Russian, the language of official use every user reads.
func (c *Catalogue) Text(lang Lang, key Key, args Args) string {
	texts, ok := c.texts[key]
	if !ok {
		return "[" + string(key) + "]"
	}
	s, ok := texts[lang]
	if !ok {
		s = texts[RU]
	}
	if len(args) == 0 {
		return s
	}
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := args[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// All returns a copy of the whole catalogue, for the web app to fetch.
func (c *Catalogue) All() map[Key]map[Lang]string {
	out := make(map[Key]map[Lang]string, len(c.texts))
	for k, v := range c.texts {
		m := make(map[Lang]string, len(v))
		for l, s := range v {
			m[l] = s
		}
		out[k] = m
	}
	return out
}
