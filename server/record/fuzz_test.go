package record

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"
)

// FuzzWriteRTP feeds arbitrary packets (the candidate's computer sends
// them, so they are untrusted) to a camera and an audio track: whatever
// arrives, the recorder must neither panic nor stall.
func FuzzWriteRTP(f *testing.F) {
	f.Add([]byte{0x90, 0x10, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0x00, 0x01})
	f.Add([]byte{0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := New(Config{SegmentDuration: 2e9, ReorderWindow: 8}, t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		cam, _ := rec.AddTrack(KindCamera, CodecVP8)
		mic, _ := rec.AddTrack(KindAudio, CodecOpus)
		// Each chunk: 2 bytes seq, 4 bytes timestamp, 1 byte flags, 1 byte
		// length, payload.
		for len(data) >= 8 {
			n := int(data[7])
			if n > len(data)-8 {
				n = len(data) - 8
			}
			p := &rtp.Packet{Header: rtp.Header{
				Version: 2, SequenceNumber: binary.BigEndian.Uint16(data), Timestamp: binary.BigEndian.Uint32(data[2:]),
				Marker: data[6]&1 == 1, SSRC: uint32(data[6] >> 4),
			}, Payload: append([]byte(nil), data[8:8+n]...)}
			tr := cam
			if data[6]&2 == 2 {
				tr = mic
			}
			if err := tr.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
			data = data[8+n:]
		}
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
