// Package y4m reads and writes YUV4MPEG2 (".y4m") video: a text header line,
// then raw planar frames, each after a "FRAME" line. It is the file format of
// recorded footage the agent can use as its camera (--camera file:PATH), of
// the synthetic footage of agent/footage, and of the videos `kuzet-agent
// analyze` re-checks.
//
// The reader is strict because its input is untrusted (footage handed in by
// support staff or auditors): every header field is checked, unknown or
// malformed values are errors that name the field, and frame sizes are
// bounded before anything is allocated.
package y4m

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors of this package. Each returned error wraps one of them.
var (
	// ErrNotY4M means the input does not start with the "YUV4MPEG2 " magic.
	ErrNotY4M = errors.New("not a YUV4MPEG2 (y4m) stream")
	// ErrHeader means the stream header is malformed or misses a field.
	ErrHeader = errors.New("bad y4m stream header")
	// ErrUnsupported means the header is well formed but asks for something
	// this package does not handle (a colour space, a bit depth).
	ErrUnsupported = errors.New("unsupported y4m stream")
	// ErrTooLarge means the frame size is beyond the package's limits.
	ErrTooLarge = errors.New("y4m frame too large")
	// ErrFrameHeader means a frame does not start with a valid FRAME line.
	ErrFrameHeader = errors.New("bad y4m frame header")
	// ErrTruncated means the stream ended inside a frame.
	ErrTruncated = errors.New("y4m stream truncated inside a frame")
	// ErrFrameSize means a frame given to the writer does not match the header.
	ErrFrameSize = errors.New("frame does not match the y4m header")
)

// Limits on what the reader accepts, so a hostile header cannot make it
// allocate without bound.
const (
	// MaxDimension is the largest width or height accepted.
	MaxDimension = 8192
	// MaxFramePixels is the largest width×height accepted (8K UHD).
	MaxFramePixels = 7680 * 4320
	// maxLine is the longest header or FRAME line accepted.
	maxLine = 4096
)

const (
	magic      = "YUV4MPEG2"
	frameMagic = "FRAME"
)

// Colorspace is the C parameter of a y4m header: the chroma subsampling and
// siting of the planes.
type Colorspace string

// Colour spaces the package reads and writes. The three 4:2:0 variants differ
// only in chroma siting, which does not matter for analysis, so they are read
// the same way.
const (
	C420jpeg  Colorspace = "420jpeg"  // 4:2:0, chroma centred (the default when C is absent)
	C420      Colorspace = "420"      // 4:2:0, chroma co-sited (MPEG-2 style in newer writers)
	C420mpeg2 Colorspace = "420mpeg2" // 4:2:0, MPEG-2 siting
	C420paldv Colorspace = "420paldv" // 4:2:0, PAL-DV siting
	C422      Colorspace = "422"      // 4:2:2
	C444      Colorspace = "444"      // 4:4:4
	CMono     Colorspace = "mono"     // luma only
)

// Rational is a ratio such as a frame rate (30000:1001) or a pixel aspect.
type Rational struct {
	Num, Den int
}

// Float returns the ratio as a number, or 0 when Den is 0.
func (r Rational) Float() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// String formats r as "num:den", as a y4m header writes it.
func (r Rational) String() string { return strconv.Itoa(r.Num) + ":" + strconv.Itoa(r.Den) }

// Header is the stream header of a y4m file.
type Header struct {
	// Width and Height are the frame size in pixels (W and H, required).
	Width, Height int
	// FrameRate is the frame rate (F, required), e.g. 15:1.
	FrameRate Rational
	// Interlace is the I parameter: 'p' progressive, 't' top field first,
	// 'b' bottom field first, 'm' mixed, or 0 when absent. Frames are read the
	// same way whatever it says.
	Interlace byte
	// Aspect is the pixel aspect ratio (A), zero when absent or unknown.
	Aspect Rational
	// Colorspace is the plane layout (C); empty in a header means 420jpeg.
	Colorspace Colorspace
	// Comments are the X parameters, without the leading X.
	Comments []string
}

// chromaSize reports the size of the chroma planes for the header's colour space
// and whether chroma is present at all.
func (h *Header) chromaSize() (cw, ch int, err error) {
	switch h.Colorspace {
	case C420jpeg, C420, C420mpeg2, C420paldv:
		return (h.Width + 1) / 2, (h.Height + 1) / 2, nil
	case C422:
		return (h.Width + 1) / 2, h.Height, nil
	case C444:
		return h.Width, h.Height, nil
	case CMono:
		return 0, 0, nil
	}
	return 0, 0, fmt.Errorf("%w: colour space C%s (want 420jpeg, 420, 420mpeg2, 420paldv, 422, 444 or mono)", ErrUnsupported, h.Colorspace)
}

// FrameSize returns the number of bytes of one frame's planes.
func (h *Header) FrameSize() (int, error) {
	if err := h.validate(); err != nil {
		return 0, err
	}
	cw, ch, err := h.chromaSize()
	if err != nil {
		return 0, err
	}
	return h.Width*h.Height + 2*cw*ch, nil
}

