// Package record writes a sitting's media — camera and screen video (VP8)
// and microphone audio (Opus), received as RTP — to WebM files with
// github.com/at-wat/ebml-go, in segments of a few minutes, so that auditors
// can replay what the proctor saw (issue 6; evidence for rule 10.1–10.11).
//
// Each segment starts on a video keyframe and carries SeekHead, Cues and
// Duration, written when it is closed, so every closed segment plays and
// seeks in a browser. Clusters are written as the media arrives, with
// unknown sizes, so a crash leaves the open segment playable up to its last
// written cluster and loses only its index (Cues and Duration).
//
// Camera and audio share one series of files ("camera-….webm"); the screen
// has its own ("screen-….webm"). Timestamps come from each track's RTP
// clock (90 kHz video, 48 kHz audio), anchored to the wall clock at the
// track's first packet; each segment's Info.DateUTC is its start. Both
// tracks of a file are on that one wall-clock timeline, 0 ms being the
// segment's first frame, so audio and video are in sync to within how far
// apart their first packets arrived. Block timestamps strictly rise per
// track, and an audio block never starts before the previous one ends
// (see segment.write), so players and ffmpeg see monotonic timestamps.
package record

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/rtp"
)

// Errors of the recorder.
var (
	// ErrClosed means the recorder was closed.
	ErrClosed = errors.New("record: recorder closed")
	// ErrBadTrack means a track kind or codec is not supported, or the
	// kind was added twice.
	ErrBadTrack = errors.New("record: unsupported or duplicate track")
	// ErrBadConfig means a Config field is out of range.
	ErrBadConfig = errors.New("record: invalid configuration")
	// ErrWrite means writing a segment file failed (disk full, I/O error).
	ErrWrite = errors.New("record: write failed")
)

// Kind is the source of a track.
type Kind string

// The track kinds a sitting has.
const (
	KindCamera Kind = "camera"
	KindScreen Kind = "screen"
	KindAudio  Kind = "audio"
)

// Codecs, as WebRTC MIME types (webrtc.MimeTypeVP8, webrtc.MimeTypeOpus).
const (
	CodecVP8  = "video/VP8"
	CodecOpus = "audio/opus"
)

