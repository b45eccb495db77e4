//go:build cgo

package mic

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/gen2brain/malgo"
)

// Device is a real microphone captured through miniaudio.
type Device struct {
	ctx    *malgo.AllocatedContext
	dev    *malgo.Device
	name   string
	chunks chan chunk
	stop   chan struct{}
	once   sync.Once

	mu      sync.Mutex
	pending []float32
	start   time.Time // capture time of pending[0]
	lost    bool
}

type chunk struct {
	samples []float32
	at      time.Time
}

var _ Source = (*Device)(nil)

// backends are tried in order. Only native sound servers: miniaudio's ALSA
// path on a desktop goes through PulseAudio anyway, and its probing of
// absent ALSA cards floods stderr.
func backends() []malgo.Backend {
	switch runtime.GOOS {
	case "windows":
		return []malgo.Backend{malgo.BackendWasapi}
	case "darwin":
		return []malgo.Backend{malgo.BackendCoreaudio}
	default:
		return []malgo.Backend{malgo.BackendPulseaudio, malgo.BackendAlsa}
	}
}

// OpenDevice opens the system's default capture device, mono at 48 kHz.
func OpenDevice() (*Device, error) {
	quietALSA()
	ctx, err := malgo.InitContext(backends(), malgo.ContextConfig{}, func(string) {})
	if err != nil {
		return nil, fmt.Errorf("%w: no sound system (%v)", ErrNoMicrophone, err)
	}
	infos, err := ctx.Devices(malgo.Capture)
	if err != nil || len(infos) == 0 {
		ctx.Uninit()
		ctx.Free()
		return nil, fmt.Errorf("%w: the sound system lists no capture device", ErrNoMicrophone)
	}
	d := &Device{ctx: ctx, name: infos[0].Name(), chunks: make(chan chunk, 50), stop: make(chan struct{})}
	for _, in := range infos {
		if in.IsDefault != 0 {
			d.name = in.Name()
		}
	}
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.Format = malgo.FormatF32
	cfg.Capture.Channels = 1
	cfg.SampleRate = Rate
	cfg.PeriodSizeInMilliseconds = 20
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{Data: d.onData, Stop: d.onStop})
	if err != nil {
		ctx.Uninit()
		ctx.Free()
		return nil, fmt.Errorf("%w: %v", ErrNoMicrophone, err)
	}
	d.dev = dev
	if err := dev.Start(); err != nil {
		d.Close()
		return nil, fmt.Errorf("%w: start capture: %v", ErrNoMicrophone, err)
	}
	return d, nil
}

// onData runs on miniaudio's thread: it cuts the samples into 20 ms chunks
// and hands them over without blocking (a stalled reader loses the oldest).
func (d *Device) onData(_, in []byte, frames uint32) {
	now := time.Now()
	n := int(frames)
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.pending) == 0 {
		d.start = now.Add(-time.Duration(n) * time.Second / Rate)
	}
	for i := 0; i < n && 4*i+4 <= len(in); i++ {
		d.pending = append(d.pending, math.Float32frombits(binary.LittleEndian.Uint32(in[4*i:])))
	}
	for len(d.pending) >= ChunkSamples {
		c := chunk{samples: append([]float32(nil), d.pending[:ChunkSamples]...), at: d.start}
		d.pending = append(d.pending[:0], d.pending[ChunkSamples:]...)
		d.start = d.start.Add(ChunkDuration)
		select {
		case d.chunks <- c:
		default:
			select { // drop the oldest to keep latency bounded
			case <-d.chunks:
			default:
			}
			d.chunks <- c
		}
	}
}

func (d *Device) onStop() {
	d.mu.Lock()
	d.lost = true
	d.mu.Unlock()
	d.once.Do(func() { close(d.stop) })
}

// Name implements Source.
func (d *Device) Name() string { return d.name }

// Read implements Source.
func (d *Device) Read() ([]float32, time.Time, error) {
	select {
	case c := <-d.chunks:
		return c.samples, c.at, nil
	case <-d.stop:
		d.mu.Lock()
		lost := d.lost
		d.mu.Unlock()
		if lost {
			return nil, time.Time{}, ErrLost
		}
		return nil, time.Time{}, ErrClosed
	case <-time.After(3 * time.Second):
		// A device that delivers nothing for seconds has gone away
		// without telling (a dead server connection).
		return nil, time.Time{}, fmt.Errorf("%w: no samples for 3 s", ErrLost)
	}
}

// Close implements Source.
func (d *Device) Close() error {
	d.once.Do(func() { close(d.stop) })
	if d.dev != nil {
		d.dev.Uninit()
		d.dev = nil
	}
	if d.ctx != nil {
		_ = d.ctx.Uninit()
		d.ctx.Free()
		d.ctx = nil
	}
	return nil
}
