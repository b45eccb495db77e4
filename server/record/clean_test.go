package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/pion/rtp"
)

// mangledAudio rewrites the source's Opus packets as a real network and a
// real sender deliver them: sequence numbers and timestamps that wrap,
// packets reordered, duplicated (at once and late), lost, a frame sent
// again under a new sequence number with its old timestamp, and the
// sender's clock stepping back 30 ms (as a restarted encoder keeping its
// SSRC does).
type mangledAudio struct {
	i    int    // packets taken from the source
	seq  uint16 // next sequence number sent
	held *rtp.Packet
	late []*rtp.Packet
	last *rtp.Packet
}

func (m *mangledAudio) next(ps []*rtp.Packet) []*rtp.Packet {
	i := m.i
	m.i++
	var out []*rtp.Packet
	for _, p := range ps {
		// 2 s before the 32-bit timestamp wraps.
		p.Timestamp = 0xFFFFFFFF - 2*48000 + uint32(i)*960
		if i >= 300 {
			p.Timestamp -= 1440 // the sender's clock steps back 30 ms
		}
		p.SequenceNumber = m.seq
		m.seq++
		switch {
		case i%53 == 11:
			continue // lost
		case i == 200 && m.last != nil:
			// The previous frame again, as a new packet.
			again := *m.last
			again.SequenceNumber = p.SequenceNumber
			p.SequenceNumber = m.seq
			m.seq++
			out = append(out, &again)
		case i%37 == 5:
			m.held = p // reordered: sent after the next one
			continue
		case i%41 == 7:
			dup := *p
			late := *p
			out = append(out, &dup)        // duplicate at once
			m.late = append(m.late, &late) // and again a few packets on
		}
		out = append(out, p)
		if m.held != nil && i%37 == 6 {
			out = append(out, m.held)
			m.held = nil
		}
		if len(m.late) > 0 && i%41 == 10 {
			out = append(out, m.late...)
			m.late = nil
		}
		m.last = p
	}
	return out
}

// TestRecordedAudioDecodesClean records real VP8 and Opus through the
// recorder with the audio mangled as above, across a segment cut, and
// checks each file with a real decoder: no warning at all from ffmpeg,
// every audio block starting where the previous one ended or later, audio
// and video starting together, and every cue pointing at a cluster that
// starts at the cue's time.
func TestRecordedAudioDecodesClean(t *testing.T) {
	needFFmpeg(t)
	rec, src, cam, mic, closed := cameraRecorder(t)
	m := &mangledAudio{seq: 0xFFF0}
	feedMangled(t, src, cam, mic, 14*time.Second, nil, func(_ int, ps []*rtp.Packet) []*rtp.Packet { return m.next(ps) })
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	segs := closed()
	if len(segs) != 2 {
		t.Fatalf("%d segments, want 2 (8 s and 6 s)", len(segs))
	}
	for i, s := range segs {
		name := fmt.Sprintf("segment %d", i)
		// 1. A real decoder has nothing to say.
		out, err := exec.Command("ffmpeg", "-nostdin", "-v", "warning", "-i", s.Path, "-f", "null", "-").CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("%s: ffmpeg -v warning: %v\n%s", name, err, out)
		}
		// 2. Audio blocks never overlap (ffmpeg tolerates a little; a
		// player must not have to).
		pkts := ffprobePackets(t, "a:0", s.Path)
		if len(pkts) < 250 {
			t.Fatalf("%s: %d audio packets", name, len(pkts))
		}
		for k := 1; k < len(pkts); k++ {
			if prev := pkts[k-1]; pkts[k].pts < prev.pts+prev.dur {
				t.Errorf("%s: audio packet %d starts at %d ms, inside the previous one (%d ms + %d ms)", name, k, pkts[k].pts, prev.pts, prev.dur)
			}
		}
		// 3. In sync: both tracks are on the same wall-clock timeline, so
		// the first audio block is within one packet (20 ms) of the
		// keyframe that opens the segment (ffprobe shows an Opus packet at
		// its block time less the track's CodecDelay, 6.5 ms: the
		// encoder's look-ahead, which the decoder skips).
		vpkts := ffprobePackets(t, "v:0", s.Path)
		if d := pkts[0].pts - vpkts[0].pts; d < -7 || d >= 20 {
			t.Errorf("%s: first audio at %d ms, first video at %d ms", name, pkts[0].pts, vpkts[0].pts)
		}
		// 4. The index is right: every cue names a cluster that starts at
		// the cue's time, and seeking by it lands there.
		checkCues(t, name, s.Path)
	}
}

