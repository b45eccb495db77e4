package audit

import (
	"bytes"
	"strconv"
)

// quickFields pulls out of a stored entry what Verify needs (sitting, prev,
// files) without a full decode, by reading the canonical layout Encode
// writes. It reports false for anything it does not recognise (escaped
// strings, retention entries, any deviation), and the caller falls back to
// Decode. It never judges validity: an entry's bytes are vouched for by
// its leaf hash, which Verify checks separately.
func quickFields(b []byte) (sitting []byte, prev int64, files []FileRef, ok bool) {
	p := parser{b: b}
	if !p.lit(`{"time":"`) || p.str() == nil || !p.lit(`,"kind":"`) {
		return nil, 0, nil, false
	}
	kind := p.str()
	if kind == nil || string(kind) == string(KindRetention) {
		return nil, 0, nil, false
	}
	if p.lit(`,"sitting":"`) {
		if sitting = p.str(); sitting == nil {
			return nil, 0, nil, false
		}
	}
	if !p.lit(`,"prev":`) {
		return nil, 0, nil, false
	}
	prev, ok = p.int()
	if !ok || !p.lit(`,"actor":"`) || p.str() == nil {
		return nil, 0, nil, false
	}
	if p.lit(`,"data":`) && !p.object() {
		return nil, 0, nil, false
	}
	if p.lit(`,"files":[`) {
		for {
			var f FileRef
			if !p.lit(`{"path":"`) {
				return nil, 0, nil, false
			}
			path := p.str()
			if path == nil || !p.lit(`,"sha256":"`) {
				return nil, 0, nil, false
			}
			sum := p.str()
			if sum == nil || !p.lit(`,"size":`) {
				return nil, 0, nil, false
			}
			size, ok := p.int()
			if !ok || !p.lit("}") {
				return nil, 0, nil, false
			}
			f.Path, f.SHA256, f.Size = string(path), string(sum), size
			if f.check() != nil {
				return nil, 0, nil, false
			}
			files = append(files, f)
			if p.lit("]") {
				break
			}
			if !p.lit(",") {
				return nil, 0, nil, false
			}
		}
	}
	if !p.lit("}") || p.i != len(b) {
		return nil, 0, nil, false
	}
	return sitting, prev, files, true
}

type parser struct {
	b []byte
	i int
}

func (p *parser) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// str reads the rest of a string whose opening quote was consumed. It
// refuses escapes (nil), which sends the entry to the full decoder.
func (p *parser) str() []byte {
	j := bytes.IndexByte(p.b[p.i:], '"')
	if j < 0 {
		return nil
	}
	s := p.b[p.i : p.i+j]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil
	}
	p.i += j + 1
	if len(s) == 0 {
		return []byte{}
	}
	return s
}

func (p *parser) int() (int64, bool) {
	j := p.i
	if j < len(p.b) && p.b[j] == '-' {
		j++
	}
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(p.b[p.i:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	p.i = j
	return n, true
}

// object skips a compact JSON object, tracking strings and nesting.
func (p *parser) object() bool {
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return false
	}
	depth := 0
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch c {
		case '"':
			for {
				if p.i >= len(p.b) {
					return false
				}
				c := p.b[p.i]
				p.i++
				if c == '\\' {
					p.i++
				} else if c == '"' {
					break
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return c == '}'
			}
		}
	}
	return false
}