// Config tunes a Recorder. Zero fields take the defaults.
type Config struct {
	// SegmentDuration is how long a segment runs before the next keyframe
	// starts a new one (default 3 minutes; 10 s to 30 min).
	SegmentDuration time.Duration
	// KeyframeInterval is how long the recorder waits for a video keyframe
	// before asking for one, so that clusters (and so seek points) start on
	// keyframes (default 5 s).
	KeyframeInterval time.Duration
	// AudioWait is how long audio waits for a first video keyframe before
	// an audio-only segment is opened (default 3 s), so that a candidate
	// whose camera is off (rule 10.6) is still heard.
	AudioWait time.Duration
	// ReorderWindow is how many packets a track buffers to put reordered
	// packets back in sequence before declaring a gap lost (default 128).
	ReorderWindow int
	// ReorderDelay is how much media time may pile up behind a missing
	// packet before it is declared lost (default 200 ms): long enough for
	// a NACK retransmission, short enough not to stall the recording.
	ReorderDelay time.Duration
	// RequestKeyframe is called when the recorder needs a video keyframe
	// (a PLI should be sent for kind). It must return quickly. May be nil.
	RequestKeyframe func(kind Kind)
	// MaxClockDrift is how far a track's RTP clock may run from the wall
	// clock before the track is re-anchored to the wall clock (default
	// 10 s). It bounds what a sender's jumping or racing timestamps can do
	// to the recording's timeline.
	MaxClockDrift time.Duration
	// FlushInterval is how long written media may wait in memory before
	// it goes to the segment file (default 250 ms; 10 ms to 5 s). Writes
	// are buffered so that a block is not one write(2); a process killed
	// with SIGKILL loses at most the media of the last FlushInterval (plus
	// the at most 16 frames per track ebml-go's block sorter holds back),
	// and the file is fsynced at most once a second, so a power cut loses
	// at most about a second more.
	FlushInterval time.Duration
	// Logger receives the recorder's problems. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() error {
	if c.SegmentDuration == 0 {
		c.SegmentDuration = 3 * time.Minute
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = 5 * time.Second
	}
	if c.AudioWait == 0 {
		c.AudioWait = 3 * time.Second
	}
	if c.ReorderWindow == 0 {
		c.ReorderWindow = 128
	}
	if c.ReorderDelay == 0 {
		c.ReorderDelay = 200 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxClockDrift == 0 {
		c.MaxClockDrift = 10 * time.Second
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = 250 * time.Millisecond
	}
	switch {
	case c.FlushInterval < 10*time.Millisecond || c.FlushInterval > 5*time.Second:
		return fmt.Errorf("%w: FlushInterval %s: use 10ms to 5s (250ms is usual)", ErrBadConfig, c.FlushInterval)
	case c.MaxClockDrift < time.Second:
		return fmt.Errorf("%w: MaxClockDrift %s: use at least 1s", ErrBadConfig, c.MaxClockDrift)
	case c.SegmentDuration < time.Second || c.SegmentDuration > 30*time.Minute:
		return fmt.Errorf("%w: SegmentDuration %s: use 1s to 30m (a few minutes is usual)", ErrBadConfig, c.SegmentDuration)
	case c.KeyframeInterval < 500*time.Millisecond:
		return fmt.Errorf("%w: KeyframeInterval %s: use at least 500ms", ErrBadConfig, c.KeyframeInterval)
	case c.AudioWait < 0:
		return fmt.Errorf("%w: AudioWait %s must not be negative", ErrBadConfig, c.AudioWait)
	case c.ReorderDelay < 0 || c.ReorderDelay > 5*time.Second:
		return fmt.Errorf("%w: ReorderDelay %s: use 0 to 5s", ErrBadConfig, c.ReorderDelay)
	case c.ReorderWindow < 1 || c.ReorderWindow > 4096:
		return fmt.Errorf("%w: ReorderWindow %d: use 1 to 4096 packets", ErrBadConfig, c.ReorderWindow)
	}
	return nil
}

// Segment is a closed segment file.
type Segment struct {
	// Path is the file's path (dir given to New, then the file name).
	Path string
	// Kind is the series: KindCamera (camera and audio) or KindScreen.
	Kind Kind
	// Start and End are the wall-clock times of the first and last frame.
	Start, End time.Time
	// SHA256 is the lower-case hex SHA-256 of the file as closed.
	SHA256 string
	// Size is the file's length in bytes.
	Size int64
	// Video and Audio say which tracks the file has.
	Video, Audio bool
	// Frames counts the frames written, by track ("video", "audio").
	VideoFrames, AudioFrames int
}

// Recorder records one sitting. Its methods are safe for concurrent use:
// each track is normally fed by its own goroutine.
type Recorder struct {
	cfg       Config
	dir       string
	onSegment func(Segment)
	log       *slog.Logger

	mu     sync.Mutex
	closed bool
	series map[Kind]*series
	tracks map[Kind]*Track
	errs   []error

	// cbMu keeps onSegment calls in order without holding mu.
	cbMu sync.Mutex
}

// New makes a recorder writing into dir (created if missing). onSegment,
// if not nil, is called with every closed segment, in order; it runs on
// the goroutine that closed the segment (a track's writer or Close).
func New(cfg Config, dir string, onSegment func(Segment)) (*Recorder, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("record: create %s: %w", dir, err)
	}
	return &Recorder{
		cfg: cfg, dir: dir, onSegment: onSegment, log: cfg.Logger,
		series: map[Kind]*series{}, tracks: map[Kind]*Track{},
	}, nil
}

