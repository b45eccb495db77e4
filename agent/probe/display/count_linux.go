//go:build linux

package display

import (
	"context"
	"fmt"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
)

// connect opens the X display named by $DISPLAY.
func connect(ctx context.Context) (*xgb.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := os.Getenv("DISPLAY")
	if d == "" {
		if os.Getenv("WAYLAND_DISPLAY") != "" {
			return nil, fmt.Errorf("%w: Wayland session without Xwayland (DISPLAY is not set)", ErrUnsupported)
		}
		return nil, fmt.Errorf("%w: DISPLAY is not set", ErrNoDisplay)
	}
	c, err := xgb.NewConnDisplay(d)
	if err != nil {
		return nil, fmt.Errorf("%w: connect to X display %s: %w", ErrNoDisplay, d, err)
	}
	return c, nil
}

// Count returns how many monitors the X display shows: the Xinerama heads
// (which include RandR monitors, also ones made with xrandr --setmonitor),
// or the X screens when there are more screens than heads. Unlike
// screenshot.NumActiveDisplays it tells "cannot connect" from "zero".
func Count(ctx context.Context) (int, error) {
	c, err := connect(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	screens := len(xproto.Setup(c).Roots)
	heads := 0
	if xinerama.Init(c) == nil {
		active, err := xinerama.IsActive(c).Reply()
		if err == nil && active.State != 0 {
			q, err := xinerama.QueryScreens(c).Reply()
			if err != nil {
				return 0, fmt.Errorf("%w: Xinerama QueryScreens: %w", ErrNoDisplay, err)
			}
			heads = int(q.Number)
		}
	}
	return max(heads, screens), nil
}
