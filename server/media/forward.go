package media

import (
	"sync"

	"github.com/pion/rtp"
)

// rewriter keeps one outgoing RTP stream continuous while its source
// changes — an agent that reconnects starts a new SSRC with new sequence
// numbers and timestamps, but the viewers' decoders must see one stream
// without a jump, or they freeze until their jitter buffer gives up.
type rewriter struct {
	mu        sync.Mutex
	started   bool
	srcSSRC   uint32
	seqOffset uint16
	tsOffset  uint32
	lastSeq   uint16 // last sequence number sent
	lastTS    uint32 // last timestamp sent
	// gapTS is the timestamp step inserted at a source change (one frame).
	gapTS uint32
}

// rewrite maps a source packet's sequence number and timestamp onto the
// outgoing stream, in place, and strips header extensions whose ids were
// negotiated with the publisher, not with the viewers.
func (r *rewriter) rewrite(p *rtp.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	first := !r.started
	if !r.started || p.SSRC != r.srcSSRC {
		if r.started {
			r.seqOffset = r.lastSeq + 1 - p.SequenceNumber
			r.tsOffset = r.lastTS + r.gapTS - p.Timestamp
		}
		r.started = true
		r.srcSSRC = p.SSRC
	}
	p.SequenceNumber += r.seqOffset
	p.Timestamp += r.tsOffset
	// Only move lastSeq forward (in 16-bit serial arithmetic), so a
	// retransmitted old packet does not rewind the stream's position.
	if first || int16(p.SequenceNumber-r.lastSeq) > 0 {
		r.lastSeq = p.SequenceNumber
		r.lastTS = p.Timestamp
	}
	p.Extension = false
	p.Extensions = nil
	p.ExtensionProfile = 0
}
