package qti

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/protocol/i18n"
)

// The resource type of a QTI 2.1 item in imsmanifest.xml.
const ItemResourceType = "imsqti_item_xmlv2p1"

// maxManifestBytes bounds imsmanifest.xml (5000 resources fit in it).
const maxManifestBytes = 8 << 20

// Package is an IMS content package of items, in manifest order.
type Package struct {
	// Identifier is the manifest's identifier.
	Identifier string
	// Entries are the item resources (and any other resource that is not
	// a plain file), each imported or refused.
	Entries []Entry
}

// Entry is one resource of a package: an imported Item, or Err saying why not.
type Entry struct {
	// Resource is the resource's identifier in the manifest.
	Resource string
	// Href is the resource's file.
	Href string
	// Item is the imported item, or nil.
	Item *Item
	// Err is why the resource was refused, or nil.
	Err *Error
}

// Items returns the imported items.
func (p *Package) Items() []*Item {
	out := []*Item{}
	for _, e := range p.Entries {
		if e.Item != nil {
			out = append(out, e.Item)
		}
	}
	return out
}

// ReadPackageFile opens and reads a content package from disk.
func ReadPackageFile(name string) (*Package, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return ReadPackage(f, st.Size())
}

// ReadPackage reads a content package. An error is returned only when the
// package as a whole cannot be read (not a zip, over a limit, an unsafe
// entry name, no manifest); a refused item is an Entry with Err set.
func ReadPackage(r io.ReaderAt, size int64) (*Package, error) {
	if size > MaxPackageBytes {
		return nil, newError(0, "", i18n.Key("qti.error.too_big"), "the file is {size} bytes or more; the limit is {max} bytes",
			"size", strconv.FormatInt(size, 10), "max", strconv.Itoa(MaxPackageBytes))
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, newError(0, "", i18n.Key("qti.error.not_zip"), "the file is not a zip content package: {detail}", "detail", err.Error())
	}
	if len(zr.File) > MaxEntries {
		return nil, newError(0, "", i18n.Key("qti.error.entries"), "the package has {count} entries, more than the {max} allowed", "count", strconv.Itoa(len(zr.File)), "max", strconv.Itoa(MaxEntries))
	}
	pr := &pkgReader{files: map[string]*zip.File{}}
	var declared uint64
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") && f.UncompressedSize64 == 0 {
			name = strings.TrimSuffix(name, "/")
			if err := checkName(name); err != nil {
				return nil, err
			}
			continue
		}
		if err := checkName(name); err != nil {
			return nil, err
		}
		if _, dup := pr.files[name]; dup {
			return nil, newError(0, name, i18n.Key("qti.error.entry_duplicate"), "the package has two entries named {name}", "name", name)
		}
		declared += f.UncompressedSize64
		if declared > MaxUnpackedBytes {
			return nil, newError(0, "", i18n.Key("qti.error.unpacked"), "the package unpacks to more than {max} bytes", "max", strconv.Itoa(MaxUnpackedBytes))
		}
		pr.files[name] = f
	}
	raw, perr := pr.read("imsmanifest.xml", maxManifestBytes)
	if perr != nil {
		return nil, perr
	}
	root, err := readTree(raw, maxManifestBytes)
	if err != nil {
		e := err.(*Error)
		e.File = "imsmanifest.xml"
		return nil, e
	}
	if root.name.Local != "manifest" {
		return nil, newError(root.line, root.name.Local, i18n.Key("qti.error.manifest"), "imsmanifest.xml: {detail}", "detail", "the root element is "+root.name.Local+", not manifest")
	}
	pkg := &Package{Entries: []Entry{}}
	pkg.Identifier, _ = root.attr("identifier")
	seen := map[string]string{}
	for _, res := range resources(root) {
		e := pr.entry(res)
		if e == nil {
			continue
		}
		if e.Item != nil {
			if prev, ok := seen[e.Item.Identifier]; ok {
				e.Err = newError(0, "assessmentItem", i18n.Key("qti.refused.duplicate_item"), "the identifier is already used by {other}", "other", prev)
				e.Err.Item, e.Err.File = e.Item.Identifier, e.Href
				e.Item = nil
			} else {
				seen[e.Item.Identifier] = e.Href
			}
		}
		pkg.Entries = append(pkg.Entries, *e)
	}
	return pkg, nil
}

