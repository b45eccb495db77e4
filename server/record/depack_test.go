package record

import (
	"reflect"
	"testing"

	"github.com/pion/rtp"
)

func TestReorder(t *testing.T) {
	pkt := func(seq uint16, ts uint32) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, SSRC: 1}}
	}
	tests := []struct {
		name     string
		in       []*rtp.Packet
		want     []uint16
		wantLost []bool // lostBefore per delivered packet
		lost     int
	}{
		{"in order", []*rtp.Packet{pkt(10, 0), pkt(11, 0), pkt(12, 3000)}, []uint16{10, 11, 12}, []bool{false, false, false}, 0},
		{"swapped", []*rtp.Packet{pkt(10, 0), pkt(12, 3000), pkt(11, 0)}, []uint16{10, 11, 12}, []bool{false, false, false}, 0},
		{"wraps", []*rtp.Packet{pkt(65535, 0), pkt(1, 3000), pkt(0, 0)}, []uint16{65535, 0, 1}, []bool{false, false, false}, 0},
		{"duplicate and late dropped", []*rtp.Packet{pkt(10, 0), pkt(11, 0), pkt(11, 0), pkt(9, 0)}, []uint16{10, 11}, []bool{false, false}, 0},
		// 11 never comes: given up once the waiting packets span > 200 ms
		// (18000 ticks at 90 kHz), not before.
		{"loss by time", []*rtp.Packet{pkt(10, 0), pkt(12, 9000), pkt(13, 18000), pkt(14, 18001)}, []uint16{10, 12, 13, 14}, []bool{false, true, false, false}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []uint16
			var lost []bool
			r := newReorder(128, 18000, func(p *rtp.Packet, l bool) { got = append(got, p.SequenceNumber); lost = append(lost, l) })
			for _, p := range tc.in {
				r.push(p)
			}
			if tc.name != "loss by time" {
				r.flush()
			}
			if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(lost, tc.wantLost) || r.lost != tc.lost {
				t.Fatalf("delivered %v lost-before %v (lost %d), want %v %v (%d)", got, lost, r.lost, tc.want, tc.wantLost, tc.lost)
			}
		})
	}
}

func TestVP8AssemblerDropsUntilKeyframe(t *testing.T) {
	key := []byte{0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00} // descriptor S=1, keyframe tag, 320x240
	inter := []byte{0x10, 0x01, 0x02, 0x03}
	var got []bool
	a := newVP8Assembler(func(f vp8Frame) { got = append(got, f.keyframe) })
	p := func(ts uint32, payload []byte, lost bool) {
		a.packet(&rtp.Packet{Header: rtp.Header{Timestamp: ts, Marker: true}, Payload: payload}, lost)
	}
	p(0, inter, false) // no keyframe yet: dropped
	p(1, key, false)
	p(2, inter, false)
	p(3, inter, true) // after a loss: dropped
	p(4, inter, false)
	p(5, key, false)
	p(6, inter, false)
	if want := []bool{true, false, true, false}; !reflect.DeepEqual(got, want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
	if a.dropped != 3 {
		t.Fatalf("dropped %d, want 3", a.dropped)
	}
	if k, w, h := vp8KeyframeInfo(key[1:]); !k || w != 320 || h != 240 {
		t.Fatalf("keyframe info %v %dx%d", k, w, h)
	}
}
