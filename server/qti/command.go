package qti

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/score"
)

const usage = `usage:
  kuzet-server bank inspect [--json] [--lang kk|ru|en] FILE…

Lists every item of each FILE — a QTI 2.1 content package (.zip with
imsmanifest.xml) or a single assessmentItem XML file — with its identifier,
title, interaction, choice identifiers, correct response and mapping, or why
it was refused. Refused items are listed and do not fail the command; a FILE
that cannot be read at all makes the exit code 1.
`

// RunCommand is "kuzet-server bank": it shows what an item bank holds and
// what the engine refuses, before the bank is used. It returns the exit
// code (2 for bad usage, 1 when a file could not be read).
func RunCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] != "inspect" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("bank inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	asJSON := fs.Bool("json", false, "print JSON")
	langFlag := fs.String("lang", "", "language of the reasons: kk, ru or en (default: from LANG, else kk)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	lang := i18n.KK
	for _, s := range []string{*langFlag, getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG")} {
		if s == "" {
			continue
		}
		l, err := i18n.ParseLang(s)
		if err == nil {
			lang = l
			break
		}
		if s == *langFlag {
			fmt.Fprintln(stderr, "kuzet-server bank inspect:", err)
			return 2
		}
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "kuzet-server bank inspect: give at least one FILE (a .zip content package or an item .xml)")
		fmt.Fprint(stderr, usage)
		return 2
	}
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(stderr, "kuzet-server bank inspect:", err)
		return 1
	}
	reports := []fileReport{}
	code := 0
	for _, name := range fs.Args() {
		r := inspectFile(name, cat, lang)
		if r.Error != nil {
			code = 1
		}
		reports = append(reports, r)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			fmt.Fprintln(stderr, "kuzet-server bank inspect:", err)
			return 1
		}
		return code
	}
	for _, r := range reports {
		printReport(stdout, stderr, r, cat, lang)
	}
	return code
}

// fileReport is what inspect says about one FILE (the --json format).
type fileReport struct {
	File    string        `json:"file"`
	Package string        `json:"package,omitempty"`
	Error   *reasonReport `json:"error"`
	Items   []itemReport  `json:"items"`
}

type reasonReport struct {
	*Error
	Text string `json:"text"`
}

type itemReport struct {
	Identifier  string         `json:"identifier"`
	Version     string         `json:"version,omitempty"`
	Resource    string         `json:"resource,omitempty"`
	Href        string         `json:"href,omitempty"`
	Title       string         `json:"title"`
	Interaction string         `json:"interaction"`
	Cardinality string         `json:"cardinality"`
	BaseType    string         `json:"baseType"`
	Template    string         `json:"template"`
	Shuffle     bool           `json:"shuffle"`
	Choices     [][]string     `json:"choices"`
	Correct     []string       `json:"correct"`
	Mapping     *mappingReport `json:"mapping"`
	Categories  []string       `json:"categories"`
	Assets      []assetReport  `json:"assets"`
	Refused     *reasonReport  `json:"refused"`
}

type mappingReport struct {
	Default score.Decimal  `json:"default"`
	Lower   *score.Decimal `json:"lower"`
	Upper   *score.Decimal `json:"upper"`
	Entries []MapEntry     `json:"entries"`
}

type assetReport struct {
	Path  string `json:"path"`
	Bytes int    `json:"bytes"`
}

// MarshalJSON writes a mapping entry with lower-case names.
func (e MapEntry) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Key           string        `json:"key"`
		Value         score.Decimal `json:"value"`
		CaseSensitive bool          `json:"caseSensitive"`
	}{e.Key, e.Value, e.CaseSensitive})
}

func reason(e *Error, cat *i18n.Catalogue, lang i18n.Lang) *reasonReport {
	return &reasonReport{Error: e, Text: e.Text(cat, lang)}
}

func inspectFile(name string, cat *i18n.Catalogue, lang i18n.Lang) fileReport {
	r := fileReport{File: name, Items: []itemReport{}}
	fail := func(err error) fileReport {
		var e *Error
		if !errors.As(err, &e) {
			e = newError(0, "", i18n.Key("qti.error.open"), "the file cannot be read: {detail}", "detail", err.Error())
		}
		r.Error = reason(e, cat, lang)
		return r
	}
	head, err := readHead(name)
	if err != nil {
		return fail(err)
	}
	if bytes.HasPrefix(head, []byte("PK")) {
		pkg, err := ReadPackageFile(name)
		if err != nil {
			return fail(err)
		}
		r.Package = pkg.Identifier
		for _, e := range pkg.Entries {
			if e.Item != nil {
				r.Items = append(r.Items, report(e.Item))
				continue
			}
			r.Items = append(r.Items, itemReport{Identifier: e.Err.Item, Resource: e.Resource, Href: e.Href, Choices: [][]string{}, Correct: []string{}, Categories: []string{}, Assets: []assetReport{}, Refused: reason(e.Err, cat, lang)})
		}
		return r
	}
	it, err := ReadItemFile(name)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Item != "" {
			// A refused item is listed, not fatal.
			r.Items = append(r.Items, itemReport{Identifier: e.Item, Choices: [][]string{}, Correct: []string{}, Categories: []string{}, Assets: []assetReport{}, Refused: reason(e, cat, lang)})
			return r
		}
		return fail(err)
	}
	r.Items = append(r.Items, report(it))
	return r
}

