package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"kuzet.kz/kuzet/agent/camera"
	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/mic"
	"kuzet.kz/kuzet/agent/publish"
	"kuzet.kz/kuzet/agent/screen"
	"kuzet.kz/kuzet/agent/uplink"
	"kuzet.kz/kuzet/agent/vad"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// speech runs rule 10.8 on the microphone's samples before they are
// encoded: the voice detector, the speech watcher and the microphone's
// health. The policy arrives with the welcome; until then the defaults
// apply.
type speech struct {
	emit func(finding.Transition)
	log  *slog.Logger

	mu      sync.Mutex
	det     *vad.Detector
	watcher *vad.Watcher
	mic     *vad.MicWatcher
	meter   *vad.Meter
}

func newSpeech(emit func(finding.Transition), log *slog.Logger) (*speech, error) {
	det, err := vad.New(vad.Config{SampleRate: mic.Rate})
	if err != nil {
		return nil, err
	}
	w, err := vad.NewWatcher(vad.WatcherConfig{})
	if err != nil {
		return nil, err
	}
	m, err := vad.NewMicWatcher(vad.MicConfig{})
	if err != nil {
		return nil, err
	}
	meter, err := vad.NewMeter(mic.Rate, 300*time.Millisecond)
	if err != nil {
		return nil, err
	}
	return &speech{emit: emit, log: log, det: det, watcher: w, mic: m, meter: meter}, nil
}

// configure applies the stage's speech policy.
func (s *speech) configure(p protocol.SpeechPolicy) {
	wc := vad.WatcherConfig{MinSpeech: time.Duration(p.MinSpeechMS) * time.Millisecond, Window: time.Duration(p.WindowMS) * time.Millisecond}
	w, err := vad.NewWatcher(wc)
	if err != nil {
		s.log.Error("speech policy", "err", err)
		return
	}
	m, err := vad.NewMicWatcher(vad.MicConfig{Severity: p.MicSeverity})
	if err != nil {
		s.log.Error("microphone policy", "err", err)
		return
	}
	now := time.Now()
	s.mu.Lock()
	// Close what the old watchers had open before replacing them.
	ended := append(s.watcher.SetSpeakingAllowed(now, true), s.mic.Update(now, vad.MicInput{Samples: []float32{0.1}})...)
	s.watcher, s.mic = w, m
	ended = append(ended, s.watcher.SetSpeakingAllowed(now, p.Allowed)...)
	s.mu.Unlock()
	for _, t := range ended {
		s.emit(t)
	}
}

// tap is the microphone pipeline's tap.
func (s *speech) tap(samples []float32, at time.Time, missing bool) {
	s.mu.Lock()
	frames := s.det.Process(samples)
	s.meter.Write(samples)
	newest := at.Add(mic.ChunkDuration)
	out := s.watcher.Update(newest.Add(-s.det.Latency()), frames)
	out = append(out, s.mic.Update(newest, vad.MicInput{Missing: missing, Samples: samples})...)
	s.mu.Unlock()
	for _, t := range out {
		s.emit(t)
	}
}

// Level is the input level now, for the pre-check.
func (s *speech) Level() vad.Level {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meter.Level()
}

// media is what the agent captures and publishes, with what watches it.
type media struct {
	camera *camera.Pipeline
	thumb  *camera.Thumbnailer
	mic    *mic.Pipeline
	screen *screen.Source
	speech *speech
	eyes   *eyes
	pub    *publish.Publisher
	conn   net.PacketConn
	// sources close the inputs (unblocking the encoders' reads).
	sources []func() error
	once    sync.Once
}

// CloseSources stops every input, so encoders blocked reading return.
func (m *media) CloseSources() {
	for i := len(m.sources) - 1; i >= 0; i-- {
		_ = m.sources[i]()
	}
}

// Close stops the inputs, then releases the encoders and the socket. Call
// it after the encoders' goroutines have ended: an encoder holds its lock
// while it waits for a frame.
func (m *media) Close() {
	m.once.Do(func() {
		m.CloseSources()
		if m.pub != nil {
			_ = m.pub.Close()
		}
		if m.conn != nil {
			_ = m.conn.Close()
		}
	})
}

