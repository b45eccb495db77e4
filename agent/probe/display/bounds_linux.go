//go:build linux

package display

import (
	"context"
	"fmt"
	"image"

	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
)

// Bounds is the desktop's bounding box: the union of the Xinerama heads
// when Xinerama is active, else the default X screen's root window (an X
// server without Xinerama, such as a plain Xvfb, still has a screen).
func Bounds(ctx context.Context) (image.Rectangle, error) {
	c, err := connect(ctx)
	if err != nil {
		return image.Rectangle{}, err
	}
	defer c.Close()
	if xinerama.Init(c) == nil {
		if active, err := xinerama.IsActive(c).Reply(); err == nil && active.State != 0 {
			if q, err := xinerama.QueryScreens(c).Reply(); err == nil && q.Number > 0 {
				var all image.Rectangle
				for _, s := range q.ScreenInfo {
					all = all.Union(image.Rect(int(s.XOrg), int(s.YOrg), int(s.XOrg)+int(s.Width), int(s.YOrg)+int(s.Height)))
				}
				return all, nil
			}
		}
	}
	setup := xproto.Setup(c)
	if len(setup.Roots) == 0 {
		return image.Rectangle{}, fmt.Errorf("%w: the X server has no screen", ErrNoDisplay)
	}
	root := setup.DefaultScreen(c)
	return image.Rect(0, 0, int(root.WidthInPixels), int(root.HeightInPixels)), nil
}
