package record

import (
	"encoding/binary"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// reorder puts a track's RTP packets back in sequence order. It holds at
// most window packets; when a gap is still open after that, the missing
// packets are declared lost so a late network never stalls the recording.
type reorder struct {
	window   int
	maxSpan  uint32 // RTP ticks a gap may stay open while later packets wait
	lastTS   uint32 // timestamp of the last packet delivered
	started  bool
	ssrc     uint32
	next     uint16
	buf      map[uint16]*rtp.Packet
	lost     int
	late     int
	deliverF func(p *rtp.Packet, lostBefore bool)
}

func newReorder(window int, maxSpan uint32, deliver func(p *rtp.Packet, lostBefore bool)) *reorder {
	return &reorder{window: window, maxSpan: maxSpan, buf: make(map[uint16]*rtp.Packet, window), deliverF: deliver}
}

// push takes one packet (which it keeps: the caller must not reuse it).
func (r *reorder) push(p *rtp.Packet) {
	if !r.started || p.SSRC != r.ssrc {
		// A new stream (or the sender restarted): start over.
		r.flush()
		r.started, r.ssrc, r.next, r.lastTS = true, p.SSRC, p.SequenceNumber, p.Timestamp
	}
	d := int16(p.SequenceNumber - r.next)
	switch {
	case d < 0:
		r.late++ // duplicate or too late: already delivered or given up
		return
	case int(d) >= 4*r.window:
		// Far ahead: the sender jumped. Give up on what is buffered.
		r.flush()
		r.next = p.SequenceNumber
	}
	if _, dup := r.buf[p.SequenceNumber]; dup {
		r.late++
		return
	}
	r.buf[p.SequenceNumber] = p
	r.drain(false)
	// A gap is given up when too many packets wait behind it, or when they
	// span more media time than a retransmission could still fill.
	for len(r.buf) > 0 && (len(r.buf) > r.window || int32(p.Timestamp-r.lastTS) > int32(r.maxSpan)) {
		r.skipGap()
		r.drain(true)
	}
}

func (r *reorder) drain(lostBefore bool) {
	for {
		p, ok := r.buf[r.next]
		if !ok {
			return
		}
		delete(r.buf, r.next)
		r.next++
		r.lastTS = p.Timestamp
		r.deliverF(p, lostBefore)
		lostBefore = false
	}
}

// skipGap advances next to the oldest buffered packet, counting the loss.
func (r *reorder) skipGap() {
	best := -1
	for seq := range r.buf {
		if d := int(uint16(seq - r.next)); best < 0 || d < best {
			best = d
		}
	}
	if best > 0 {
		r.lost += best
		r.next += uint16(best)
	}
}

// flush delivers everything buffered, in order, marking gaps as losses.
func (r *reorder) flush() {
	for len(r.buf) > 0 {
		r.skipGap()
		r.drain(true)
	}
}

// clock unwraps a track's 32-bit RTP timestamps into a monotonic count.
type clock struct {
	started bool
	last    uint32
	ticks   int64
}

func (c *clock) unwrap(ts uint32) int64 {
	if !c.started {
		c.started, c.last = true, ts
		return 0
	}
	d := int64(int32(ts - c.last))
	c.last = ts
	// Bound the count so a sender that keeps jumping cannot overflow the
	// conversion to a duration (about 3 years at 90 kHz).
	if next := c.ticks + d; next > -1<<43 && next < 1<<43 {
		c.ticks = next
	}
	return c.ticks
}

// vp8Frame is one complete VP8 frame.
type vp8Frame struct {
	data     []byte
	ts       uint32
	keyframe bool
	width    int
	height   int
}

// vp8Assembler joins VP8 RTP payloads (RFC 7741) into frames. After any
// loss it drops frames until the next complete keyframe: inter frames that
// follow a lost packet cannot be decoded, and writing them would only put
// garbage into the recording.
type vp8Assembler struct {
	cur      []byte
	curTS    uint32
	inFrame  bool
	broken   bool // the frame being assembled lost a packet
	needKey  bool // decoding is broken until a keyframe
	dropped  int
	complete func(f vp8Frame)
}

func newVP8Assembler(complete func(f vp8Frame)) *vp8Assembler {
	// Nothing decodes before the first keyframe.
	return &vp8Assembler{needKey: true, complete: complete}
}

func (a *vp8Assembler) packet(p *rtp.Packet, lostBefore bool) {
	if lostBefore {
		a.needKey = true
		if a.inFrame {
			a.broken = true
		}
	}
	var vp codecs.VP8Packet
	payload, err := vp.Unmarshal(p.Payload)
	if err != nil || len(payload) == 0 {
		a.broken, a.needKey = a.inFrame, true
		return
	}
	start := vp.S == 1 && vp.PID == 0
	if a.inFrame && p.Timestamp != a.curTS {
		// The previous frame never got its marker packet.
		a.dropped++
		a.needKey = true
		a.inFrame = false
	}
	if !a.inFrame {
		if !start {
			// We joined mid-frame or lost its first packet.
			a.needKey = true
			if p.Marker {
				a.dropped++
				return
			}
			a.inFrame, a.broken, a.curTS, a.cur = true, true, p.Timestamp, a.cur[:0]
			return
		}
		a.inFrame, a.broken, a.curTS, a.cur = true, false, p.Timestamp, a.cur[:0]
	}
	a.cur = append(a.cur, payload...)
	if !p.Marker {
		return
	}
	a.inFrame = false
	if a.broken {
		a.dropped++
		a.needKey = true
		return
	}
	f := vp8Frame{data: append([]byte(nil), a.cur...), ts: a.curTS}
	f.keyframe, f.width, f.height = vp8KeyframeInfo(f.data)
	if a.needKey && !f.keyframe {
		a.dropped++
		return
	}
	a.needKey = false
	a.complete(f)
}

// vp8KeyframeInfo reads the frame tag (RFC 6386 §9.1): bit 0 of the first
// byte is 0 for a keyframe, which carries a start code and the frame size.
func vp8KeyframeInfo(b []byte) (key bool, width, height int) {
	if len(b) < 10 || b[0]&1 != 0 {
		return false, 0, 0
	}
	if b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return false, 0, 0
	}
	w := int(binary.LittleEndian.Uint16(b[6:8]) & 0x3fff)
	h := int(binary.LittleEndian.Uint16(b[8:10]) & 0x3fff)
	if w == 0 || h == 0 {
		return false, 0, 0
	}
	return true, w, h
}