// Track receives one track's RTP packets.
type Track struct {
	r       *Recorder
	kind    Kind
	rate    int64
	ro      *reorder
	clk     clock
	anchor  time.Time // wall time of tick 0
	vp8     *vp8Assembler
	jumps   int
	pending []pendingFrame // frames completed by the current push
}

type pendingFrame struct {
	data     []byte
	keyframe bool
	wall     time.Time
	width    int
	height   int
}

// AddTrack adds a track of kind with codec (CodecVP8 for camera and
// screen, CodecOpus for audio). A track added while its series is
// recording joins at the next segment.
func (r *Recorder) AddTrack(kind Kind, codec string) (*Track, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	switch {
	case (kind == KindCamera || kind == KindScreen) && codec == CodecVP8:
	case kind == KindAudio && codec == CodecOpus:
	default:
		return nil, fmt.Errorf("%w: %s with codec %s (camera and screen take %s, audio %s)", ErrBadTrack, kind, codec, CodecVP8, CodecOpus)
	}
	if _, dup := r.tracks[kind]; dup {
		return nil, fmt.Errorf("%w: %s added twice", ErrBadTrack, kind)
	}
	t := &Track{r: r, kind: kind, rate: 90000}
	if kind == KindAudio {
		t.rate = 48000
	} else {
		t.vp8 = newVP8Assembler(t.vp8Complete)
	}
	t.ro = newReorder(r.cfg.ReorderWindow, uint32(r.cfg.ReorderDelay*time.Duration(t.rate)/time.Second), t.deliver)
	r.tracks[kind] = t
	s := r.seriesFor(kind)
	if kind == KindAudio {
		s.hasAudio = true
	} else {
		s.hasVideo = true
	}
	if s.seg != nil {
		s.rotateSoon = true
	}
	return t, nil
}

func (r *Recorder) seriesFor(kind Kind) *series {
	name := KindCamera
	if kind == KindScreen {
		name = KindScreen
	}
	s, ok := r.series[name]
	if !ok {
		s = &series{r: r, kind: name}
		r.series[name] = s
	}
	return s
}

// WriteRTP records one packet. The recorder keeps p; the caller must not
// change it afterwards (pion's ReadRTP returns a fresh packet each time).
// It returns an error only when recording this track has failed for good
// (recorder closed, disk error); lost, late and malformed packets are
// counted, not returned.
func (t *Track) WriteRTP(p *rtp.Packet) error {
	if p == nil {
		return nil
	}
	r := t.r
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	t.ro.push(p)
	s := r.seriesFor(t.kind)
	var err error
	for _, f := range t.pending {
		if e := s.frame(t.kind, f); e != nil && err == nil {
			err = e
		}
	}
	t.pending = t.pending[:0]
	wantKey := s.wantKeyframe(t.vp8)
	done := s.takeClosed()
	r.cbMu.Lock()
	r.mu.Unlock()
	r.deliver(done)
	r.cbMu.Unlock()
	if wantKey && r.cfg.RequestKeyframe != nil {
		r.cfg.RequestKeyframe(s.videoKind())
	}
	return err
}

func (r *Recorder) deliver(segs []Segment) {
	if r.onSegment == nil {
		return
	}
	for _, s := range segs {
		r.onSegment(s)
	}
}

// deliver receives packets in sequence order from the reorder buffer.
func (t *Track) deliver(p *rtp.Packet, lostBefore bool) {
	ticks := t.clk.unwrap(p.Timestamp)
	now := time.Now()
	if t.anchor.IsZero() {
		t.anchor = now
	}
	if d := t.wallAt(ticks).Sub(now); d > t.r.cfg.MaxClockDrift || d < -t.r.cfg.MaxClockDrift {
		// The sender's clock jumped or races: continue from now.
		t.anchor = now.Add(-time.Duration(ticks * int64(time.Second) / t.rate))
		t.jumps++
	}
	if t.vp8 != nil {
		t.vp8.packet(p, lostBefore)
		return
	}
	if len(p.Payload) == 0 {
		return
	}
	t.pending = append(t.pending, pendingFrame{data: p.Payload, keyframe: true, wall: t.wallAt(ticks)})
}

