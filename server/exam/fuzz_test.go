package exam

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParseProgram: any input is a program that validates, or an error
// wrapping ErrProgram; never a panic. A program that parses survives a
// JSON round trip unchanged.
func FuzzParseProgram(f *testing.F) {
	names, _ := filepath.Glob("programs/*.json")
	for _, n := range names {
		raw, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"x","sections":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProgram(data)
		if err != nil {
			if !errors.Is(err, ErrProgram) {
				t.Fatalf("error not wrapping ErrProgram: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParseProgram returned a program that does not validate: %v", err)
		}
		raw, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseProgram(raw)
		if err != nil {
			t.Fatalf("a parsed program does not parse back: %v\n%s", err, raw)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the program:\n%+v\n%+v", p, q)
		}
	})
}
