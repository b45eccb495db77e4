// Package nonull finds null values in JSON output. Machine output of the
// command-line tools writes an empty list as [] and leaves an absent object
// out; a null means a nil slice or map slipped through (issue 16).
package nonull

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Find returns the paths (like inputs[0].frames[3].observation.faces) of
// every null in the JSON document raw, or an error if raw is not JSON.
func Find(raw []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	out := []string{}
	walk(v, "", &out)
	return out, nil
}

func walk(v any, path string, out *[]string) {
	switch x := v.(type) {
	case nil:
		if path == "" {
			path = "(document)"
		}
		*out = append(*out, path)
	case []any:
		for i, e := range x {
			walk(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walk(x[k], p, out)
		}
	}
}
