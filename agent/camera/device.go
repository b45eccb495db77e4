//go:build cgo

package camera

import (
	"fmt"
	"image"
	"math"
	"strings"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	// Registers the platform's cameras (V4L2 on Linux; DirectShow and
	// AVFoundation with cgo on Windows and macOS).
	mdcamera "github.com/pion/mediadevices/pkg/driver/camera"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// Device is a real camera opened through pion/mediadevices.
type Device struct {
	d         driver.Driver
	r         video.Reader
	name      string
	w, h, fps int
	closeOnce sync.Once
	closeErr  error
}

var _ Source = (*Device)(nil)

// Devices lists the cameras this computer has, by label.
func Devices() []string {
	var out []string
	for _, d := range driver.GetManager().Query(driver.FilterAnd(driver.FilterVideoRecorder(), driver.FilterDeviceType(driver.Camera))) {
		out = append(out, d.Info().Label)
	}
	return out
}

// OpenDevice opens a camera: the first one (by the platform's priority)
// when path is empty, else the one whose label or name contains path
// (e.g. "/dev/video2" or "video2").
func OpenDevice(path string, o Options) (*Device, error) {
	cams := driver.GetManager().Query(driver.FilterAnd(driver.FilterVideoRecorder(), driver.FilterDeviceType(driver.Camera)))
	var pick driver.Driver
	for _, d := range cams {
		info := d.Info()
		if path == "" || strings.Contains(info.Label, path) || strings.Contains(info.Name, path) {
			if pick == nil || (path == "" && info.Priority > pick.Info().Priority) {
				pick = d
			}
		}
	}
	if pick == nil {
		if path == "" {
			return nil, ErrNoCamera
		}
		return nil, fmt.Errorf("%w: no camera matches %q (found: %s)", ErrNoCamera, path, strings.Join(Devices(), ", "))
	}
	if err := pick.Open(); err != nil {
		return nil, fmt.Errorf("open camera %s: %w", pick.Info().Label, err)
	}
	want := prop.Media{Video: prop.Video{Width: o.Width, Height: o.Height, FrameRate: float32(o.FPS)}}
	best, ok := closest(pick.Properties(), want)
	if !ok {
		pick.Close()
		return nil, fmt.Errorf("camera %s reports no video formats", pick.Info().Label)
	}
	rec, ok := pick.(driver.VideoRecorder)
	if !ok {
		pick.Close()
		return nil, fmt.Errorf("camera %s cannot record video", pick.Info().Label)
	}
	r, err := rec.VideoRecord(best)
	if err != nil {
		pick.Close()
		return nil, fmt.Errorf("start camera %s: %w", pick.Info().Label, err)
	}
	fps := int(best.FrameRate)
	if fps <= 0 {
		fps = o.FPS
	}
	label := pick.Info().Label
	if i := strings.LastIndex(label, mdcamera.LabelSeparator); i >= 0 {
		label = label[i+len(mdcamera.LabelSeparator):]
	}
	return &Device{d: pick, r: video.ToI420(r), name: label, w: best.Width, h: best.Height, fps: fps}, nil
}

// closest picks the advertised format nearest to the wanted size and rate.
func closest(props []prop.Media, want prop.Media) (prop.Media, bool) {
	bestScore := math.Inf(1)
	var best prop.Media
	for _, p := range props {
		score := math.Abs(float64(p.Width*p.Height-want.Width*want.Height)) / float64(want.Width*want.Height)
		if p.FrameRate > 0 {
			score += math.Abs(float64(p.FrameRate-want.FrameRate)) / float64(want.FrameRate) / 4
		}
		if score < bestScore {
			bestScore, best = score, p
		}
	}
	return best, !math.IsInf(bestScore, 1)
}

// Read implements Source.
func (d *Device) Read() (image.Image, func(), error) { return d.r.Read() }

// Close implements Source.
func (d *Device) Close() error {
	d.closeOnce.Do(func() { d.closeErr = d.d.Close() })
	return d.closeErr
}

// Name implements Source.
func (d *Device) Name() string { return d.name }

// Size implements Source.
func (d *Device) Size() (int, int) { return d.w, d.h }

// FPS implements Source.
func (d *Device) FPS() int { return d.fps }
