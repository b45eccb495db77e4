package y4m

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
)

// ErrEmptyStream means a stream has a header but no frame, so it cannot be
// looped.
var ErrEmptyStream = errors.New("y4m stream has no frames")

// Looper plays a y4m file over and over, as recorded footage standing in for
// a camera (--camera file:PATH). It is not safe for concurrent use.
type Looper struct {
	f     *os.File
	r     *Reader
	hdr   Header
	loops int
}

// OpenLoop opens path and reads its header. The file must hold at least one
// frame.
func OpenLoop(path string) (*Looper, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open footage: %w", err)
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("footage %s: %w", path, err)
	}
	return &Looper{f: f, r: r, hdr: r.Header()}, nil
}

// Header returns the stream header (size, frame rate).
func (l *Looper) Header() Header { return l.hdr }

// Loops returns how many times the file was rewound.
func (l *Looper) Loops() int { return l.loops }

// Next returns the next frame, starting again from the first after the
// last. A damaged frame is an error (wrapping ErrTruncated or
// ErrFrameHeader); the caller decides whether to stop.
func (l *Looper) Next() (*image.YCbCr, error) {
	img, err := l.r.Next()
	if err == nil {
		return img, nil
	}
	if !errors.Is(err, io.EOF) {
		return nil, err
	}
	if l.r.Frames() == 0 {
		return nil, ErrEmptyStream
	}
	if _, err := l.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind footage: %w", err)
	}
	r, err := NewReader(l.f)
	if err != nil {
		return nil, fmt.Errorf("rewind footage: %w", err)
	}
	l.r = r
	l.loops++
	img, err = l.r.Next()
	if errors.Is(err, io.EOF) {
		return nil, ErrEmptyStream
	}
	return img, err
}

// Close closes the file.
func (l *Looper) Close() error { return l.f.Close() }
