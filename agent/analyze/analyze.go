// Package analyze implements `kuzet-agent analyze`: it runs the agent's own
// camera analysis (agent/vision) and, on request, its room-scan measurement
// (agent/roomscan) on recorded material — JPEG or PNG images, a directory
// of frames, or a Y4M video — and prints per-frame observations and the
// events the exam policy would raise. Support staff and auditors use it to
// re-check evidence; tests use it too.
//
// Damaged input is never reported as fine: every file or frame that cannot
// be read gets its own error line and the exit code is non-zero.
package analyze

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for the frames analyze reads
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/roomscan"
	"kuzet.kz/kuzet/agent/vision"
	"kuzet.kz/kuzet/agent/y4m"
)

// Exit codes of RunCommand.
const (
	ExitOK    = 0 // every input analysed
	ExitFail  = 1 // an input or frame could not be analysed
	ExitUsage = 2 // bad arguments
)

// Errors of the input readers.
var (
	// ErrUnknownFormat means a file is neither JPEG, PNG nor Y4M.
	ErrUnknownFormat = errors.New("not a JPEG, PNG or Y4M file")
	// ErrImageTooLarge means an image's header announces more pixels than
	// analyze accepts (a decompression bomb or a mistake).
	ErrImageTooLarge = errors.New("image too large")
	// ErrNoFrames means a directory holds no JPEG or PNG files.
	ErrNoFrames = errors.New("no JPEG or PNG frames in the directory")
)

// MaxImagePixels bounds the size of an image file analyze decodes.
const MaxImagePixels = 50_000_000

// Options are the command's settings.
type Options struct {
	// Vision configures the analysis and policy.
	Vision vision.Config
	// RoomScan configures the room scan; used when Scan is set.
	RoomScan roomscan.Config
	// Scan runs the room-scan measurement over each input.
	Scan bool
	// FPS is the frame rate of a directory of frames (one frame every
	// 1/FPS seconds).
	FPS float64
	// AnalysisFPS is the rate at which video frames are analysed (the
	// agent analyses about 5 frames per second).
	AnalysisFPS float64
}

// Frame is the analysis of one frame.
type Frame struct {
	// Index counts the input's frames from 0 (all frames, analysed or not).
	Index int `json:"index"`
	// File names the frame's file for images and directories.
	File string `json:"file,omitempty"`
	// Seconds is the frame's time from the input's start.
	Seconds float64 `json:"seconds"`
	// Observation is what the analysis measured; nil when Error is set.
	Observation *vision.Observation `json:"observation,omitempty"`
	// Error says why the frame could not be analysed.
	Error string `json:"error,omitempty"`
}

