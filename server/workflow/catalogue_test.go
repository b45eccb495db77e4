package workflow

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"kuzet.kz/kuzet/protocol/i18n"
)

// TestEveryRefusalAndNoticeIsInTheCatalogue reads the engine's source:
// every refuse(…) and notify(…) names a catalogue key, and every
// {placeholder} of that key's texts is an argument the call provides, so
// the page can show the refusal or the notice in kk, ru and en with
// nothing left unfilled. Catalogue keys under workflow.* that no call
// uses fail too: a dead text is one a translator keeps for nothing.
func TestEveryRefusalAndNoticeIsInTheCatalogue(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	type use struct {
		where string
		args  map[string]bool
	}
	uses := map[string][]use{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Maps assigned to a variable, for notify(…, key, args).
		maps := map[string]*ast.CompositeLit{}
		ast.Inspect(f, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == 1 && len(as.Rhs) == 1 {
				if id, ok := as.Lhs[0].(*ast.Ident); ok {
					if cl, ok := as.Rhs[0].(*ast.CompositeLit); ok {
						maps[id.Name] = cl
					}
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			where := fset.Position(call.Pos()).String()
			args := map[string]bool{}
			var key string
			switch {
			case fn.Name == "refuse" && len(call.Args) >= 4:
				key = literal(call.Args[2])
				args["clause"] = true
				for i := 4; i < len(call.Args); i += 2 {
					args[literal(call.Args[i])] = true
				}
			case fn.Name == "notify" && len(call.Args) == 5:
				key = literal(call.Args[3])
				cl, _ := call.Args[4].(*ast.CompositeLit)
				if id, ok := call.Args[4].(*ast.Ident); ok {
					cl = maps[id.Name]
				}
				if cl == nil {
					if id, ok := call.Args[4].(*ast.Ident); !ok || id.Name != "nil" {
						t.Errorf("%s: notify's arguments are not a map literal this test can read", where)
					}
					break
				}
				for _, el := range cl.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						args[literal(kv.Key)] = true
					}
				}
			default:
				return true
			}
			if key == "" {
				t.Errorf("%s: %s's key is not a string literal", where, fn.Name)
				return true
			}
			uses[key] = append(uses[key], use{where, args})
			return true
		})
	}
	// The HTTP layer's own refusals name workflow keys as literals.
	lit := regexp.MustCompile(`"(workflow\.[a-z0-9_.]+)"`)
	more, err := filepath.Glob(filepath.Join("httpapi", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range more {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			uses[m[1]] = append(uses[m[1]], use{name, map[string]bool{}})
		}
	}
	if len(uses) < 40 {
		t.Fatalf("found only %d keys in refuse/notify calls; the test no longer reads the source it should", len(uses))
	}
	ph := regexp.MustCompile(`\{([a-z_]+)\}`)
	for key, us := range uses {
		if !cat.Has(i18n.Key(key)) {
			t.Errorf("%s: key %s is not in protocol/i18n/messages", us[0].where, key)
			continue
		}
		for _, l := range i18n.Langs() {
			text := cat.Text(l, i18n.Key(key), nil)
			for _, m := range ph.FindAllStringSubmatch(text, -1) {
				for _, u := range us {
					if !u.args[m[1]] {
						t.Errorf("%s: %s (%s) uses {%s}, which the call does not give", u.where, key, l, m[1])
					}
				}
			}
		}
	}
	var dead []string
	for _, k := range cat.Keys() {
		if strings.HasPrefix(string(k), "workflow.") && uses[string(k)] == nil {
			dead = append(dead, string(k))
		}
	}
	sort.Strings(dead)
	if len(dead) > 0 {
		t.Errorf("catalogue keys no refusal or notice uses: %s", strings.Join(dead, ", "))
	}
}

func literal(e ast.Expr) string {
	if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
		s, err := strconv.Unquote(bl.Value)
		if err == nil {
			return s
		}
	}
	return ""
}