type probedPacket struct{ pts, dur int64 } // ms

func ffprobePackets(t *testing.T, stream, file string) []probedPacket {
	t.Helper()
	var out []probedPacket
	for _, line := range strings.Split(ffprobe(t, "-select_streams", stream, "-show_entries", "packet=pts,duration", "-of", "csv=p=0", file), "\n") {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) < 1 || f[0] == "" {
			continue
		}
		var p probedPacket
		p.pts, _ = strconv.ParseInt(f[0], 10, 64)
		if len(f) > 1 {
			p.dur, _ = strconv.ParseInt(f[1], 10, 64)
		}
		out = append(out, p)
	}
	return out
}

// checkCues reads the file's Cues and, at each cue's position, the Cluster
// and its Timecode.
func checkCues(t *testing.T, name, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var f webmFile
	if err := ebml.Unmarshal(bytes.NewReader(b), &f); err != nil {
		t.Fatalf("%s: parse: %v", name, err)
	}
	if f.Segment.Cues == nil || len(f.Segment.Cues.CuePoint) < 2 {
		t.Fatalf("%s: cues %+v, want a cue per cluster", name, f.Segment.Cues)
	}
	// The Segment's data starts after its ID and size, after the EBML header.
	hdrSize, n1 := readVint(b, 4)     // the EBML header's size (its ID takes 4 bytes)
	segStart := 4 + n1 + int(hdrSize) // the Segment element
	_, n2 := readVint(b, segStart+4)  // the Segment's size
	dataStart := segStart + 4 + n2    // where cue positions count from
	if !bytes.Equal(b[segStart:segStart+4], []byte{0x18, 0x53, 0x80, 0x67}) {
		t.Fatalf("%s: no Segment after the EBML header", name)
	}
	for _, cp := range f.Segment.Cues.CuePoint {
		pos := dataStart + int(cp.CueTrackPositions[0].CueClusterPosition)
		if pos+12 > len(b) || !bytes.Equal(b[pos:pos+4], []byte{0x1f, 0x43, 0xb6, 0x75}) {
			t.Fatalf("%s: cue at %d ms points at byte %d, not at a Cluster", name, cp.CueTime, pos)
		}
		_, n := readVint(b, pos+4) // the cluster's size (unknown)
		p := pos + 4 + n
		if b[p] != 0xe7 {
			t.Fatalf("%s: the cluster at byte %d does not start with its Timecode", name, pos)
		}
		l, n := readVint(b, p+1)
		var tc uint64
		for _, c := range b[p+1+n : p+1+n+int(l)] {
			tc = tc<<8 | uint64(c)
		}
		if tc != cp.CueTime {
			t.Errorf("%s: cue at %d ms points at the cluster of %d ms", name, cp.CueTime, tc)
		}
	}
	// Seeking by the index lands on the cue at or before the target.
	last := f.Segment.Cues.CuePoint[len(f.Segment.Cues.CuePoint)-1].CueTime
	target := float64(last)/1000 + 0.3
	pts := ffprobeFloat(t, "-read_intervals", strconv.FormatFloat(target, 'f', 3, 64)+"%+#1", "-select_streams", "v:0",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", file)
	if want := float64(last) / 1000; pts < want-0.001 || pts > target {
		t.Errorf("%s: seek to %.3f s landed at %.3f s, want the cue at %.3f s", name, target, pts, want)
	}
}

// readVint reads an EBML variable-length size at b[off:], returning its
// value (without the length marker) and its length in bytes.
func readVint(b []byte, off int) (uint64, int) {
	n := 1
	for n <= 8 && b[off]&(0x80>>(n-1)) == 0 {
		n++
	}
	var buf [8]byte
	copy(buf[8-n:], b[off:off+n])
	buf[8-n] &= 0xff >> n
	return binary.BigEndian.Uint64(buf[:]), n
}
