package camera

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"kuzet.kz/kuzet/agent/y4m"
)

// File is recorded footage (a Y4M file) played as the camera, in a loop,
// at the file's frame rate: tests, demos and support reproduce the whole
// pipeline — capture, analysis, events, streaming — on real footage.
type File struct {
	path  string
	loop  *y4m.Looper
	w, h  int
	fps   int
	pace  pacer
	stop  chan struct{}
	once  sync.Once
	mu    sync.Mutex // the looper is not safe for concurrent use
	after bool
}

var _ Source = (*File)(nil)

// OpenFile opens Y4M footage as a looping camera. The footage must be
// 4:2:0 (or mono): convert other files with
// ffmpeg -i IN -pix_fmt yuv420p OUT.y4m.
func OpenFile(path string, _ Options) (Source, error) {
	l, err := y4m.OpenLoop(path)
	if err != nil {
		return nil, err
	}
	h := l.Header()
	switch h.Colorspace {
	case y4m.C420jpeg, y4m.C420, y4m.C420mpeg2, y4m.C420paldv, y4m.CMono, "":
	default:
		l.Close()
		return nil, fmt.Errorf("footage %s is %s; the camera needs 4:2:0 — convert it with ffmpeg -i %s -pix_fmt yuv420p out.y4m", path, h.Colorspace, path)
	}
	fps := int(h.FrameRate.Float() + 0.5)
	if fps < 1 || fps > 60 {
		l.Close()
		return nil, fmt.Errorf("footage %s runs at %s frames a second; use 1 to 60", path, h.FrameRate)
	}
	f := &File{path: path, loop: l, w: h.Width, h: h.Height, fps: fps, stop: make(chan struct{})}
	f.pace.period = time.Second / time.Duration(fps)
	return f, nil
}

// Name implements Source.
func (f *File) Name() string { return f.path }

// Size implements Source.
func (f *File) Size() (int, int) { return f.w, f.h }

// FPS implements Source.
func (f *File) FPS() int { return f.fps }

// Read implements Source.
func (f *File) Read() (image.Image, func(), error) {
	if !f.pace.wait(f.stop) {
		return nil, nil, ErrClosed
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.after {
		return nil, nil, ErrClosed
	}
	img, err := f.loop.Next()
	if err != nil {
		if errors.Is(err, y4m.ErrEmptyStream) {
			return nil, nil, fmt.Errorf("footage %s has no frames", f.path)
		}
		return nil, nil, fmt.Errorf("footage %s: %w", f.path, err)
	}
	return img, func() {}, nil
}

// Close implements Source.
func (f *File) Close() error {
	f.once.Do(func() { close(f.stop) })
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.after {
		return nil
	}
	f.after = true
	return f.loop.Close()
}
