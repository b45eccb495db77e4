// Package hub fans live news out to the browsers that watch: new records,
// and changes in each sitting's live state (agent connected, camera
// arriving, last heard from). It also keeps that live state, which is not
// stored: after a restart every sitting starts offline until its agent
// reconnects. A new record is a change too: the change callback hears of
// it after the record went out, so the sitting's summary (its badges and
// risk) follows its records.
//
// Subscribers have bounded queues. One that falls behind is dropped rather
// than allowed to stall the sittings it watches; its browser reconnects and
// catches up from the store by record number, so nothing is lost.
package hub

import (
	"sync"
	"time"

	"kuzet.kz/kuzet/protocol"
)

// QueueLen is how many messages a subscriber may have waiting.
const QueueLen = 1024

// Live is the part of a sitting's state that exists only while it runs.
type Live struct {
	// Connected is true while an agent's WebSocket is open.
	Connected bool
	// Media is true while the camera track arrives.
	Media bool
	// LastSeen is when the agent last sent anything.
	LastSeen time.Time
	// EverConnected tells offline from waiting.
	EverConnected bool
	// Reconnects counts the connections after the first since the server
	// started; LastDrop is when the agent last went away.
	Reconnects int
	LastDrop   time.Time
}

// Sub is one subscriber: a browser's view or candidate channel.
type Sub struct {
	// C delivers the messages. It is closed when the subscriber is dropped
	// or unsubscribed.
	C      chan protocol.Message
	filter func(protocol.SittingID) bool
	// Overflowed is set when the subscriber was dropped for falling behind.
	overflowed bool
}

// Overflowed reports whether the hub dropped the subscriber because its
// queue was full. Read it after C is closed.
func (s *Sub) Overflowed() bool { return s.overflowed }

// Hub is safe for concurrent use.
type Hub struct {
	mu   sync.Mutex
	subs map[*Sub]struct{}
	live map[protocol.SittingID]*Live
	// onChange is told when a sitting's live state changed.
	onChange func(protocol.SittingID)
}

// New returns an empty hub. onChange, if set, is called (without locks
// held) after a sitting's live state changes and after a record of the
// sitting is published, so the caller can publish the new summary.
func New(onChange func(protocol.SittingID)) *Hub {
	return &Hub{subs: map[*Sub]struct{}{}, live: map[protocol.SittingID]*Live{}, onChange: onChange}
}

// Subscribe registers a subscriber for the sittings filter accepts.
func (h *Hub) Subscribe(filter func(protocol.SittingID) bool) *Sub {
	s := &Sub{C: make(chan protocol.Message, QueueLen), filter: filter}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Unsubscribe removes a subscriber and closes its channel.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.C)
	}
}

// Publish sends m to every subscriber of sitting id. A subscriber whose
// queue is full is dropped (see Sub.Overflowed). After a record, the
// change callback is told (see New).
func (h *Hub) Publish(id protocol.SittingID, m protocol.Message) {
	h.fanOut(id, m)
	if _, ok := m.(*protocol.Record); ok && h.onChange != nil {
		h.onChange(id)
	}
}

func (h *Hub) fanOut(id protocol.SittingID, m protocol.Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.filter != nil && !s.filter(id) {
			continue
		}
		select {
		case s.C <- m:
		default:
			s.overflowed = true
			delete(h.subs, s)
			close(s.C)
		}
	}
}

// Live returns the live state of a sitting.
func (h *Hub) Live(id protocol.SittingID) Live {
	h.mu.Lock()
	defer h.mu.Unlock()
	if l, ok := h.live[id]; ok {
		return *l
	}
	return Live{}
}

func (h *Hub) update(id protocol.SittingID, fn func(*Live) bool) {
	h.mu.Lock()
	l, ok := h.live[id]
	if !ok {
		l = &Live{}
		h.live[id] = l
	}
	changed := fn(l)
	h.mu.Unlock()
	if changed && h.onChange != nil {
		h.onChange(id)
	}
}

// SetConnected records that an agent connected to or left a sitting.
func (h *Hub) SetConnected(id protocol.SittingID, connected bool, at time.Time) {
	h.update(id, func(l *Live) bool {
		changed := l.Connected != connected
		if connected && !l.Connected && l.EverConnected {
			l.Reconnects++
		}
		if !connected && l.Connected {
			l.LastDrop = at
		}
		l.Connected = connected
		if connected {
			l.EverConnected = true
			l.LastSeen = at
		} else {
			changed = changed || l.Media
			l.Media = false
		}
		return changed
	})
}

// SetMedia records that a sitting's camera started or stopped arriving.
func (h *Hub) SetMedia(id protocol.SittingID, media bool) {
	h.update(id, func(l *Live) bool {
		changed := l.Media != media
		l.Media = media
		return changed
	})
}

// Seen records that the agent of a sitting sent something at t. It does
// not count as a change worth publishing.
func (h *Hub) Seen(id protocol.SittingID, t time.Time) {
	h.update(id, func(l *Live) bool {
		l.LastSeen = t
		return false
	})
}
