//go:build linux

package display

import (
	"context"
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// ForegroundTitle returns the title of the window the window manager says
// is active (EWMH _NET_ACTIVE_WINDOW, then _NET_WM_NAME or WM_NAME).
func ForegroundTitle(ctx context.Context) (string, error) {
	c, err := connect(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	active, err := atom(c, "_NET_ACTIVE_WINDOW")
	if err != nil {
		return "", err
	}
	p, err := xproto.GetProperty(c, false, root, active, xproto.AtomWindow, 0, 1).Reply()
	if err != nil {
		return "", fmt.Errorf("read _NET_ACTIVE_WINDOW: %w", err)
	}
	if p.Format != 32 || len(p.Value) < 4 {
		return "", fmt.Errorf("%w: the window manager does not set _NET_ACTIVE_WINDOW", ErrNoActiveWindow)
	}
	win := xproto.Window(xgb.Get32(p.Value))
	if win == 0 {
		return "", fmt.Errorf("%w: no window has the focus", ErrNoActiveWindow)
	}
	utf8, err := atom(c, "UTF8_STRING")
	if err != nil {
		return "", err
	}
	netName, err := atom(c, "_NET_WM_NAME")
	if err != nil {
		return "", err
	}
	for _, q := range []struct{ prop, typ xproto.Atom }{{netName, utf8}, {xproto.AtomWmName, xproto.AtomString}} {
		r, err := xproto.GetProperty(c, false, win, q.prop, q.typ, 0, 1024).Reply()
		if err != nil {
			return "", fmt.Errorf("read title of window 0x%x: %w", uint32(win), err)
		}
		if r.Format == 8 && len(r.Value) > 0 {
			return string(r.Value), nil
		}
	}
	return "", nil
}

func atom(c *xgb.Conn, name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("intern atom %s: %w", name, err)
	}
	return r.Atom, nil
}
