package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestShippedCatalogueLoads(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("the shipped catalogue is broken: %v", err)
	}
	if len(c.Keys()) == 0 {
		t.Fatal("the shipped catalogue is empty")
	}
}

func TestEveryRuleHasTitleAndFix(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"10.1", "10.2", "10.3", "10.4", "10.5", "10.6", "10.7", "10.8", "10.9", "10.10", "10.11"} {
		for _, part := range []string{"title", "fix"} {
			if k := Key("rule." + id + "." + part); !c.Has(k) {
				t.Errorf("catalogue has no %s", k)
			}
		}
	}
}

func TestLoadRejectsGaps(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"missing language", `{"a.b": {"kk": "x", "ru": "y"}}`, `no en text`},
		{"empty text", `{"a.b": {"kk": "x", "ru": " ", "en": "z"}}`, `no ru text`},
		{"unknown language", `{"a.b": {"kk": "x", "ru": "y", "en": "z", "de": "w"}}`, `unknown language "de"`},
		{"placeholder differs", `{"a.b": {"kk": "{n} x", "ru": "{m} y", "en": "{n} z"}}`, `placeholders`},
		{"not json", `{"a.b": `, `not a catalogue file`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"m/x.json": {Data: []byte(tc.file)}}
			_, err := LoadFS(fsys, "m")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadFS error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	dup := fstest.MapFS{
		"m/a.json": {Data: []byte(`{"k": {"kk": "1", "ru": "2", "en": "3"}}`)},
		"m/b.json": {Data: []byte(`{"k": {"kk": "1", "ru": "2", "en": "3"}}`)},
	}
	if _, err := LoadFS(dup, "m"); err == nil || !strings.Contains(err.Error(), "already defined") {
		t.Fatalf("duplicate key: error = %v", err)
	}
}

func TestTextFillsPlaceholders(t *testing.T) {
	fsys := fstest.MapFS{"m/a.json": {Data: []byte(`{"k": {"kk": "ПИН {pin}", "ru": "ПИН {pin}", "en": "PIN {pin}, {pin}"}}`)}}
	c, err := LoadFS(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Text(EN, "k", Args{"pin": "123"}); got != "PIN 123, 123" {
		t.Errorf("en = %q", got)
	}
	if got := c.Text(KK, "k", Args{"pin": "7"}); got != "ПИН 7" {
		t.Errorf("kk = %q", got)
	}
	if got := c.Text(EN, "nope", nil); got != "[nope]" {
		t.Errorf("unknown key = %q, want [nope]", got)
	}
}

func TestParseLang(t *testing.T) {
	for in, want := range map[string]Lang{"kk": KK, "ru_KZ.UTF-8": RU, "en-GB": EN, "KK_kz": KK, "ru": RU} {
		got, err := ParseLang(in)
		if err != nil || got != want {
			t.Errorf("ParseLang(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "de", "C", "english", "k"} {
		if _, err := ParseLang(in); err == nil {
			t.Errorf("ParseLang(%q) accepted", in)
		}
	}
}

// Keys used in code are written i18n.Key("…") in Go and t("…") in the web
// app; every one of them must be in the catalogue.
var (
	goKey = regexp.MustCompile(`i18n\.Key\("([^"]+)"\)`)
	tsKey = regexp.MustCompile(`\bt\(\s*["']([a-z0-9_.]+)["']`)
)

func TestEveryKeyUsedInCodeExists(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == filepath.Join(root, "protocol", "i18n") {
				return filepath.SkipDir // documents the convention itself
			}
			switch d.Name() {
			case "node_modules", "dist", ".git", "data", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		var re *regexp.Regexp
		switch filepath.Ext(p) {
		case ".go":
			re = goKey
		case ".ts":
			re = tsKey
		default:
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			used++
			if !c.Has(Key(m[1])) {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s uses key %q, which the catalogue does not have (add it with kk, ru and en to protocol/i18n/messages)", rel, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used == 0 {
		t.Fatal("found no catalogue keys in the code at all; the scan is broken")
	}
}