func (t *Track) vp8Complete(f vp8Frame) {
	ticks := t.clk.ticks // the frame's timestamp is the one just unwrapped
	if f.ts != t.clk.last {
		ticks -= int64(int32(t.clk.last - f.ts))
	}
	t.pending = append(t.pending, pendingFrame{data: f.data, keyframe: f.keyframe, wall: t.wallAt(ticks), width: f.width, height: f.height})
}

func (t *Track) wallAt(ticks int64) time.Time {
	return t.anchor.Add(time.Duration(ticks * int64(time.Second) / t.rate))
}

// Close closes every open segment (writing Cues and Duration), reports
// them to onSegment and stops the recorder. It returns the first write
// error met while recording, if any.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	for _, t := range r.tracks {
		t.ro.flush()
		s := r.seriesFor(t.kind)
		for _, f := range t.pending {
			_ = s.frame(t.kind, f)
		}
		t.pending = nil
	}
	var done []Segment
	for _, k := range []Kind{KindCamera, KindScreen} {
		if s, ok := r.series[k]; ok {
			s.closeSegment()
			done = append(done, s.takeClosed()...)
		}
	}
	errs := r.errs
	r.cbMu.Lock()
	r.mu.Unlock()
	r.deliver(done)
	r.cbMu.Unlock()
	return errors.Join(errs...)
}

// series is one sequence of segment files: camera+audio, or screen.
//
// Its decisions run on media time (the frames' wall-clock times derived
// from RTP), not on arrival time, so they do not depend on network jitter.
type series struct {
	now                time.Time // newest frame time seen
	r                  *Recorder
	kind               Kind
	hasVideo, hasAudio bool
	seg                *segment
	closed             []Segment
	rotateSoon         bool
	lastKey            time.Time // time of the last keyframe
	lastVideo          time.Time // time of the last video frame
	lastAsk            time.Time
	audioSince         time.Time // first audio frame waiting for a segment
	width, height      int
}

func (s *series) videoKind() Kind {
	if s.kind == KindScreen {
		return KindScreen
	}
	return KindCamera
}

func (s *series) takeClosed() []Segment {
	out := s.closed
	s.closed = nil
	return out
}

// wantKeyframe says whether to ask the sender for a keyframe now: when
// video is broken, the segment is due to rotate, or none came for a while.
func (s *series) wantKeyframe(a *vp8Assembler) bool {
	now := s.now
	if !s.hasVideo || now.IsZero() || now.Sub(s.lastAsk) < time.Second {
		return false
	}
	want := (a != nil && a.needKey) || s.rotateSoon ||
		(s.seg != nil && s.seg.video && now.Sub(s.seg.start) >= s.r.cfg.SegmentDuration-s.r.cfg.KeyframeInterval/2) ||
		(!s.lastKey.IsZero() && now.Sub(s.lastKey) >= s.r.cfg.KeyframeInterval) ||
		(s.lastKey.IsZero() && !s.lastVideo.IsZero())
	if want {
		s.lastAsk = now
	}
	return want
}