// mediaOptions are what the configuration says about capture.
type mediaOptions struct {
	Mic        mic.Spec
	Screen     bool
	ScreenFPS  float64
	UplinkKbps int
	MaxKbps    int
}

// buildMedia assembles capture, watching and encoding around an opened
// camera. A missing microphone or screen is reported, never fatal.
func buildMedia(src camera.Source, reopenCamera camera.Opener, o mediaOptions, emit func(finding.Transition), log *slog.Logger) (*media, error) {
	m := &media{}
	m.camera = camera.NewPipeline(src, reopenCamera, 2*time.Second, emit)
	m.sources = append(m.sources, m.camera.Close)
	w, h := src.Size()
	fps := float64(src.FPS())
	m.thumb = camera.NewThumbnailer(160, 120, max(1, int(fps/5)))
	m.sources = append(m.sources, m.thumb.Close)
	m.camera.AddTap(m.thumb.Tap)
	tw, th := m.thumb.Size()
	opts := publish.Options{
		Camera:     publish.Video{Source: m.camera, Width: w, Height: h, FPS: fps, KeyframeEvery: 4 * time.Second},
		Thumb:      &publish.Video{Source: m.thumb, Width: tw, Height: th, FPS: fps / float64(max(1, int(fps/5))), KeyframeEvery: 4 * time.Second},
		MaxBitRate: o.MaxKbps * 1000,
		Log:        log,
	}

	sp, err := newSpeech(emit, log)
	if err != nil {
		m.Close()
		return nil, err
	}
	m.speech = sp
	if o.Mic.Kind != "none" {
		msrc, err := mic.Open(o.Mic)
		var reopen mic.Opener
		if o.Mic.Kind == "auto" {
			reopen = func() (mic.Source, error) { return mic.Open(o.Mic) }
		}
		if err != nil {
			log.Warn("microphone", "err", err)
			msrc = nil // the pipeline reports it missing and retries
			if !errors.Is(err, mic.ErrNoMicrophone) && o.Mic.Kind == "file" {
				m.Close()
				return nil, fmt.Errorf("--mic: %w", err)
			}
		}
		m.mic = mic.NewPipeline(msrc, reopen, sp.tap)
		m.sources = append(m.sources, m.mic.Close)
		opts.Mic = &publish.Audio{Source: m.mic}
	}
	if o.Screen {
		m.screen = screen.NewSource(screen.Desktop, 1024, 576, o.ScreenFPS)
		m.screen.OnError = func(err error) {
			t := finding.Transition{Rule: protocol.Rule10_11, Subject: "screen:capture", At: time.Now()}
			if err != nil {
				reason := strings.TrimPrefix(err.Error(), screen.ErrNoScreen.Error()+": ")
				t.Kind, t.Severity, t.Key, t.Args = protocol.KindStart, protocol.SeverityUnchecked, i18n.Key("agent.screen_unavailable"), i18n.Args{"reason": reason}
			} else {
				t.Kind, t.Severity, t.Key = protocol.KindEnd, protocol.SeverityInfo, i18n.Key("agent.screen_restored")
			}
			emit(t)
		}
		m.sources = append(m.sources, m.screen.Close)
		sw, sh := m.screen.Size()
		opts.Screen = &publish.Video{Source: m.screen, Width: sw, Height: sh, FPS: o.ScreenFPS, KeyframeEvery: 10 * time.Second}
	}
	if o.UplinkKbps > 0 {
		c, err := net.ListenPacket("udp4", ":0")
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("--uplink-kbps: %w", err)
		}
		// A home router's buffer: about a second of the link.
		m.conn = uplink.New(c, o.UplinkKbps, time.Second)
		opts.Conn = m.conn
	}
	pub, err := publish.New(opts)
	if err != nil {
		m.Close()
		return nil, err
	}
	m.pub = pub
	return m, nil
}
