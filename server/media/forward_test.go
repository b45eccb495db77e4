package media

import (
	"testing"

	"github.com/pion/rtp"
)

func TestRewriterKeepsStreamContinuousAcrossSources(t *testing.T) {
	r := &rewriter{gapTS: 3000}
	pkt := func(ssrc uint32, seq uint16, ts uint32) *rtp.Packet {
		p := &rtp.Packet{Header: rtp.Header{SSRC: ssrc, SequenceNumber: seq, Timestamp: ts}}
		if err := p.SetExtension(3, []byte{1}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var out []*rtp.Packet
	for i, p := range []*rtp.Packet{
		pkt(1, 65534, 1000), pkt(1, 65535, 4000), pkt(1, 0, 7000), // wraps
		pkt(1, 65535, 4000), // a late retransmission must not rewind
		pkt(2, 500, 90000),  // the agent reconnected: a new source
		pkt(2, 501, 93000),
	} {
		r.rewrite(p)
		if p.Extension || p.Extensions != nil {
			t.Fatalf("packet %d kept the publisher's header extensions", i)
		}
		out = append(out, p)
	}
	if out[2].SequenceNumber != 0 || out[3].SequenceNumber != 65535 {
		t.Fatalf("same-source packets changed: %d %d", out[2].SequenceNumber, out[3].SequenceNumber)
	}
	if out[4].SequenceNumber != 1 || out[5].SequenceNumber != 2 {
		t.Fatalf("after the source change seq = %d, %d; want 1, 2", out[4].SequenceNumber, out[5].SequenceNumber)
	}
	if out[4].Timestamp != 7000+3000 || out[5].Timestamp != 13000 {
		t.Fatalf("after the source change ts = %d, %d; want 10000, 13000", out[4].Timestamp, out[5].Timestamp)
	}
}