func (s *series) frame(kind Kind, f pendingFrame) error {
	cfg := s.r.cfg
	if f.wall.After(s.now) {
		s.now = f.wall
	}
	now := f.wall
	if kind != KindAudio {
		s.lastVideo = now
		if f.keyframe {
			s.lastKey = now
			due := s.seg == nil || !s.seg.video || s.rotateSoon || f.width != s.width || f.height != s.height ||
				now.Sub(s.seg.start) >= cfg.SegmentDuration
			if due {
				s.width, s.height = f.width, f.height
				s.closeSegment()
				if err := s.open(f.wall, true); err != nil {
					return err
				}
			}
		}
		if s.seg == nil || !s.seg.video {
			return nil // waiting for a keyframe
		}
		return s.seg.write(false, f)
	}
	if s.seg == nil {
		if s.audioSince.IsZero() {
			s.audioSince = now
		}
		if s.hasVideo && now.Sub(s.audioSince) < cfg.AudioWait {
			return nil // give the camera a moment to send a keyframe
		}
		if err := s.open(f.wall, false); err != nil {
			return err
		}
	} else if now.Sub(s.seg.start) >= cfg.SegmentDuration && (!s.seg.video || now.Sub(s.lastVideo) > 2*time.Second) {
		// No live video to cut on: cut on audio.
		s.closeSegment()
		if err := s.open(f.wall, false); err != nil {
			return err
		}
	}
	if !s.seg.audio {
		return nil // joins at the next segment
	}
	return s.seg.write(true, f)
}

func (s *series) open(start time.Time, video bool) error {
	s.rotateSoon = false
	s.audioSince = time.Time{}
	seg, err := openSegment(s.r.dir, s.kind, start, video, s.hasAudio && s.kind == KindCamera, s.width, s.height, s.r.cfg)
	if err != nil {
		s.r.errs = append(s.r.errs, err)
		s.r.log.Error("recording segment not opened", "series", s.kind, "err", err)
		return err
	}
	s.seg = seg
	return nil
}

func (s *series) closeSegment() {
	if s.seg == nil {
		return
	}
	if n := s.seg.overlaps; n > 0 {
		s.r.log.Warn("recording: audio packets dropped, they started before the previous one ended (a repeated timestamp or the sender's clock stepping back)",
			"series", s.kind, "dropped", n)
	}
	seg, err := s.seg.close()
	s.seg = nil
	if err != nil {
		s.r.errs = append(s.r.errs, err)
		s.r.log.Error("recording segment not closed cleanly", "series", s.kind, "err", err)
	}
	if seg.Path != "" {
		s.closed = append(s.closed, seg)
	}
}

// segment is one open WebM file.
type segment struct {
	path         string
	kind         Kind
	file         *stickyFile
	start        time.Time // wall time of the first frame = 0 ms
	end          time.Time
	video, audio bool
	vw, aw       webm.BlockWriteCloser
	lastV        int64 // timestamp (ms) of the last video block
	endA         int64 // where the last audio block ends (ms)
	nV, nA       int
	overlaps     int // audio blocks dropped for starting inside the previous one
}

const (
	audioTrack = 1 // audio first, as ebml-go's block sorter recommends
	videoTrack = 2
)

func openSegment(dir string, kind Kind, start time.Time, video, audio bool, w, h int, cfg Config) (*segment, error) {
	name := fmt.Sprintf("%s-%s.webm", kind, start.UTC().Format("20060102T150405.000Z"))
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, os.ErrExist) {
		path = filepath.Join(dir, fmt.Sprintf("%s-%s-%d.webm", kind, start.UTC().Format("20060102T150405.000Z"), time.Now().UnixNano()))
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: create %s: %w", ErrWrite, path, err)
	}
	sf := newStickyFile(f, cfg.FlushInterval)
	var tracks []webm.TrackEntry
	if audio {
		tracks = append(tracks, webm.TrackEntry{
			Name: "audio", TrackNumber: audioTrack, TrackUID: audioTrack, CodecID: "A_OPUS", TrackType: 2,
			CodecPrivate: opusHead(), CodecDelay: 6500000, SeekPreRoll: 80000000,
			Audio: &webm.Audio{SamplingFrequency: 48000, Channels: 2},
		})
	}
	if video {
		tracks = append(tracks, webm.TrackEntry{
			Name: string(kind), TrackNumber: videoTrack, TrackUID: videoTrack, CodecID: "V_VP8", TrackType: 1,
			Video: &webm.Video{PixelWidth: uint64(w), PixelHeight: uint64(h)},
		})
	}
	main := uint64(videoTrack)
	minC, maxC := int64(1000), int64(10000)
	if !video {
		main, minC, maxC = audioTrack, 5000, 5000
	}
	// Room for one cue per second of segment; ebml-go thins them if not.
	reserve := 4096 + int(cfg.SegmentDuration/time.Second)*24
	ws, err := webm.NewSimpleBlockWriter(sf, tracks,
		mkvcore.WithSegmentInfo(&webm.Info{TimecodeScale: 1000000, MuxingApp: "kuzet", WritingApp: "kuzet-server", DateUTC: start.UTC()}),
		mkvcore.WithSeekHead(true),
		mkvcore.WithCues(reserve),
		mkvcore.WithMinMaxClusterDuration(main, minC, maxC),
		mkvcore.WithOnFatalHandler(sf.fail),
		mkvcore.WithOnErrorHandler(func(error) {}),
	)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("%w: start %s: %w", ErrWrite, path, err)
	}
	seg := &segment{path: path, kind: kind, file: sf, start: start, end: start, video: video, audio: audio, lastV: -1}
	i := 0
	if audio {
		seg.aw = ws[i]
		i++
	}
	if video {
		seg.vw = ws[i]
	}
	return seg, nil
}

