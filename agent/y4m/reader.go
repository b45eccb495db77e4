package y4m

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
)

// Reader reads a y4m stream frame by frame. It is not safe for concurrent use.
type Reader struct {
	br     *bufio.Reader
	hdr    Header
	frames int
	cw, ch int
	size   int
}

// NewReader reads and checks the stream header of r. Its errors wrap
// ErrNotY4M, ErrHeader, ErrUnsupported or ErrTooLarge and say what is wrong.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	line, err := readLine(br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the input is empty", ErrNotY4M)
		}
		if errors.Is(err, errLongLine) {
			if peekNotMagic(line) {
				return nil, fmt.Errorf("%w: the file must start with %q", ErrNotY4M, magic+" ")
			}
			return nil, fmt.Errorf("%w: header line longer than %d bytes", ErrHeader, maxLine)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			if peekNotMagic(line) {
				return nil, fmt.Errorf("%w: the file must start with %q", ErrNotY4M, magic+" ")
			}
			return nil, fmt.Errorf("%w: the header line has no newline (no frames follow)", ErrHeader)
		}
		return nil, fmt.Errorf("read y4m header: %w", err)
	}
	h, err := parseHeader(line)
	if err != nil {
		return nil, err
	}
	cw, ch, _ := h.chromaSize()
	size, _ := h.FrameSize()
	return &Reader{br: br, hdr: h, cw: cw, ch: ch, size: size}, nil
}

func peekNotMagic(s string) bool {
	n := min(len(s), len(magic))
	return s[:n] != magic[:n]
}

var errLongLine = errors.New("line too long")

// readLine reads up to '\n' (not included), at most maxLine bytes. At a clean
// end of input it returns io.EOF; at an end inside a line io.ErrUnexpectedEOF
// with what was read.
func readLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if len(buf) == 0 {
					return "", io.EOF
				}
				return string(buf), io.ErrUnexpectedEOF
			}
			return string(buf), err
		}
		if b == '\n' {
			return string(buf), nil
		}
		if len(buf) >= maxLine {
			return string(buf), errLongLine
		}
		buf = append(buf, b)
	}
}

// Header returns the stream header.
func (r *Reader) Header() Header { return r.hdr }

// Frames returns how many frames were read so far.
func (r *Reader) Frames() int { return r.frames }

// Next reads the next frame into a new image. It returns io.EOF (unwrapped)
// after the last frame, and an error wrapping ErrFrameHeader or ErrTruncated
// when the stream is damaged. A mono stream comes back as 4:2:0 with neutral
// chroma, so every frame is an *image.YCbCr.
func (r *Reader) Next() (*image.YCbCr, error) {
	img := r.newImage()
	if err := r.ReadInto(img); err != nil {
		return nil, err
	}
	return img, nil
}

func (r *Reader) newImage() *image.YCbCr {
	rect := image.Rect(0, 0, r.hdr.Width, r.hdr.Height)
	switch r.hdr.Colorspace {
	case C422:
		return image.NewYCbCr(rect, image.YCbCrSubsampleRatio422)
	case C444:
		return image.NewYCbCr(rect, image.YCbCrSubsampleRatio444)
	}
	return image.NewYCbCr(rect, image.YCbCrSubsampleRatio420)
}

// ReadInto reads the next frame into dst, which must have been made by Next
// (or have the same size and subsampling), so a loop can reuse one image.
func (r *Reader) ReadInto(dst *image.YCbCr) error {
	want := r.newImage()
	if dst == nil || dst.Rect != want.Rect || dst.SubsampleRatio != want.SubsampleRatio ||
		dst.YStride != want.YStride || dst.CStride != want.CStride || len(dst.Y) < len(want.Y) || len(dst.Cb) < len(want.Cb) || len(dst.Cr) < len(want.Cr) {
		return fmt.Errorf("%w: destination image does not match the stream (%dx%d %s)", ErrFrameSize, r.hdr.Width, r.hdr.Height, r.hdr.Colorspace)
	}
	line, err := readLine(r.br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("frame %d: %w (the FRAME line is cut off)", r.frames+1, ErrTruncated)
		}
		if errors.Is(err, errLongLine) {
			return fmt.Errorf("frame %d: %w: FRAME line longer than %d bytes", r.frames+1, ErrFrameHeader, maxLine)
		}
		return fmt.Errorf("frame %d: read FRAME line: %w", r.frames+1, err)
	}
	if line != frameMagic && (len(line) < len(frameMagic)+1 || line[:len(frameMagic)+1] != frameMagic+" ") {
		return fmt.Errorf("frame %d: %w: want a line starting with FRAME, found %.20q (is the header's size or colour space wrong?)", r.frames+1, ErrFrameHeader, line)
	}
	if _, err := io.ReadFull(r.br, dst.Y[:r.hdr.Width*r.hdr.Height]); err != nil {
		return r.truncated(err)
	}
	if r.hdr.Colorspace == CMono {
		for i := range dst.Cb {
			dst.Cb[i], dst.Cr[i] = 128, 128
		}
	} else {
		n := r.cw * r.ch
		if _, err := io.ReadFull(r.br, dst.Cb[:n]); err != nil {
			return r.truncated(err)
		}
		if _, err := io.ReadFull(r.br, dst.Cr[:n]); err != nil {
			return r.truncated(err)
		}
	}
	r.frames++
	return nil
}

func (r *Reader) truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("frame %d: %w (want %d bytes of planes)", r.frames+1, ErrTruncated, r.size)
	}
	return fmt.Errorf("frame %d: read planes: %w", r.frames+1, err)
}
