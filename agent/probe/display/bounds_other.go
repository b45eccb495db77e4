//go:build !linux

package display

import (
	"context"
	"image"

	"github.com/kbinani/screenshot"
)

// Bounds is the desktop's bounding box: the union of every active display.
func Bounds(ctx context.Context) (image.Rectangle, error) {
	n, err := Count(ctx)
	if err != nil {
		return image.Rectangle{}, err
	}
	var all image.Rectangle
	for i := 0; i < n; i++ {
		all = all.Union(screenshot.GetDisplayBounds(i))
	}
	return all, nil
}
