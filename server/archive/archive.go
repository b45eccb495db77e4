// Package archive keeps what each sitting's agent publishes: a recorder
// (WebM segments, server/record) per publishing session, fed from the SFU's
// tap, and one audit-log entry per closed segment carrying its hash, so the
// recordings are covered by the log like everything else.
package archive

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/pion/rtp"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/record"
)

// Log is the audit log's append.
type Log interface {
	Append(ctx context.Context, e audit.Entry, also audit.AlsoFunc) (int64, error)
}

// Config wires an Archive.
type Config struct {
	// DataDir is the server's data directory; recordings go under
	// DataDir/recordings/<sitting>.
	DataDir string
	Log     Log
	Logger  *slog.Logger
	// RequestKeyframe asks the sitting's agent for a keyframe.
	RequestKeyframe func(protocol.SittingID)
	// Record tunes the recorders (segment length…); zero is the default.
	Record record.Config
}

// Archive records every sitting.
type Archive struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	recs   map[protocol.SittingID]*session
	closed bool

	segments chan segment
	wg       sync.WaitGroup
}

type session struct {
	rec    *record.Recorder
	tracks map[string]*record.Track
}

type segment struct {
	sitting protocol.SittingID
	seg     record.Segment
}

// New starts the archive's logging goroutine.
func New(cfg Config) *Archive {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Archive{cfg: cfg, log: cfg.Logger, recs: map[protocol.SittingID]*session{}, segments: make(chan segment, 256)}
	a.wg.Add(1)
	go a.logSegments()
	return a
}

// kinds maps the SFU's track names to recorded series; the grid's small
// camera is not recorded (the full camera is).
var kinds = map[string]struct {
	kind  record.Kind
	codec string
}{
	"camera":     {record.KindCamera, record.CodecVP8},
	"screen":     {record.KindScreen, record.CodecVP8},
	"microphone": {record.KindAudio, record.CodecOpus},
}

// Tap records one forwarded packet. It is called on the SFU's forwarding
// goroutine and does not block on the disk beyond the recorder's writes.
func (a *Archive) Tap(id protocol.SittingID, track string, p *rtp.Packet) {
	k, ok := kinds[track]
	if !ok {
		return
	}
	t, err := a.track(id, track, k.kind, k.codec)
	if err != nil {
		a.log.Warn("recording not started", "sitting", id, "track", track, "err", err)
		return
	}
	if t == nil {
		return
	}
	cp := *p // the SFU rewrites its packet after the tap; the recorder keeps this one
	if err := t.WriteRTP(&cp); err != nil {
		a.log.Debug("record packet", "sitting", id, "track", track, "err", err)
	}
}

func (a *Archive) track(id protocol.SittingID, name string, kind record.Kind, codec string) (*record.Track, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, nil
	}
	s := a.recs[id]
	if s == nil {
		cfg := a.cfg.Record
		cfg.Logger = a.log.With("sitting", id)
		cfg.RequestKeyframe = func(record.Kind) {
			if a.cfg.RequestKeyframe != nil {
				go a.cfg.RequestKeyframe(id)
			}
		}
		rec, err := record.New(cfg, filepath.Join(a.cfg.DataDir, "recordings", string(id)), func(seg record.Segment) {
			// Blocking: a segment's log entry is never dropped. The
			// logger drains at disk speed, far above segment rates.
			a.segments <- segment{id, seg}
		})
		if err != nil {
			return nil, err
		}
		s = &session{rec: rec, tracks: map[string]*record.Track{}}
		a.recs[id] = s
	}
	t := s.tracks[name]
	if t == nil {
		var err error
		if t, err = s.rec.AddTrack(kind, codec); err != nil {
			return nil, err
		}
		s.tracks[name] = t
	}
	return t, nil
}

// Stop closes the sitting's recorder (its publisher left); the next
// publisher starts new segments.
func (a *Archive) Stop(id protocol.SittingID) {
	a.mu.Lock()
	s := a.recs[id]
	delete(a.recs, id)
	a.mu.Unlock()
	if s != nil {
		if err := s.rec.Close(); err != nil {
			a.log.Warn("close recorder", "sitting", id, "err", err)
		}
	}
}

func (a *Archive) logSegments() {
	defer a.wg.Done()
	for s := range a.segments {
		ref, err := audit.RelFileRef(a.cfg.DataDir, s.seg.Path, s.seg.SHA256, s.seg.Size)
		if err != nil {
			a.log.Error("recording segment", "sitting", s.sitting, "err", err)
			continue
		}
		data, _ := json.Marshal(audit.RecordingData{Kind: string(s.seg.Kind), Start: s.seg.Start.UTC(), End: s.seg.End.UTC(), Video: s.seg.Video,
			Audio: s.seg.Audio, VideoFrames: s.seg.VideoFrames, AudioFrames: s.seg.AudioFrames})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = a.cfg.Log.Append(ctx, audit.Entry{Time: s.seg.End, Kind: audit.KindRecording, Sitting: string(s.sitting), Actor: "system",
			Data: data, Files: []audit.FileRef{ref}}, nil)
		cancel()
		if err != nil {
			a.log.Error("log recording segment", "sitting", s.sitting, "path", ref.Path, "err", err)
		}
	}
}

// Close closes every recorder (their segments are logged) and waits.
func (a *Archive) Close() {
	a.mu.Lock()
	a.closed = true
	recs := a.recs
	a.recs = map[protocol.SittingID]*session{}
	a.mu.Unlock()
	for id, s := range recs {
		if err := s.rec.Close(); err != nil {
			a.log.Warn("close recorder", "sitting", id, "err", err)
		}
	}
	close(a.segments)
	a.wg.Wait()
}