// Evidence describes an evidence file an event would carry.
type Evidence struct {
	Kind   string `json:"kind"`
	MIME   string `json:"mime"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

// Event is a transition the policy raised, with its text.
type Event struct {
	Seconds  float64           `json:"seconds"`
	Rule     string            `json:"rule"`
	Kind     string            `json:"kind"`
	Subject  string            `json:"subject"`
	Severity string            `json:"severity"`
	Key      string            `json:"key"`
	Args     map[string]string `json:"args,omitempty"`
	Text     string            `json:"text"`
	Evidence []Evidence        `json:"evidence,omitempty"`
}

// Input is the report on one INPUT argument.
type Input struct {
	// Path is the argument as given.
	Path string `json:"input"`
	// Kind is "image", "directory" or "y4m".
	Kind string `json:"kind"`
	// Frames are the frames analysed (and the ones that failed).
	Frames []Frame `json:"frames"`
	// Events are the transitions the policy raised, in time order.
	Events []Event `json:"events"`
	// Open lists the subjects of spans still open after the last frame.
	Open []string `json:"open,omitempty"`
	// RoomScan is the room-scan result, with --room-scan.
	RoomScan *roomscan.Result `json:"room_scan,omitempty"`
	// RoomScanEvent is the room-scan result as an event.
	RoomScanEvent *Event `json:"room_scan_event,omitempty"`
	// Error says why the input could not be (completely) analysed.
	Error string `json:"error,omitempty"`
	// Failed counts frames and files that could not be analysed.
	Failed int `json:"failed"`
}

// OK reports whether the input was analysed completely.
func (in *Input) OK() bool { return in.Error == "" && in.Failed == 0 }

// rawFrame is a frame as a source yields it.
type rawFrame struct {
	img  image.Image
	file string        // the frame's file, or ""
	at   time.Duration // time from the input's start
	// stop, with an error, says the source cannot go on (a damaged video
	// stream cannot be resynchronised); a damaged file in a directory does
	// not stop the others.
	stop bool
}

// source yields frames of one input.
type source interface {
	// next returns the next frame or io.EOF after the last.
	next() (rawFrame, error)
	// analyse reports whether frame i is to be analysed (video is thinned
	// to the analysis rate).
	analyse(i int) bool
	close() error
}

// openInput opens path as a directory, an image or a Y4M video.
func openInput(path string, opt Options) (source, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("open input: %w", err)
	}
	if st.IsDir() {
		ds, err := openDir(path, opt.FPS)
		return ds, "directory", err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("open input: %w", err)
	}
	br := bufio.NewReader(f)
	head, _ := br.Peek(10)
	if bytes.HasPrefix(head, []byte("YUV4MPEG2")) {
		r, err := y4m.NewReader(br)
		if err != nil {
			f.Close()
			return nil, "", err
		}
		fps := r.Header().FrameRate.Float()
		step := 1
		if opt.AnalysisFPS > 0 && fps > opt.AnalysisFPS {
			step = int(fps/opt.AnalysisFPS + 0.5)
		}
		return &videoSource{f: f, r: r, fps: fps, step: step}, "y4m", nil
	}
	f.Close()
	return &filesSource{files: []string{path}, fps: opt.FPS}, "image", nil
}

type videoSource struct {
	f    *os.File
	r    *y4m.Reader
	fps  float64
	step int
	i    int
}

func (v *videoSource) next() (rawFrame, error) {
	f := rawFrame{at: time.Duration(float64(v.i) / v.fps * float64(time.Second)), stop: true}
	img, err := v.r.Next()
	if err != nil {
		return f, err
	}
	v.i++
	f.img = img
	return f, nil
}
func (v *videoSource) analyse(i int) bool { return i%v.step == 0 }
func (v *videoSource) close() error       { return v.f.Close() }

type filesSource struct {
	files []string
	fps   float64
	i     int
}

func openDir(dir string, fps float64) (*filesSource, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	var files []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(files) == 0 {
		return nil, ErrNoFrames
	}
	sort.Strings(files)
	return &filesSource{files: files, fps: fps}, nil
}

func (s *filesSource) next() (rawFrame, error) {
	if s.i >= len(s.files) {
		return rawFrame{}, io.EOF
	}
	f := rawFrame{file: s.files[s.i], at: time.Duration(float64(s.i) / s.fps * float64(time.Second))}
	s.i++
	img, err := decodeImage(f.file)
	f.img = img
	return f, err
}
func (s *filesSource) analyse(int) bool { return true }
func (s *filesSource) close() error     { return nil }

// decodeImage reads a JPEG or PNG file, checking its announced size first.
func decodeImage(name string) (image.Image, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, ErrUnknownFormat
		}
		return nil, fmt.Errorf("damaged image header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, fmt.Errorf("%w: %s of %dx%d (at most %d pixels)", ErrImageTooLarge, format, cfg.Width, cfg.Height, MaxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("damaged %s image: %w", format, err)
	}
	return img, nil
}

// Run analyses one input: every frame through the analyser and the policy,
// and with opt.Scan through a room scan. texts turns a transition into its
// text. The returned Input records every failure; err is set only when ctx
// ends.
func Run(ctx context.Context, path string, opt Options, texts func(finding.Transition) string) (*Input, error) {
	in := &Input{Path: path, Frames: []Frame{}, Events: []Event{}}
	src, kind, err := openInput(path, opt)
	in.Kind = kind
	if err != nil {
		in.Error = err.Error()
		return in, nil
	}
	defer src.close()
	an, err := vision.NewAnalyzer(opt.Vision)
	if err != nil {
		in.Error = err.Error()
		return in, nil
	}
	w := vision.NewWatcher(opt.Vision)
	var scan *roomscan.Scan
	if opt.Scan {
		if scan, err = roomscan.NewScan(opt.RoomScan); err != nil {
			in.Error = err.Error()
			return in, nil
		}
	}
	// Times are relative to a fixed origin so reports are reproducible.
	origin := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var last time.Duration
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return in, fmt.Errorf("analyse %s: %w", path, err)
		}
		raw, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		img, at := raw.img, raw.at
		fr := Frame{Index: i, File: raw.file, Seconds: at.Seconds()}
		if err != nil {
			fr.Error = err.Error()
			in.Frames = append(in.Frames, fr)
			in.Failed++
			if raw.stop {
				break
			}
			continue
		}
		if !src.analyse(i) {
			continue
		}
		obs, err := an.Analyze(img)
		if err != nil {
			fr.Error = err.Error()
			in.Frames = append(in.Frames, fr)
			in.Failed++
			continue
		}
		fr.Observation = &obs
		in.Frames = append(in.Frames, fr)
		last = at
		for _, t := range w.Update(origin.Add(at), img, obs) {
			in.Events = append(in.Events, event(t, origin, texts))
		}
		if scan != nil {
			if _, err := scan.Add(origin.Add(at), img); err != nil {
				in.Failed++
			}
		}
	}
	in.Open = w.Open()
	if scan != nil {
		r := scan.Finish(origin.Add(last))
		in.RoomScan = &r
		e := event(r.Transition(), origin, texts)
		in.RoomScanEvent = &e
	}
	return in, nil
}

func event(t finding.Transition, origin time.Time, texts func(finding.Transition) string) Event {
	e := Event{
		Seconds: t.At.Sub(origin).Seconds(), Rule: string(t.Rule), Kind: string(t.Kind), Subject: t.Subject,
		Severity: string(t.Severity), Key: string(t.Key), Args: t.Args, Text: texts(t),
	}
	for _, ev := range t.Evidence {
		sum := sha256.Sum256(ev.Data)
		e.Evidence = append(e.Evidence, Evidence{Kind: string(ev.Kind), MIME: ev.MIME, SHA256: hex.EncodeToString(sum[:]), Size: len(ev.Data)})
	}
	return e
}
