package record

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// BenchmarkRecordCameraAudio measures the recorder's cost per RTP packet
// for a camera (320x240, 15 fps, ~400 kbit/s) plus Opus audio, writing real
// WebM segments to disk. One sitting sends about 100 such packets a second,
// so sittings-per-core = packets/s / 100.
func BenchmarkRecordCameraAudio(b *testing.B) {
	src := newSource(b, 320, 240, 15)
	type pk struct {
		audio bool
		p     rtp.Packet
	}
	// 10 s of media, encoded once.
	var pkts []pk
	vt, at := time.Duration(0), time.Duration(0)
	for vt < 10*time.Second || at < 10*time.Second {
		if vt <= at {
			for _, p := range src.video(b) {
				pkts = append(pkts, pk{false, *p})
			}
			vt += time.Second / 15
		} else {
			for _, p := range src.audio(b) {
				pkts = append(pkts, pk{true, *p})
			}
			at += 20 * time.Millisecond
		}
	}
	rec, err := New(Config{SegmentDuration: time.Minute, MaxClockDrift: 24 * time.Hour}, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	cam, _ := rec.AddTrack(KindCamera, CodecVP8)
	mic, _ := rec.AddTrack(KindAudio, CodecOpus)
	var nVideo, nAudio uint32
	for _, q := range pkts {
		if q.audio {
			nAudio++
		} else {
			nVideo++
		}
	}
	var bytes int64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; {
		// Replay the 10 s again and again, moving sequence numbers and
		// timestamps on so the recorder sees one continuous stream.
		round := uint32(i / len(pkts))
		for _, q := range pkts {
			if i >= b.N {
				break
			}
			p := q.p
			tr := cam
			if q.audio {
				tr = mic
				p.SequenceNumber += uint16(round * nAudio)
				p.Timestamp += round * 48000 * 10
			} else {
				p.SequenceNumber += uint16(round * nVideo)
				p.Timestamp += round * 90000 * 10
			}
			if err := tr.WriteRTP(&p); err != nil {
				b.Fatal(err)
			}
			bytes += int64(len(p.Payload))
			i++
		}
	}
	if err := rec.Close(); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/el, "packets/s")
	b.ReportMetric(float64(bytes)/el/1e6, "MB/s")
}