func (g *segment) write(audio bool, f pendingFrame) error {
	if err := g.file.error(); err != nil {
		return err
	}
	ms := f.wall.Sub(g.start).Milliseconds()
	if ms < 0 {
		return nil // from before this segment (a packet that raced the cut)
	}
	if audio {
		// An audio block must not start before the previous one ends: a
		// decoder plays samples, not timestamps, and a block that starts
		// inside its predecessor (the same timestamp twice, a sender's
		// clock stepping back, RTP timestamps closer than the packets'
		// durations) puts the audio's timestamps out of order in every
		// player (ffmpeg: "non monotonically increasing dts"). Such a
		// block repeats media already written, or sits where the timeline
		// already has audio, so it is dropped and counted.
		if ms < g.endA {
			g.overlaps++
			return nil
		}
		g.endA = ms + opusDurationMs(f.data)
		g.nA++
		_, _ = g.aw.Write(true, ms, f.data)
	} else {
		// Video frames are never dropped here (the next ones are coded
		// against them): one that would not advance the timeline is put
		// 1 ms after its predecessor, so block timestamps strictly rise.
		if ms <= g.lastV {
			ms = g.lastV + 1
		}
		g.lastV = ms
		g.nV++
		_, _ = g.vw.Write(f.keyframe, ms, f.data)
	}
	if f.wall.After(g.end) {
		g.end = f.wall
	}
	return nil
}

// close finishes the file (ebml-go writes Cues and Duration and closes it)
// and hashes it.
func (g *segment) close() (Segment, error) {
	// ebml-go finalises when the last track writer is closed.
	if g.aw != nil {
		g.aw.Close()
	}
	if g.vw != nil {
		g.vw.Close()
	}
	seg := Segment{Path: g.path, Kind: g.kind, Start: g.start, End: g.end, Video: g.video, Audio: g.audio, VideoFrames: g.nV, AudioFrames: g.nA}
	if err := g.file.error(); err != nil {
		return seg, err
	}
	f, err := os.Open(g.path)
	if err != nil {
		return seg, fmt.Errorf("%w: reopen %s: %w", ErrWrite, g.path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return seg, fmt.Errorf("%w: hash %s: %w", ErrWrite, g.path, err)
	}
	seg.SHA256, seg.Size = hex.EncodeToString(h.Sum(nil)), n
	return seg, nil
}

// stickyFile never returns an error to ebml-go, whose writer goroutine
// would otherwise stop and leave later writes blocked; it keeps the first
// error for the recorder to report.
//
// It buffers: ebml-go writes each block as several small pieces, which
// unbuffered were several write(2) calls per RTP packet. What is buffered
// goes to the file at most flushEvery after it was written (a timer armed
// by the first write into an empty buffer), before any WriteAt (ebml-go's
// Cues and Duration, written at the end) and on Close; the flush fsyncs
// the file when the last fsync is a second old.
type stickyFile struct {
	mu         sync.Mutex
	f          *os.File
	w          *bufio.Writer
	flushEvery time.Duration
	timer      *time.Timer // pending flush, nil when the buffer is empty
	lastSync   time.Time
	closed     bool
	err        error
}

func newStickyFile(f *os.File, flushEvery time.Duration) *stickyFile {
	return &stickyFile{f: f, w: bufio.NewWriterSize(f, 64<<10), flushEvery: flushEvery, lastSync: time.Now()}
}

func (s *stickyFile) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(err)
}

