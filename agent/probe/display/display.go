// Package display counts the candidate's active displays and keeps the
// screen evidence of rule 10.11 (p.10: no auxiliary materials): a second
// monitor is a violation, and a downscaled screenshot with the title of the
// foreground window is kept periodically for the proctor.
package display

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/kbinani/screenshot"
	"golang.org/x/image/draw"
)

// Errors of the display package.
var (
	// ErrNoDisplay: there is no graphical session to inspect (no X
	// display on Linux, no window station on Windows).
	ErrNoDisplay = errors.New("no graphical display")
	// ErrUnsupported: this build cannot inspect displays here (macOS
	// built without cgo; Wayland without Xwayland).
	ErrUnsupported = errors.New("display inspection is not supported in this build")
	// ErrNoActiveWindow: the window manager names no foreground window.
	ErrNoActiveWindow = errors.New("no foreground window")
	// ErrCapture: the screen could not be captured.
	ErrCapture = errors.New("screen capture failed")
)

// Screenshot captures every active display (their bounding box), scales
// the picture down to at most maxWidth pixels wide and encodes it as JPEG.
func Screenshot(ctx context.Context, maxWidth, quality int) ([]byte, error) {
	all, err := Bounds(ctx)
	if err != nil {
		return nil, err
	}
	if all.Empty() {
		return nil, fmt.Errorf("%w: displays report no bounds", ErrCapture)
	}
	img, err := screenshot.CaptureRect(all)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCapture, err)
	}
	return EncodeJPEG(img, maxWidth, quality)
}

// EncodeJPEG scales img down to at most maxWidth pixels wide (keeping its
// aspect ratio; never up) and encodes it as JPEG of the given quality.
func EncodeJPEG(img image.Image, maxWidth, quality int) ([]byte, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("%w: empty image", ErrCapture)
	}
	if maxWidth <= 0 {
		maxWidth = b.Dx()
	}
	if quality <= 0 || quality > 100 {
		quality = 60
	}
	var src image.Image = img
	if b.Dx() > maxWidth {
		h := b.Dy() * maxWidth / b.Dx()
		if h < 1 {
			h = 1
		}
		dst := image.NewRGBA(image.Rect(0, 0, maxWidth, h))
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		src = dst
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode screenshot: %w", err)
	}
	return buf.Bytes(), nil
}