func (h *Header) validate() error {
	switch {
	case h.Width <= 0 || h.Height <= 0:
		return fmt.Errorf("%w: size %dx%d (width and height must be positive)", ErrHeader, h.Width, h.Height)
	case h.Width > MaxDimension || h.Height > MaxDimension || h.Width*h.Height > MaxFramePixels:
		return fmt.Errorf("%w: %dx%d (at most %d per side and %d pixels)", ErrTooLarge, h.Width, h.Height, MaxDimension, MaxFramePixels)
	case h.FrameRate.Num <= 0 || h.FrameRate.Den <= 0:
		return fmt.Errorf("%w: frame rate %s (want a positive num:den such as 15:1)", ErrHeader, h.FrameRate)
	}
	switch h.Interlace {
	case 0, 'p', 't', 'b', 'm', '?':
	default:
		return fmt.Errorf("%w: interlace I%c (want p, t, b, m or ?)", ErrHeader, h.Interlace)
	}
	if h.Colorspace == "" {
		h.Colorspace = C420jpeg
	}
	_, _, err := h.chromaSize()
	return err
}

// String formats h as a y4m header line without the trailing newline.
func (h *Header) String() string {
	var b strings.Builder
	b.WriteString(magic)
	fmt.Fprintf(&b, " W%d H%d F%s", h.Width, h.Height, h.FrameRate)
	if h.Interlace != 0 {
		fmt.Fprintf(&b, " I%c", h.Interlace)
	}
	if h.Aspect.Den != 0 {
		fmt.Fprintf(&b, " A%s", h.Aspect)
	}
	cs := h.Colorspace
	if cs == "" {
		cs = C420jpeg
	}
	fmt.Fprintf(&b, " C%s", cs)
	for _, x := range h.Comments {
		b.WriteString(" X")
		b.WriteString(x)
	}
	return b.String()
}

// parseHeader parses the header line (without its newline).
func parseHeader(line string) (Header, error) {
	var h Header
	if !strings.HasPrefix(line, magic) {
		return h, fmt.Errorf("%w: the file must start with %q", ErrNotY4M, magic+" ")
	}
	rest := line[len(magic):]
	if rest == "" || rest[0] != ' ' {
		return h, fmt.Errorf("%w: the file must start with %q", ErrNotY4M, magic+" ")
	}
	seen := map[byte]bool{}
	for _, tok := range strings.Split(rest[1:], " ") {
		if tok == "" {
			return h, fmt.Errorf("%w: empty parameter (two spaces in a row)", ErrHeader)
		}
		tag, val := tok[0], tok[1:]
		if tag != 'X' {
			if seen[tag] {
				return h, fmt.Errorf("%w: parameter %c given twice", ErrHeader, tag)
			}
			seen[tag] = true
		}
		var err error
		switch tag {
		case 'W':
			h.Width, err = parseDim("W", val)
		case 'H':
			h.Height, err = parseDim("H", val)
		case 'F':
			h.FrameRate, err = parseRatio("F", val, false)
		case 'A':
			h.Aspect, err = parseRatio("A", val, true)
		case 'I':
			if len(val) != 1 {
				return h, fmt.Errorf("%w: interlace %q (want one of p, t, b, m, ?)", ErrHeader, tok)
			}
			h.Interlace = val[0]
		case 'C':
			h.Colorspace, err = parseColorspace(val)
		case 'X':
			h.Comments = append(h.Comments, val)
		default:
			return h, fmt.Errorf("%w: unknown parameter %q (known: W H F I A C X)", ErrHeader, tok)
		}
		if err != nil {
			return h, err
		}
	}
	for _, need := range []byte{'W', 'H', 'F'} {
		if !seen[need] {
			return h, fmt.Errorf("%w: parameter %c is missing (W width, H height and F frame rate are required)", ErrHeader, need)
		}
	}
	if err := h.validate(); err != nil {
		return h, err
	}
	return h, nil
}

func parseDim(name, val string) (int, error) {
	n, err := strconv.Atoi(val)
	if err != nil || n <= 0 || val[0] == '+' {
		return 0, fmt.Errorf("%w: %s%s is not a positive whole number", ErrHeader, name, val)
	}
	if n > MaxDimension {
		return 0, fmt.Errorf("%w: %s%d (at most %d)", ErrTooLarge, name, n, MaxDimension)
	}
	return n, nil
}

func parseRatio(name, val string, zeroOK bool) (Rational, error) {
	num, den, ok := strings.Cut(val, ":")
	if !ok {
		return Rational{}, fmt.Errorf("%w: %s%s is not num:den", ErrHeader, name, val)
	}
	n, err1 := strconv.Atoi(num)
	d, err2 := strconv.Atoi(den)
	if err1 != nil || err2 != nil || n < 0 || d < 0 || n > 1<<30 || d > 1<<30 {
		return Rational{}, fmt.Errorf("%w: %s%s is not num:den of whole numbers", ErrHeader, name, val)
	}
	if !zeroOK && (n == 0 || d == 0) {
		return Rational{}, fmt.Errorf("%w: %s%s must be positive", ErrHeader, name, val)
	}
	if zeroOK && (n == 0) != (d == 0) {
		return Rational{}, fmt.Errorf("%w: %s%s (0:0 means unknown; otherwise both must be positive)", ErrHeader, name, val)
	}
	return Rational{n, d}, nil
}

func parseColorspace(val string) (Colorspace, error) {
	switch cs := Colorspace(val); cs {
	case C420jpeg, C420, C420mpeg2, C420paldv, C422, C444, CMono:
		return cs, nil
	}
	if strings.Contains(val, "p1") || strings.HasPrefix(val, "mono1") {
		return "", fmt.Errorf("%w: C%s is more than 8 bits per sample (re-encode to 8-bit, e.g. C420jpeg)", ErrUnsupported, val)
	}
	return "", fmt.Errorf("%w: colour space C%s (want 420jpeg, 420, 420mpeg2, 420paldv, 422, 444 or mono)", ErrUnsupported, val)
}