func (s *stickyFile) failLocked(err error) {
	if s.err == nil {
		s.err = fmt.Errorf("%w: %s: %w", ErrWrite, s.f.Name(), err)
	}
}

func (s *stickyFile) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *stickyFile) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil || s.closed {
		return len(p), nil
	}
	if _, err := s.w.Write(p); err != nil {
		s.failLocked(err)
		return len(p), nil
	}
	if s.timer == nil && s.w.Buffered() > 0 {
		s.timer = time.AfterFunc(s.flushEvery, s.timedFlush)
	}
	return len(p), nil
}

func (s *stickyFile) WriteAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	if s.err == nil && !s.closed {
		if _, err := s.f.WriteAt(p, off); err != nil {
			s.failLocked(err)
		}
	}
	return len(p), nil
}

// timedFlush runs on the timer's goroutine.
func (s *stickyFile) timedFlush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	s.flushLocked()
	if now := time.Now(); s.err == nil && !s.closed && now.Sub(s.lastSync) >= time.Second {
		// Bound what a power cut can take.
		s.lastSync = now
		if err := s.f.Sync(); err != nil {
			s.failLocked(fmt.Errorf("sync: %w", err))
		}
	}
}

func (s *stickyFile) flushLocked() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.err == nil && !s.closed && s.w.Buffered() > 0 {
		if err := s.w.Flush(); err != nil {
			s.failLocked(err)
		}
	}
}

func (s *stickyFile) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.flushLocked()
	if s.err == nil {
		if err := s.f.Sync(); err != nil {
			s.failLocked(fmt.Errorf("sync: %w", err))
		}
	}
	s.closed = true
	if err := s.f.Close(); err != nil {
		s.failLocked(fmt.Errorf("close: %w", err))
	}
	return nil
}

// opusHead is the Opus identification header WebM's CodecPrivate holds
// (RFC 7845 §5.1): version 1, 2 channels, 312 samples pre-skip, 48 kHz.
func opusHead() []byte {
	return []byte{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0}
}

// opusDurationMs is how long an Opus packet plays, in whole milliseconds
// rounded up, from its TOC byte (RFC 6716 §3.1): the frame size its
// configuration gives times the number of frames its code gives. An
// unreadable packet counts as 20 ms, WebRTC's usual packet.
func opusDurationMs(b []byte) int64 {
	if len(b) == 0 {
		return 20
	}
	cfg := b[0] >> 3
	var samples int64 // per frame, at 48 kHz
	switch {
	case cfg < 12: // SILK-only: 10, 20, 40, 60 ms
		samples = [4]int64{480, 960, 1920, 2880}[cfg%4]
	case cfg < 16: // hybrid: 10, 20 ms
		samples = [2]int64{480, 960}[cfg%2]
	default: // CELT-only: 2.5, 5, 10, 20 ms
		samples = [4]int64{120, 240, 480, 960}[cfg%4]
	}
	frames := int64(1)
	switch b[0] & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(b) < 2 {
			return 20
		}
		frames = int64(b[1] & 0x3f)
	}
	return (samples*frames + 47) / 48
}