// checkName refuses an entry name that could leave the package when
// unpacked, or that is not a plain relative path.
func checkName(name string) *Error {
	why := ""
	switch {
	case name == "":
		why = "it has no name"
	case strings.ContainsAny(name, "\\\x00:"):
		why = "it contains a backslash, a colon or a NUL"
	case strings.HasPrefix(name, "/"):
		why = "it is an absolute path"
	case path.Clean(name) != name:
		why = "it is not a clean path (.., . or //)"
	case name == ".." || strings.HasPrefix(name, "../"):
		why = "it leaves the package"
	}
	if why == "" {
		return nil
	}
	return newError(0, name, i18n.Key("qti.error.entry_name"), "the package entry {name} is refused ({why}): names must be plain relative paths inside the package", "name", name, "why", why)
}

type pkgReader struct {
	files    map[string]*zip.File
	unpacked int64
}

// read reads one entry, counting what it really unpacks (not what its
// header claims) against MaxUnpackedBytes.
func (pr *pkgReader) read(name string, limit int64) ([]byte, *Error) {
	f, ok := pr.files[name]
	if !ok {
		return nil, newError(0, name, i18n.Key("qti.error.missing_file"), "the package has no file {name}", "name", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, newError(0, name, i18n.Key("qti.error.entry_read"), "the package entry {name} cannot be read: {detail}", "name", name, "detail", err.Error())
	}
	defer rc.Close()
	left := MaxUnpackedBytes - pr.unpacked
	lim := min(limit, left)
	data, err := io.ReadAll(io.LimitReader(rc, lim+1))
	pr.unpacked += int64(len(data))
	if int64(len(data)) > lim {
		if lim == left {
			return nil, newError(0, "", i18n.Key("qti.error.unpacked"), "the package unpacks to more than {max} bytes", "max", strconv.Itoa(MaxUnpackedBytes))
		}
		return nil, newError(0, name, i18n.Key("qti.error.too_big"), "the file is {size} bytes or more; the limit is {max} bytes", "size", strconv.FormatInt(limit+1, 10), "max", strconv.FormatInt(limit, 10))
	}
	if err != nil {
		return nil, newError(0, name, i18n.Key("qti.error.entry_read"), "the package entry {name} cannot be read: {detail}", "name", name, "detail", err.Error())
	}
	return data, nil
}

type resource struct {
	id, typ, href string
	keywords      []string
	line          int
}

func child(n *xnode, local string) []*xnode {
	var out []*xnode
	for _, k := range n.elems() {
		if k.name.Local == local {
			out = append(out, k)
		}
	}
	return out
}

// resources lists the manifest's resources with their LOM keywords
// (metadata/lom/general/keyword/string, or langstring in the older IMS
// metadata binding).
func resources(root *xnode) []resource {
	var out []resource
	for _, rs := range child(root, "resources") {
		for _, r := range child(rs, "resource") {
			res := resource{line: r.line}
			res.id, _ = r.attr("identifier")
			res.typ, _ = r.attr("type")
			res.href, _ = r.attr("href")
			for _, md := range child(r, "metadata") {
				for _, lom := range child(md, "lom") {
					for _, g := range child(lom, "general") {
						for _, kw := range child(g, "keyword") {
							for _, s := range kw.elems() {
								if s.name.Local == "string" || s.name.Local == "langstring" {
									if v := strings.TrimSpace(s.innerText()); v != "" {
										res.keywords = append(res.keywords, v)
									}
								}
							}
						}
					}
				}
			}
			out = append(out, res)
		}
	}
	return out
}

// entry imports one resource; nil for plain files (webcontent and the like).
func (pr *pkgReader) entry(res resource) *Entry {
	e := &Entry{Resource: res.id, Href: res.href}
	fail := func(err *Error) *Entry {
		if err.File == "" {
			err.File = res.href
		}
		e.Err = err
		return e
	}
	switch {
	case res.typ == ItemResourceType:
	case strings.HasPrefix(res.typ, "imsqti_"):
		return fail(newError(res.line, res.typ, i18n.Key("qti.refused.resource"), "the resource {resource} is of type {type}; only assessmentItem resources ({want}) are imported",
			"resource", res.id, "type", res.typ, "want", ItemResourceType))
	default:
		return nil
	}
	if err := checkName(res.href); err != nil {
		return fail(err)
	}
	data, err := pr.read(res.href, MaxItemBytes)
	if err != nil {
		return fail(err)
	}
	parsed, perr := ParseItem(data, res.href)
	if perr != nil {
		return fail(perr.(*Error))
	}
	for i := range parsed.Assets {
		a := &parsed.Assets[i]
		b, err := pr.read(a.Path, MaxAssetBytes)
		if err != nil {
			err.Item = parsed.Identifier
			return fail(err)
		}
		a.Data = b
	}
	cats := []string{}
	for _, k := range res.keywords {
		if !contains(cats, k) {
			cats = append(cats, k)
		}
	}
	if len(cats) > 0 {
		// The manifest's keywords win: tools such as TAO put the item's
		// display name in label, which is no category.
		parsed.Categories = cats
	}
	e.Item = parsed
	return e
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// WritePackage writes items as a content package: imsmanifest.xml with one
// resource per item (its categories as LOM keywords), the item files and
// their assets. An item without Href is written as items/<identifier>.xml.
// Reading the result with ReadPackage gives the same items.
func WritePackage(w io.Writer, identifier string, items []*Item) error {
	zw := zip.NewWriter(w)
	var man bytes.Buffer
	man.WriteString(xml.Header)
	enc := &writer{e: xml.NewEncoder(&man)}
	enc.start("manifest", []xml.Attr{
		attr("xmlns", "http://www.imsglobal.org/xsd/imscp_v1p1"),
		attr("xmlns:imsmd", "http://ltsc.ieee.org/xsd/LOM"),
		attr("identifier", identifier),
	})
	enc.nl()
	enc.start("metadata", nil)
	enc.textElem("schema", "QTIv2.1 Package")
	enc.textElem("schemaversion", "1.0.0")
	enc.end("metadata")
	enc.nl()
	enc.start("organizations", nil)
	enc.end("organizations")
	enc.nl()
	enc.start("resources", nil)
	enc.nl()
	type file struct {
		name string
		data []byte
	}
	var files []file
	written := map[string]bool{"imsmanifest.xml": true}
	ids := map[string]bool{}
	for i, it := range items {
		if ids[it.Identifier] {
			return fmt.Errorf("two items have the identifier %s; identifiers are unique in a bank", it.Identifier)
		}
		ids[it.Identifier] = true
		href := it.Href
		if href == "" {
			href = "items/" + safeFileName(it.Identifier) + ".xml"
		}
		if err := checkName(href); err != nil {
			return fmt.Errorf("item %s: %w", it.Identifier, err)
		}
		data, err := it.Export()
		if err != nil {
			return err
		}
		if written[href] {
			return fmt.Errorf("item %s: the file %s is written twice", it.Identifier, href)
		}
		written[href] = true
		files = append(files, file{href, data})
		enc.start("resource", []xml.Attr{attr("identifier", "res-"+strconv.Itoa(i+1)), attr("type", ItemResourceType), attr("href", href)})
		if len(it.Categories) > 0 {
			enc.start("metadata", nil)
			enc.start("imsmd:lom", nil)
			enc.start("imsmd:general", nil)
			for _, c := range it.Categories {
				enc.start("imsmd:keyword", nil)
				enc.textElem("imsmd:string", c)
				enc.end("imsmd:keyword")
			}
			enc.end("imsmd:general")
			enc.end("imsmd:lom")
			enc.end("metadata")
		}
		enc.start("file", []xml.Attr{attr("href", href)})
		enc.end("file")
		for _, a := range it.Assets {
			if a.Data == nil {
				return fmt.Errorf("item %s: the file %s was not read with the item (read the item from its package to export it)", it.Identifier, a.Path)
			}
			enc.start("file", []xml.Attr{attr("href", a.Path)})
			enc.end("file")
			if !written[a.Path] {
				written[a.Path] = true
				files = append(files, file{a.Path, a.Data})
			}
		}
		enc.end("resource")
		enc.nl()
	}
	enc.end("resources")
	enc.nl()
	enc.end("manifest")
	enc.nl()
	if enc.err == nil {
		enc.err = enc.e.Flush()
	}
	if enc.err != nil {
		return fmt.Errorf("write manifest: %w", enc.err)
	}
	files = append([]file{{"imsmanifest.xml", man.Bytes()}}, files...)
	for _, f := range files {
		fw, err := zw.Create(f.name)
		if err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
		if _, err := fw.Write(f.data); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return zw.Close()
}

func safeFileName(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 || strings.Trim(b.String(), ".") == "" {
		return "item"
	}
	return b.String()
}
