package qti

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
)

// Version identifies the exact content of an item: the SHA-256 of its QTI
// export (which is canonical: the same Item always exports to the same
// bytes), its categories and its assets' paths and contents. A sitting can
// record it so an appeal knows precisely which version of a question a
// candidate saw, even after the bank is edited.
func (it *Item) Version() (string, error) {
	x, err := it.Export()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		l := uint64(len(b))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte("kuzet-qti-item-v1"))
	field(x)
	for _, c := range it.Categories {
		field([]byte(c))
	}
	field(nil)
	assets := append([]Asset(nil), it.Assets...)
	sort.Slice(assets, func(i, j int) bool { return assets[i].Path < assets[j].Path })
	for _, a := range assets {
		field([]byte(a.Path))
		field(a.Data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
