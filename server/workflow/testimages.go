package workflow

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"path"
	"strings"

	"kuzet.kz/kuzet/server/qti"
)

// The pictures of a test's questions (issue 12): the images an item's
// body and prompt show (<img src>, <object data> of an image type) are
// kept in the bank with the item (BankAsset) and served to the candidate
// whose started attempt asks that item, by the cabinet token, never to
// anyone else and never by a public URL: a picture of a question is as
// secret as its text until the candidate is shown it.

// imageTypes are the pictures the candidate page shows, by extension,
// with the Content-Type they are served with. SVG is not among them: it
// is a document that can carry scripts and links, so an SVG picture is
// not served and its alt text stays in the question's text.
var imageTypes = map[string]string{".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}

// imageMagic is how each type's file starts: a picture whose bytes are
// not what its name says is not served.
var imageMagic = map[string][][]byte{
	"image/png":  {[]byte("\x89PNG\r\n\x1a\n")},
	"image/jpeg": {[]byte("\xff\xd8\xff")},
	"image/gif":  {[]byte("GIF87a"), []byte("GIF89a")},
}

// isType reports whether data starts as a file of the type ctype.
func isType(ctype string, data []byte) bool {
	if ctype == "image/webp" {
		return len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP"
	}
	for _, m := range imageMagic[ctype] {
		if bytes.HasPrefix(data, m) {
			return true
		}
	}
	return false
}

// ImageView is one picture of a question as the page shows it: Src is
// the cabinet URL that serves it (by the cabinet token, GET
// /api/cabinet/tests/{kind}/assets/{item}/{path}), Alt its text.
type ImageView struct {
	Src string `json:"src"`
	Alt string `json:"alt"`
}

// picture is a body node that shows a picture the page serves: its asset
// path and its alt text (an object's fallback content).
func picture(href string, n *qti.Node) (file, alt string, ok bool) {
	attr := func(name string) string {
		for _, a := range n.Attrs {
			if a.Name == name {
				return a.Value
			}
		}
		return ""
	}
	var ref string
	switch n.Element {
	case "img":
		ref, alt = attr("src"), attr("alt")
	case "object":
		if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(attr("type"))), "image/") {
			return "", "", false
		}
		ref, alt = attr("data"), plainText(n.Children)
	default:
		return "", "", false
	}
	file, ok = qti.AssetPath(href, ref)
	if !ok {
		return "", "", false
	}
	if _, ok := imageTypes[strings.ToLower(path.Ext(file))]; !ok {
		return "", "", false
	}
	return file, alt, true
}

// shown tells the body's text which nodes the page shows as pictures.
func shown(it *qti.Item) func(n *qti.Node) bool {
	return func(n *qti.Node) bool {
		_, _, ok := picture(it.Href, n)
		return ok
	}
}

type bodyPicture struct{ file, alt string }

// bodyPictures are the pictures of an item's body and its interaction's
// prompt in document order, each file once. Pictures inside choices are
// not among them: a choice's text keeps their alt.
func bodyPictures(it *qti.Item) []bodyPicture {
	out := []bodyPicture{}
	seen := map[string]bool{}
	var walk func(ns []qti.Node)
	walk = func(ns []qti.Node) {
		for i := range ns {
			n := &ns[i]
			if n.Interaction != nil {
				walk(n.Interaction.Prompt)
				continue
			}
			if file, alt, ok := picture(it.Href, n); ok {
				if !seen[file] {
					seen[file] = true
					out = append(out, bodyPicture{file: file, alt: alt})
				}
				continue
			}
			walk(n.Children)
		}
	}
	walk(it.Body.Children)
	return out
}

// imageViews are a question's pictures with the URLs that serve them.
func imageViews(kind StageKind, it *qti.Item) []ImageView {
	out := []ImageView{}
	for _, p := range bodyPictures(it) {
		src := "/api/cabinet/tests/" + url.PathEscape(string(kind)) + "/assets/" + url.PathEscape(it.Identifier) + "/" + url.PathEscape(p.file)
		out = append(out, ImageView{Src: src, Alt: p.alt})
	}
	return out
}

// Image is a picture of a question: its Content-Type and its bytes.
type Image struct {
	Type string
	Data []byte
}

// TestImage serves a picture of a question of the candidate's started
// attempt: only an item of their variant, only a picture its body or
// prompt shows (a PNG, JPEG, GIF or WebP whose bytes are that type), by
// its path in the item's package. Before the start nothing is served:
// the questions are not shown yet.
func (e *Engine) TestImage(ctx context.Context, token string, kind StageKind, item, file string) (Image, error) {
	a, _, _, err := e.cabinetTest(ctx, token, kind)
	if err != nil {
		return Image{}, err
	}
	at, err := e.attempt(ctx, a.ID, kind)
	if errors.Is(err, ErrNotFound) {
		return Image{}, refuse(KindConflict, "", "workflow.err.test_not_begun", "start the {kind} test first", "kind", string(kind))
	}
	if err != nil {
		return Image{}, err
	}
	missing := refuse(KindNotFound, "", "workflow.err.test_asset", "no question {item} of your test shows a picture {path}: the page asks only for the pictures listed with its questions; reload it", "item", item, "path", file)
	q, ok := at.question(item)
	if !ok {
		return Image{}, missing
	}
	it, err := e.questionItem(ctx, &at, q)
	if err != nil {
		return Image{}, err
	}
	listed := false
	for _, p := range bodyPictures(it) {
		listed = listed || p.file == file
	}
	var data []byte
	for _, as := range it.Assets {
		if as.Path == file {
			data = as.Data
		}
	}
	ctype := imageTypes[strings.ToLower(path.Ext(file))]
	switch {
	case len(data) == 0:
		return Image{}, missing
	case !listed || !isType(ctype, data):
		return Image{}, refuse(KindNotFound, "", "workflow.err.test_asset_type", "the file {path} of question {item} is not shown: only PNG, JPEG, GIF and WebP pictures of the question's text are; tell the HR service", "item", item, "path", file)
	}
	return Image{Type: ctype, Data: data}, nil
}