func readHead(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:n], nil
}

// ReadItemFile reads a standalone assessmentItem file and the images it
// references, from the file's folder (under the same path rules as in a
// package: nothing outside that folder).
func ReadItemFile(name string) (*Item, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxItemBytes+1))
	if err != nil {
		return nil, err
	}
	it, err := ParseItem(data, "")
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(name)
	for i := range it.Assets {
		a := &it.Assets[i]
		b, err := readLimited(filepath.Join(dir, filepath.FromSlash(a.Path)), MaxAssetBytes)
		if err != nil {
			e := newError(0, a.Path, i18n.Key("qti.error.asset_file"), "the file {name} the item refers to cannot be read: {detail}", "name", a.Path, "detail", err.Error())
			e.Item = it.Identifier
			return nil, e
		}
		a.Data = b
	}
	return it, nil
}

func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return b, nil
}

func report(it *Item) itemReport {
	in := it.Interaction()
	r := itemReport{
		Identifier: it.Identifier, Href: it.Href, Title: it.Title,
		Interaction: in.Kind, Cardinality: it.Response.Cardinality, BaseType: it.Response.BaseType,
		Template: string(it.Template), Shuffle: in.Shuffle, Choices: in.ChoiceIdentifiers(),
		Correct: append([]string{}, it.Response.Correct...), Categories: append([]string{}, it.Categories...),
		Assets: []assetReport{},
	}
	r.Version, _ = it.Version()
	if m := it.Response.Mapping; m != nil {
		r.Mapping = &mappingReport{Default: m.Default, Lower: m.Lower, Upper: m.Upper, Entries: append([]MapEntry{}, m.Entries...)}
	}
	for _, a := range it.Assets {
		r.Assets = append(r.Assets, assetReport{Path: a.Path, Bytes: len(a.Data)})
	}
	return r
}

func printReport(w, stderr io.Writer, r fileReport, cat *i18n.Catalogue, lang i18n.Lang) {
	if r.Error != nil {
		fmt.Fprintf(stderr, "kuzet-server bank inspect: %s: %s\n", r.File, r.Error.Text)
		return
	}
	refused := 0
	for _, it := range r.Items {
		if it.Refused != nil {
			refused++
		}
	}
	head := r.File
	if r.Package != "" {
		head += " (" + r.Package + ")"
	}
	fmt.Fprintf(w, "%s: %s\n", head, cat.Text(lang, i18n.Key("qti.inspect.summary"), i18n.Args{"items": strconv.Itoa(len(r.Items) - refused), "refused": strconv.Itoa(refused)}))
	for _, it := range r.Items {
		id := it.Identifier
		if id == "" {
			id = it.Resource
		}
		if it.Refused != nil {
			where := ""
			if it.Href != "" {
				where = " (" + it.Href + ")"
			}
			fmt.Fprintf(w, "  %s%s: %s\n", id, where, cat.Text(lang, i18n.Key("qti.inspect.refused"), i18n.Args{"reason": it.Refused.Text}))
			continue
		}
		tmpl := it.Template
		if tmpl == "" {
			tmpl = "-"
		}
		fmt.Fprintf(w, "  %s %q: %s, %s %s, %s", id, it.Title, it.Interaction, it.Cardinality, it.BaseType, tmpl)
		if it.Shuffle {
			fmt.Fprint(w, ", shuffle")
		}
		fmt.Fprintln(w)
		for i, set := range it.Choices {
			label := "choices"
			if len(it.Choices) == 2 {
				label = [2]string{"sources", "targets"}[i]
			}
			fmt.Fprintf(w, "    %s: %s\n", label, strings.Join(set, " "))
		}
		if len(it.Correct) > 0 {
			fmt.Fprintf(w, "    correct: %s\n", strings.Join(quoteAll(it.Correct), " "))
		}
		if m := it.Mapping; m != nil {
			parts := []string{}
			for _, e := range m.Entries {
				s := strconv.Quote(e.Key) + "=" + e.Value.String()
				if !e.CaseSensitive {
					s += " (any case)"
				}
				parts = append(parts, s)
			}
			s := "default " + m.Default.String()
			if m.Lower != nil {
				s += ", lower " + m.Lower.String()
			}
			if m.Upper != nil {
				s += ", upper " + m.Upper.String()
			}
			fmt.Fprintf(w, "    mapping: %s; %s\n", strings.Join(parts, " "), s)
		}
		if it.Version != "" {
			fmt.Fprintf(w, "    version: %s\n", it.Version[:16])
		}
		if len(it.Categories) > 0 {
			fmt.Fprintf(w, "    categories: %s\n", strings.Join(it.Categories, ", "))
		}
		for _, a := range it.Assets {
			fmt.Fprintf(w, "    asset: %s (%d bytes)\n", a.Path, a.Bytes)
		}
	}
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.Quote(v)
	}
	return out
}
