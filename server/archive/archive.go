// Package archive keeps what each sitting's agent publishes: a recorder
// (WebM segments, server/record) per publishing session, fed from the SFU's
// tap, and one audit-log entry per closed segment carrying its hash, so the
// recordings are covered by the log like everything else.
//
// Recording never holds up forwarding: the SFU's tap only puts a copy of
// the packet on the sitting's queue (QueuePackets long) and a goroutine per
// sitting feeds the recorder. When the disk falls so far behind that the
// queue is full, the packet is not recorded — dropped, counted (Stats) and
// logged at most every 10 s per sitting — and the recorder treats it as
// network loss: the video waits for the next keyframe, which it asks for.
package archive

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
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
	// QueuePackets is how many packets per sitting may wait for the
	// recorder (default 512, about 5 s of a sitting's camera, screen and
	// microphone); past that packets are dropped from the recording.
	QueuePackets int
}

// Stats counts what the archive did not record.
type Stats struct {
	// Dropped is how many packets were not recorded because their
	// sitting's queue was full (the disk was slower than the media).
	Dropped uint64
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
	dropped  atomic.Uint64
	// writeRTP feeds a recorder: (*record.Track).WriteRTP, or a test's
	// stand-in for a slow disk.
	writeRTP func(*record.Track, *rtp.Packet) error
}

type session struct {
	rec    *record.Recorder
	tracks map[string]*record.Track
	queue  chan tapped   // closed under Archive.mu when the session goes
	done   chan struct{} // closed when the feeding goroutine has returned
	// dropped and loggedAt (unix ns) are touched under Archive.mu.
	dropped  uint64
	loggedAt int64
}

// tapped is a packet waiting for its recorder.
type tapped struct {
	t *record.Track
	p rtp.Packet
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
	if cfg.QueuePackets <= 0 {
		cfg.QueuePackets = 512
	}
	a := &Archive{cfg: cfg, log: cfg.Logger, recs: map[protocol.SittingID]*session{}, segments: make(chan segment, 256),
		writeRTP: (*record.Track).WriteRTP}
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
// goroutine and never waits for the disk: it queues a copy of the packet
// for the sitting's recorder, or drops it from the recording when the
// queue is full.
func (a *Archive) Tap(id protocol.SittingID, track string, p *rtp.Packet) {
	k, ok := kinds[track]
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, t, err := a.track(id, track, k.kind, k.codec)
	if err != nil {
		a.log.Warn("recording not started", "sitting", id, "track", track, "err", err)
		return
	}
	if t == nil {
		return
	}
	// A copy: the SFU rewrites its packet's header after the tap (the
	// payload it leaves alone), and the recorder keeps what it is given.
	select {
	case s.queue <- tapped{t, *p}:
	default:
		a.dropped.Add(1)
		s.dropped++
		if now := time.Now().UnixNano(); now-s.loggedAt >= int64(10*time.Second) {
			s.loggedAt = now
			a.log.Warn("recording falls behind: packets dropped from the recording, not from the stream",
				"sitting", id, "track", track, "dropped", s.dropped, "queue", cap(s.queue))
		}
	}
}

// Stats returns the counts since New.
func (a *Archive) Stats() Stats { return Stats{Dropped: a.dropped.Load()} }

// feed writes a sitting's queued packets to its recorder until the queue
// is closed.
func (a *Archive) feed(id protocol.SittingID, s *session) {
	defer a.wg.Done()
	defer close(s.done)
	for q := range s.queue {
		if err := a.writeRTP(q.t, &q.p); err != nil {
			a.log.Debug("record packet", "sitting", id, "err", err)
		}
	}
}

// track finds or makes the sitting's session and track; a.mu is held.
func (a *Archive) track(id protocol.SittingID, name string, kind record.Kind, codec string) (*session, *record.Track, error) {
	if a.closed {
		return nil, nil, nil
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
			return nil, nil, err
		}
		s = &session{rec: rec, tracks: map[string]*record.Track{}, queue: make(chan tapped, a.cfg.QueuePackets), done: make(chan struct{})}
		a.recs[id] = s
		a.wg.Add(1)
		go a.feed(id, s)
	}
	t := s.tracks[name]
	if t == nil {
		var err error
		if t, err = s.rec.AddTrack(kind, codec); err != nil {
			return nil, nil, err
		}
		s.tracks[name] = t
	}
	return s, t, nil
}

// end stops feeding a session that was taken out of a.recs: what is
// queued is written, then the recorder is closed (its last segments are
// logged).
func (a *Archive) end(id protocol.SittingID, s *session) {
	<-s.done
	if err := s.rec.Close(); err != nil {
		a.log.Warn("close recorder", "sitting", id, "err", err)
	}
}

// Stop closes the sitting's recorder (its publisher left); the next
// publisher starts new segments.
func (a *Archive) Stop(id protocol.SittingID) {
	a.mu.Lock()
	s := a.recs[id]
	delete(a.recs, id)
	if s != nil {
		close(s.queue)
	}
	a.mu.Unlock()
	if s != nil {
		a.end(id, s)
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
	for _, s := range recs {
		close(s.queue)
	}
	a.mu.Unlock()
	for id, s := range recs {
		a.end(id, s)
	}
	close(a.segments)
	a.wg.Wait()
	if n := a.dropped.Load(); n > 0 {
		a.log.Warn("recording fell behind the media: packets dropped from recordings in all", "dropped", n)
	}
}
