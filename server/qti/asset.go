package qti

import (
	"path"
	"strings"
)

// AssetPath resolves a reference of an item body (an img's src, an
// object's data) to the asset's path in its package, as Item.Assets
// names it: relative to the folder of the item's file href, or as
// written for a standalone item (href ""). ok is false for a reference
// that is not a path inside the package (a URL, an absolute path, one
// that climbs out): the parser refuses such an item.
func AssetPath(href, ref string) (string, bool) {
	r := strings.TrimSpace(ref)
	if r == "" || strings.Contains(r, ":") || strings.HasPrefix(r, "/") || strings.Contains(r, "\\") || strings.ContainsAny(r, "?#") {
		return "", false
	}
	full := path.Join(path.Dir(href), r)
	if href == "" {
		full = path.Clean(r)
	}
	if full == "." || full == ".." || strings.HasPrefix(full, "../") {
		return "", false
	}
	return full, true
}
