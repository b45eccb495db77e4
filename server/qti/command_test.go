package qti

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runInspect(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := RunCommand(args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func writePackage(t *testing.T) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "bank.zip")
	if err := os.WriteFile(name, zipDir(t, "testdata/package", nil), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestInspectJSON(t *testing.T) {
	pkg := writePackage(t)
	code, out, errs := runInspect(t, "inspect", "--json", "--lang", "en", pkg, "testdata/items/acts_match.xml", "testdata/refused/hotspot.xml")
	if code != 0 {
		t.Fatalf("exit %d (refused items must not fail the command): %s", code, errs)
	}
	var reports []struct {
		File    string
		Package string
		Error   *struct{ Text string }
		Items   []struct {
			Identifier, Version, Resource, Title, Interaction, Cardinality, BaseType, Template string
			Choices                                                                            [][]string
			Correct, Categories                                                                []string
			Mapping                                                                            *struct {
				Default json.Number
				Upper   *json.Number
				Entries []struct {
					Key   string
					Value json.Number
				}
			}
			Assets []struct {
				Path  string
				Bytes int
			}
			Refused *struct {
				Item, Construct, Key, Text string
				Line                       int
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&reports); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(reports) != 3 || reports[0].Package != "legislation-bank-2026" || len(reports[0].Items) != 4 {
		t.Fatalf("reports: %s", out)
	}
	p := reports[0].Items
	if p[0].Identifier != "const-002" || p[0].Interaction != ChoiceInteraction || strings.Join(p[0].Choices[0], " ") != "flag emblem anthem" ||
		strings.Join(p[0].Correct, " ") != "emblem" || len(p[0].Assets) != 1 || p[0].Assets[0].Bytes == 0 || p[0].Mapping != nil {
		t.Errorf("const-002: %+v", p[0])
	}
	if len(p[0].Version) != 64 || p[1].Version == p[0].Version {
		t.Errorf("versions %q %q", p[0].Version, p[1].Version)
	}
	if m := p[1].Mapping; m == nil || len(m.Entries) != 4 || m.Entries[2].Value != "-0.5" || m.Default != "0" {
		t.Errorf("corr-014 mapping: %+v", p[1].Mapping)
	}
	if r := p[2].Refused; r == nil || r.Item != "geo-7" || r.Construct != "hotspotInteraction" || r.Line != 5 || !strings.Contains(r.Text, "hotspotInteraction is not supported") {
		t.Errorf("geo-7: %+v", p[2].Refused)
	}
	if p[3].Resource != "test-1" || p[3].Refused == nil || p[3].Refused.Construct != "imsqti_test_xmlv2p1" {
		t.Errorf("test resource: %+v", p[3])
	}
	m := reports[1].Items[0]
	if len(m.Choices) != 2 || m.BaseType != DirectedPair || m.Mapping == nil || m.Mapping.Upper == nil || *m.Mapping.Upper != "3" {
		t.Errorf("match: %+v", m)
	}
	if r := reports[2].Items[0]; r.Refused == nil || r.Identifier != "geo-7" {
		t.Errorf("a refused standalone item: %+v", r)
	}
	// Lists are [] and never null; only optional objects may be null.
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasSuffix(strings.TrimRight(l, ","), "null") {
			continue
		}
		ok := false
		for _, k := range []string{`"mapping"`, `"refused"`, `"error"`, `"lower"`, `"upper"`} {
			ok = ok || strings.Contains(l, k+": null")
		}
		if !ok {
			t.Errorf("null where a list is expected: %s", l)
		}
	}
}

func TestInspectText(t *testing.T) {
	pkg := writePackage(t)
	code, out, _ := runInspect(t, "inspect", "--lang", "ru", pkg)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"(legislation-bank-2026): импортировано заданий: 2, отклонено: 2",
		`const-002 "Мемлекеттік рәміздер": choiceInteraction, single identifier, match_correct`,
		"choices: flag emblem anthem", `correct: "emblem"`,
		`mapping: "A"=1 "C"=1 "B"=-0.5 "D"=-0.5; default 0, lower 0, upper 2`,
		"categories: constitution, state-symbols", "asset: img/emblem.png",
		"geo-7 (items/geo-7.xml): отклонено: строка 5: hotspotInteraction не поддерживается",
		"test-1 (tests/legislation.xml): отклонено:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestInspectExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "broken.zip")
	os.WriteFile(bad, []byte("PK\x03\x04garbage"), 0o600)
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"inspect", "testdata/items/essay.xml"}, 0, ""},
		{[]string{"inspect", "testdata/items/essay.xml", "missing.xml"}, 1, "missing.xml"},
		{[]string{"inspect", bad}, 1, "broken.zip"},
		{[]string{"inspect", "testdata/refused/xxe.xml"}, 1, "DOCTYPE"},
		{[]string{"inspect"}, 2, "give at least one FILE"},
		{[]string{"inspect", "--lang", "de", "x.xml"}, 2, "not available"},
		{[]string{"list"}, 2, "usage"},
		{[]string{}, 2, "usage"},
	} {
		code, out, errs := runInspect(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.err) {
			t.Errorf("%v: exit %d, stderr %q (stdout %q); want %d and %q", c.args, code, errs, out, c.code, c.err)
		}
	}
	// --json still lists every file, the unreadable one with its error.
	code, out, _ := runInspect(t, "inspect", "--json", "testdata/items/essay.xml", "missing.xml")
	if code != 1 || !strings.Contains(out, `"file": "missing.xml"`) || !strings.Contains(out, `"key": "qti.error.open"`) {
		t.Errorf("--json with a missing file: exit %d\n%s", code, out)
	}
}

func TestInspectStandaloneImages(t *testing.T) {
	dir := t.TempDir()
	item := strings.Replace(mustReadStr("package/items/const-002.xml"), `src="../img/emblem.png"`, `src="img/emblem.png"`, 1)
	os.WriteFile(filepath.Join(dir, "q.xml"), []byte(item), 0o600)
	code, out, errs := runInspect(t, "inspect", "--lang", "en", filepath.Join(dir, "q.xml"))
	if code != 0 || !strings.Contains(out, "refused") || !strings.Contains(out, "img/emblem.png") {
		t.Errorf("a missing image: exit %d\n%s%s", code, out, errs)
	}
	os.Mkdir(filepath.Join(dir, "img"), 0o700)
	png, _ := os.ReadFile("testdata/package/img/emblem.png")
	os.WriteFile(filepath.Join(dir, "img", "emblem.png"), png, 0o600)
	code, out, _ = runInspect(t, "inspect", filepath.Join(dir, "q.xml"))
	if code != 0 || !strings.Contains(out, "asset: img/emblem.png (73 bytes)") {
		t.Errorf("with the image: exit %d\n%s", code, out)
	}
}
