package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/rtp"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("could not check: ffmpeg not installed (%s missing; Debian package ffmpeg, which scripts/lib.sh installs): recordings need a real decoder", tool)
		}
	}
}

func ffprobe(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", append([]string{"-v", "error"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func ffprobeFloat(t *testing.T, args ...string) float64 {
	t.Helper()
	s := ffprobe(t, args...)
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.Split(s, "\n")[0]), 64)
	if err != nil {
		t.Fatalf("ffprobe %v printed %q", args, s)
	}
	return f
}

// decodeClean decodes every frame of file with ffmpeg and fails on any
// error message.
func decodeClean(t *testing.T, file string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "warning", "-i", file, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg decode of %s: %v\n%s", filepath.Base(file), err, out)
	}
}

// feed sends dur of camera video and audio, interleaved in media order,
// through the recorder. mangle may drop or reorder video packets.
func feed(t *testing.T, src *source, cam, mic *Track, dur time.Duration, mangle func(i int, ps []*rtp.Packet) []*rtp.Packet) {
	t.Helper()
	feedMangled(t, src, cam, mic, dur, mangle, nil)
}

// feedMangled is feed with a mangler for each track (either may be nil);
// each is given its own track's packets and their count so far.
func feedMangled(t *testing.T, src *source, cam, mic *Track, dur time.Duration, video, audio func(i int, ps []*rtp.Packet) []*rtp.Packet) {
	t.Helper()
	vEvery := time.Second / time.Duration(src.fps)
	aEvery := 20 * time.Millisecond
	var vt, at time.Duration
	vi, ai := 0, 0
	for vt < dur || at < dur {
		var ps []*rtp.Packet
		var tr *Track
		if vt <= at {
			ps, tr = src.video(t), cam
			vt += vEvery
			if video != nil {
				ps = video(vi, ps)
			}
			vi++
		} else {
			ps, tr = src.audio(t), mic
			at += aEvery
			if audio != nil {
				ps = audio(ai, ps)
			}
			ai++
		}
		for _, p := range ps {
			if err := tr.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// cameraRecorder makes a recorder of 8 s segments with a camera (a
// 320x240 15 fps source that answers its keyframe requests) and a
// microphone; closed returns the segments closed so far.
func cameraRecorder(t *testing.T) (rec *Recorder, src *source, cam, mic *Track, closed func() []Segment) {
	t.Helper()
	var mu sync.Mutex
	var segs []Segment
	rec, err := New(Config{SegmentDuration: 8 * time.Second, KeyframeInterval: 2 * time.Second, MaxClockDrift: time.Minute, RequestKeyframe: func(k Kind) { src.requestKeyframe(k) }},
		t.TempDir(), func(s Segment) { mu.Lock(); segs = append(segs, s); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	src = newSource(t, 320, 240, 15)
	if cam, err = rec.AddTrack(KindCamera, CodecVP8); err != nil {
		t.Fatal(err)
	}
	if mic, err = rec.AddTrack(KindAudio, CodecOpus); err != nil {
		t.Fatal(err)
	}
	return rec, src, cam, mic, func() []Segment {
		mu.Lock()
		defer mu.Unlock()
		return append([]Segment(nil), segs...)
	}
}

type webmFile struct {
	Header  webm.EBMLHeader `ebml:"EBML"`
	Segment webm.Segment    `ebml:"Segment"`
}

func TestRecordSegmentsPlayAndSeek(t *testing.T) {
	needFFmpeg(t)
	rec, src, cam, mic, closed := cameraRecorder(t)
	var held *rtp.Packet
	feed(t, src, cam, mic, 20*time.Second, func(i int, ps []*rtp.Packet) []*rtp.Packet {
		switch {
		case i == 100 && len(ps) > 0:
			// Reordering: hold this frame's first packet back one frame.
			held, ps = ps[0], ps[1:]
		case i == 101 && held != nil:
			ps = append(ps, held)
		case i == 170 && len(ps) > 0:
			ps = ps[1:] // loss: the recorder must drop until a keyframe and ask for one
		}
		return ps
	})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	segs := closed()
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3 of about 8, 8 and 4 s: %+v", len(segs), segs)
	}
	if src.keyReqs == 0 || src.keys < 4 {
		t.Fatalf("keyframe requests %d, keyframes %d: the recorder should have asked for one per segment, per interval and after the loss", src.keyReqs, src.keys)
	}
	var total int
	for i, s := range segs {
		b, err := os.ReadFile(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != s.SHA256 || int64(len(b)) != s.Size {
			t.Fatalf("segment %d: hash/size in Segment do not match the file", i)
		}
		if !s.Video || !s.Audio || s.Kind != KindCamera || !s.End.After(s.Start) {
			t.Fatalf("segment %d: %+v", i, s)
		}
		decodeClean(t, s.Path)

		// Cues and Duration are in the file (read back with ebml-go).
		var f webmFile
		if err := ebml.Unmarshal(bytes.NewReader(b), &f); err != nil {
			t.Fatalf("segment %d: parse: %v", i, err)
		}
		if f.Segment.Cues == nil || len(f.Segment.Cues.CuePoint) < 2 {
			t.Fatalf("segment %d: cues %+v, want at least 2 cue points", i, f.Segment.Cues)
		}
		want := s.End.Sub(s.Start).Seconds()
		if d := f.Segment.Info.Duration / 1000; d < want-0.1 || d > want+0.1 {
			t.Fatalf("segment %d: Duration %.3f s, frames span %.3f s", i, d, want)
		}
		dur := ffprobeFloat(t, "-show_entries", "format=duration", "-of", "csv=p=0", s.Path)
		if dur < want-0.2 || dur > want+0.3 {
			t.Fatalf("segment %d: ffprobe duration %.3f, want about %.3f", i, dur, want)
		}
		frames := ffprobeFloat(t, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", s.Path)
		if int(frames) != s.VideoFrames {
			t.Fatalf("segment %d: ffmpeg decoded %v video frames, recorder wrote %d", i, frames, s.VideoFrames)
		}
		apk := ffprobeFloat(t, "-count_packets", "-select_streams", "a:0", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", s.Path)
		if int(apk) != s.AudioFrames {
			t.Fatalf("segment %d: %v audio packets, recorder wrote %d", i, apk, s.AudioFrames)
		}
		total += s.VideoFrames

		// Seek to the middle with the index: the first frame shown must be
		// near there, not at the start.
		if want > 3 {
			mid := want / 2
			pts := ffprobeFloat(t, "-read_intervals", strconv.FormatFloat(mid, 'f', 2, 64)+"%+#1", "-select_streams", "v:0",
				"-show_entries", "frame=pts_time", "-of", "csv=p=0", s.Path)
			if pts < mid-2.1 || pts > mid+0.5 {
				t.Fatalf("segment %d: seek to %.2f s landed at %.2f s", i, mid, pts)
			}
			out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-ss", strconv.FormatFloat(mid, 'f', 2, 64), "-i", s.Path, "-frames:v", "5", "-f", "null", "-").CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Fatalf("segment %d: ffmpeg -ss %.2f: %v %s", i, mid, err, out)
			}
		}
		// Audio may run a little ahead of the keyframe that starts the next
		// segment; more than that would be a gap in the cutting logic.
		if i > 0 {
			if d := s.Start.Sub(segs[i-1].End); d < -100*time.Millisecond || d > 200*time.Millisecond {
				t.Fatalf("segment %d starts %s after segment %d ends", i, d, i-1)
			}
		}
		t.Logf("segment %d: %.3f s, %d video frames, %d audio frames, %d cue points", i, want, s.VideoFrames, s.AudioFrames, len(f.Segment.Cues.CuePoint))
	}
	// 300 frames were sent; the frames between the loss and the next
	// keyframe are dropped, nothing else.
	if total < 280 || total > 300 {
		t.Fatalf("%d video frames recorded of 300 sent", total)
	}
}

func TestRecordAudioOnlyWhenCameraSilent(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	var segs []Segment
	rec, err := New(Config{SegmentDuration: 10 * time.Second, AudioWait: time.Second, MaxClockDrift: time.Minute}, dir, func(s Segment) { segs = append(segs, s) })
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(t, 160, 120, 10)
	if _, err := rec.AddTrack(KindCamera, CodecVP8); err != nil {
		t.Fatal(err)
	}
	mic, err := rec.AddTrack(KindAudio, CodecOpus)
	if err != nil {
		t.Fatal(err)
	}
	for range 250 { // 5 s of audio, no video at all (rule 10.6: camera off)
		for _, p := range src.audio(t) {
			if err := mic.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if len(segs) != 1 || segs[0].Video || !segs[0].Audio {
		t.Fatalf("segments %+v, want one audio-only segment", segs)
	}
	decodeClean(t, segs[0].Path)
	// Audio waited AudioWait (1 s) for a keyframe, then recorded the rest.
	if n := segs[0].AudioFrames; n < 195 || n > 200 {
		t.Fatalf("%d audio frames, want about 200 (5 s less the 1 s wait)", n)
	}
}

func TestConfigAndTrackErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []Config{{SegmentDuration: time.Millisecond}, {KeyframeInterval: time.Millisecond}, {ReorderWindow: -1}, {AudioWait: -time.Second}} {
		if _, err := New(c, dir, nil); err == nil {
			t.Fatalf("config %+v accepted", c)
		}
	}
	rec, err := New(Config{}, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.AddTrack(KindCamera, CodecOpus); err == nil {
		t.Fatal("camera with Opus accepted")
	}
	if _, err := rec.AddTrack(KindScreen, CodecVP8); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.AddTrack(KindScreen, CodecVP8); err == nil {
		t.Fatal("second screen track accepted")
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.AddTrack(KindAudio, CodecOpus); err != ErrClosed {
		t.Fatalf("add after close: %v", err)
	}
}

// TestRecordScreenAndLateAudio records the screen in its own series, and
// an audio track that joins a camera series mid-segment: it must appear
// from the next segment, which starts on a requested keyframe.
func TestRecordScreenAndLateAudio(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	var segs []Segment
	var cam, scr *source
	rec, err := New(Config{SegmentDuration: time.Minute, KeyframeInterval: 2 * time.Second, MaxClockDrift: time.Minute,
		RequestKeyframe: func(k Kind) {
			if k == KindScreen {
				scr.requestKeyframe(k)
			} else {
				cam.requestKeyframe(k)
			}
		}}, dir, func(s Segment) { segs = append(segs, s) })
	if err != nil {
		t.Fatal(err)
	}
	cam, scr = newSource(t, 320, 240, 15), newSource(t, 640, 360, 5)
	camT, err := rec.AddTrack(KindCamera, CodecVP8)
	if err != nil {
		t.Fatal(err)
	}
	scrT, err := rec.AddTrack(KindScreen, CodecVP8)
	if err != nil {
		t.Fatal(err)
	}
	write := func(tr *Track, ps []*rtp.Packet) {
		for _, p := range ps {
			if err := tr.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	var mic *Track
	for i := range 90 { // 6 s of camera at 15 fps, screen at 5 fps
		write(camT, cam.video(t))
		if i%3 == 0 {
			write(scrT, scr.video(t))
		}
		if i == 45 {
			if mic, err = rec.AddTrack(KindAudio, CodecOpus); err != nil {
				t.Fatal(err)
			}
		}
		if mic != nil {
			write(mic, cam.audio(t))
			write(mic, cam.audio(t))
			if i%3 == 0 {
				write(mic, cam.audio(t))
			}
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range segs {
		kinds = append(kinds, string(s.Kind)+map[bool]string{true: "+audio", false: ""}[s.Audio])
		decodeClean(t, s.Path)
	}
	// camera (no audio yet), screen, then camera+audio from a keyframe.
	want := map[string]int{"camera": 1, "camera+audio": 1, "screen": 1}
	for _, k := range kinds {
		want[k]--
	}
	for k, n := range want {
		if n != 0 {
			t.Fatalf("segments %v: want one camera, one camera+audio, one screen (%s off by %d)", kinds, k, -n)
		}
	}
	for _, s := range segs {
		if s.Kind == KindScreen {
			w := ffprobe(t, "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", s.Path)
			if w != "640,360" || s.VideoFrames < 28 {
				t.Fatalf("screen segment %s with %d frames", w, s.VideoFrames)
			}
		}
	}
}

// TestRecordClockJump: a sender whose RTP timestamps jump (a restart, or a
// hostile agent) must not throw the timeline hours away.
func TestRecordClockJump(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	var segs []Segment
	rec, err := New(Config{SegmentDuration: time.Minute}, dir, func(s Segment) { segs = append(segs, s) })
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(t, 160, 120, 10)
	camT, err := rec.AddTrack(KindCamera, CodecVP8)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 20 {
		ps := src.video(t)
		for _, p := range ps {
			if i >= 10 {
				p.Timestamp += 1 << 31 // about 6.6 hours at 90 kHz
			}
			if err := camT.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond) // real time: the default 10 s drift bound applies
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if len(segs) != 1 {
		t.Fatalf("%d segments", len(segs))
	}
	if d := segs[0].End.Sub(start); d < 0 || d > 5*time.Second {
		t.Fatalf("segment ends %s after the start, want within the 2 s recorded", d)
	}
	decodeClean(t, segs[0].Path)
	if segs[0].VideoFrames != 20 {
		t.Fatalf("%d frames kept of 20", segs[0].VideoFrames)
	}
}
