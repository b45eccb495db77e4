package app

import (
	"context"
	"image"
	"log/slog"
	"sync"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/roomscan"
	"kuzet.kz/kuzet/agent/vision"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// AnalysisFPS is how many camera frames a second are analysed (rules
// 10.1–10.5): enough for every grace period, a fraction of the capture rate.
const AnalysisFPS = 5

// eyes analyses copies of the camera's frames off the encoder's goroutine:
// faces, a covered or frozen image, and on request the 360° room scan.
type eyes struct {
	emit     func(finding.Transition)
	log      *slog.Logger
	analyzer *vision.Analyzer
	watcher  *vision.Watcher
	every    int

	frames chan frame
	ctl    chan func()
	pool   sync.Pool
	n      int // frames seen by tap (encoder goroutine only)

	mu       sync.Mutex
	scan     *roomscan.Scan // non-nil while a room scan runs
	scanCfg  roomscan.Config
	wantID   bool
	analysed int
}

type frame struct {
	img *image.YCbCr
	at  time.Time
}

func newEyes(cameraFPS int, emit func(finding.Transition), log *slog.Logger) (*eyes, error) {
	cfg := vision.DefaultConfig()
	a, err := vision.NewAnalyzer(cfg)
	if err != nil {
		return nil, err
	}
	return &eyes{emit: emit, log: log, analyzer: a, watcher: vision.NewWatcher(cfg), every: max(1, cameraFPS/AnalysisFPS),
		frames: make(chan frame, 1), ctl: make(chan func(), 4), scanCfg: roomscan.DefaultConfig()}, nil
}

// tap copies every every-th frame for analysis (every frame during a room
// scan); it never blocks the encoder: a busy analyser skips frames.
func (e *eyes) tap(img image.Image, at time.Time) {
	e.n++
	e.mu.Lock()
	scanning := e.scan != nil
	e.mu.Unlock()
	if !scanning && e.n%e.every != 0 {
		return
	}
	src, ok := img.(*image.YCbCr)
	if !ok {
		return
	}
	dst, _ := e.pool.Get().(*image.YCbCr)
	if dst == nil || dst.Rect != src.Rect || dst.SubsampleRatio != src.SubsampleRatio {
		dst = image.NewYCbCr(src.Rect, src.SubsampleRatio)
	}
	copyYCbCr(dst, src)
	select {
	case e.frames <- frame{dst, at}:
	default:
		e.pool.Put(dst)
	}
}

func copyYCbCr(dst, src *image.YCbCr) {
	h := src.Rect.Dy()
	w := src.Rect.Dx()
	for y := 0; y < h; y++ {
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], src.Y[src.YOffset(src.Rect.Min.X, src.Rect.Min.Y+y):])
	}
	cw, ch := (w+1)/2, (h+1)/2
	if src.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		copy(dst.Cb, src.Cb)
		copy(dst.Cr, src.Cr)
		return
	}
	for y := 0; y < ch; y++ {
		off := src.COffset(src.Rect.Min.X, src.Rect.Min.Y+2*y)
		copy(dst.Cb[y*dst.CStride:y*dst.CStride+cw], src.Cb[off:])
		copy(dst.Cr[y*dst.CStride:y*dst.CStride+cw], src.Cr[off:])
	}
}

// Frames is how many frames were analysed.
func (e *eyes) Frames() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.analysed
}

// run analyses frames until ctx ends. The analyser and watcher belong to
// this goroutine; requests reach it through ctl.
func (e *eyes) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var scanStarted time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case fn := <-e.ctl:
			fn()
			e.mu.Lock()
			if e.scan != nil && scanStarted.IsZero() {
				scanStarted = time.Now()
			}
			e.mu.Unlock()
		case f := <-e.frames:
			e.handle(f)
			e.pool.Put(f.img)
		case now := <-tick.C:
			// A scan whose frames stopped coming (camera lost) still ends.
			e.mu.Lock()
			active := e.scan != nil
			e.mu.Unlock()
			if !active {
				scanStarted = time.Time{}
			} else if now.Sub(scanStarted) > e.scanCfg.TimeLimit+5*time.Second {
				e.finishScan(now)
			}
		}
	}
}

func (e *eyes) handle(f frame) {
	e.mu.Lock()
	scan := e.scan
	wantID := e.wantID
	e.wantID = false
	e.analysed++
	e.mu.Unlock()
	if scan != nil {
		p, err := scan.Add(f.at, f.img)
		if err != nil {
			e.log.Debug("room scan frame", "err", err)
		}
		if p.Complete || p.TimedOut {
			e.finishScan(f.at)
		}
		return
	}
	if wantID {
		if t, err := e.watcher.IDPhoto(f.at, f.img); err == nil {
			e.emit(t)
		} else {
			e.log.Warn("ID photo", "err", err)
		}
	}
	obs, err := e.analyzer.Analyze(f.img)
	if err != nil {
		e.log.Debug("analyse frame", "err", err)
		return
	}
	for _, t := range e.watcher.Update(f.at, f.img, obs) {
		e.emit(t)
	}
}

// RoomScan starts the 360° review of the room (rule 10.7): the candidate
// is told, the other camera rules pause, and the result is reported when
// the scan completes or times out.
func (e *eyes) RoomScan(now time.Time) {
	select {
	case e.ctl <- func() { e.startScan(now) }:
	default:
	}
}

func (e *eyes) startScan(now time.Time) {
	scan, err := roomscan.NewScan(e.scanCfg)
	if err != nil {
		e.log.Error("room scan", "err", err)
		return
	}
	e.mu.Lock()
	if e.scan != nil {
		e.mu.Unlock()
		return // one scan at a time
	}
	e.scan = scan
	e.mu.Unlock()
	// The face rules cannot hold while the camera turns away on purpose.
	for _, t := range e.watcher.End(now) {
		e.emit(t)
	}
	e.analyzer.Reset()
	e.emit(finding.Transition{Rule: protocol.Rule10_7, Subject: "roomscan:request", Kind: protocol.KindInstant, At: now,
		Severity: protocol.SeverityInfo, Key: i18n.Key("roomscan.start")})
}

func (e *eyes) finishScan(now time.Time) {
	e.mu.Lock()
	scan := e.scan
	e.scan = nil
	e.mu.Unlock()
	if scan == nil {
		return
	}
	e.emit(scan.Finish(now).Transition())
	e.analyzer.Reset()
}

// IDPhoto takes the next analysed frame as the ID-document photo (10.1).
func (e *eyes) IDPhoto() {
	e.mu.Lock()
	e.wantID = true
	e.mu.Unlock()
}

// ScanCamera reports a virtual camera by its device name (rule 10.1).
func (e *eyes) ScanCamera(now time.Time, device string) {
	if t, ok := vision.VirtualCameraTransition(now, device); ok {
		e.emit(t)
	}
}
