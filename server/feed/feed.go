// Package feed serves the browsers' live channels: the proctor's view
// channel (/v1/view: the list of sittings, their records, and WebRTC
// signalling to watch a sitting) and the candidate page's channel
// (/v1/candidate: the sitting's status, the events that concern the
// candidate, and the proctor's messages).
//
// Both resume without loss or repetition: the browser says, per sitting,
// the last record number it has; the server sends the later ones from the
// store, then live ones from the hub, skipping any it already sent.
//
// Video survives a dropped view channel: when a channel ends, its watching
// peer connections stay open for OrphanTTL, and a new channel that watches
// with the same view id from the same browser peer connection (same DTLS
// fingerprint) takes them over without a new connection. A watch for a view
// the channel already has, from the same peer connection, renegotiates it:
// that is how a browser restarts ICE after a network change.
package feed

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/media"
	"kuzet.kz/kuzet/server/roster"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/wsconn"
)

// Config wires the feeds.
type Config struct {
	Store  *store.Store
	Hub    *hub.Hub
	Roster *roster.Roster
	SFU    *media.SFU
	Log    *slog.Logger
	// Notice is the consent notice the candidate page shows before
	// capture starts (server/consent).
	Notice *protocol.ConsentNotice
}

// Feed serves both browser channels.
type Feed struct {
	cfg    Config
	log    *slog.Logger
	viewer *protocol.Codec
	cand   *protocol.Codec

	// assignments counts changes of proctor assignments; a view
	// channel's cache of what it may see is good for one count.
	assignments atomic.Uint64

	mu    sync.Mutex
	conns map[*wsconn.Conn]struct{}
	// reassigned holds a signal for each view channel, sent when any
	// sitting's proctors change (a buffer of one: one pending is enough).
	reassigned map[chan struct{}]struct{}
	orphans    map[protocol.ViewID]*orphan
	closed     bool
	wg         sync.WaitGroup
}

// orphan is a watching peer connection whose view channel ended.
type orphan struct {
	peer    *media.Peer
	sitting protocol.SittingID
	timer   *time.Timer
}

// New returns a Feed.
func New(cfg Config) *Feed {
	return &Feed{cfg: cfg, log: cfg.Log,
		viewer:  protocol.NewCodec(protocol.ViewerToServer, protocol.ServerToViewer),
		cand:    protocol.NewCodec(protocol.CandidateToServer, protocol.ServerToCandidate),
		conns:   map[*wsconn.Conn]struct{}{},
		orphans: map[protocol.ViewID]*orphan{}}
}

// catchUpPage is how many stored records go out per sitting per query.
const catchUpPage = 500

// OrphanTTL is how long a watching peer connection outlives its view
// channel, waiting for the browser to reconnect and take it over.
const OrphanTTL = 20 * time.Second

// listPartBytes bounds one part of the sittings list, well under a frame.
const listPartBytes = 48 << 10

// keep holds peer on for OrphanTTL after its channel ended.
func (f *Feed) keep(view protocol.ViewID, sitting protocol.SittingID, peer *media.Peer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		peer.Close()
		return
	}
	if old := f.orphans[view]; old != nil && old.timer.Stop() {
		f.wg.Done()
		old.peer.Close()
	}
	o := &orphan{peer: peer, sitting: sitting}
	f.orphans[view] = o
	f.wg.Add(1)
	o.timer = time.AfterFunc(OrphanTTL, func() {
		defer f.wg.Done()
		f.mu.Lock()
		if f.orphans[view] == o {
			delete(f.orphans, view)
		}
		f.mu.Unlock()
		// Nobody took it back in time (an adoption stops this timer).
		o.peer.Close()
	})
}

// adopt hands over the kept peer of view if it watches sitting and offer
// comes from the same browser peer connection.
func (f *Feed) adopt(view protocol.ViewID, sitting protocol.SittingID, offer string) *media.Peer {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orphans[view]
	if o == nil || o.sitting != sitting || !o.peer.SameSession(offer) {
		return nil
	}
	delete(f.orphans, view)
	if !o.timer.Stop() {
		return nil // expiring right now; its timer closes it
	}
	f.wg.Done()
	return o.peer
}

func (f *Feed) track(c *wsconn.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = struct{}{}
	f.wg.Add(1)
	return true
}

func (f *Feed) untrack(c *wsconn.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	f.wg.Done()
}

// Reassigned tells the open view channels that a sitting's proctors
// changed: each checks again what it may see, so a newly assigned sitting
// appears at its next change (Roster.Changed publishes one).
//
// A proctor taken off a sitting loses it at once (issue 16, finding 10):
// each view channel re-checks its watching peers and closes those it may
// no longer see, and sends its list again without the sitting.
func (f *Feed) Reassigned(protocol.SittingID) {
	f.assignments.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.reassigned {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// onReassign registers a view channel's signal; the returned func drops it.
func (f *Feed) onReassign() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	f.mu.Lock()
	if f.reassigned == nil {
		f.reassigned = map[chan struct{}]struct{}{}
	}
	f.reassigned[c] = struct{}{}
	f.mu.Unlock()
	return c, func() {
		f.mu.Lock()
		delete(f.reassigned, c)
		f.mu.Unlock()
	}
}

// Shutdown closes every browser channel and waits for them.
func (f *Feed) Shutdown() {
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Fail(protocol.Errorf(protocol.ErrShuttingDown, "the server is restarting; the page reconnects by itself"))
	}
	for view, o := range f.orphans {
		if o.timer.Stop() {
			f.wg.Done()
			o.peer.Close()
		}
		delete(f.orphans, view)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// sender sends records of sittings without repeating any.
type sender struct {
	conn *wsconn.Conn
	st   *store.Store
	sent map[protocol.SittingID]uint64
	// only, if set, is what of a record this connection may see (nil:
	// nothing); the record still counts as sent, so no gap is refilled.
	only func(protocol.Record) *protocol.Record
}

// send sends a record, or what of it the connection may see.
func (s *sender) send(rec *protocol.Record) error {
	if s.only != nil {
		if rec = s.only(*rec); rec == nil {
			return nil
		}
	}
	return s.conn.Send(rec)
}

// forCandidate is what of a record the candidate's page gets (issue 16,
// finding 5): their own events, and the actions meant for them — a
// message, a warning, the room-scan request, pause, resume, the end —
// without the staff member's username. Flag reviews, verdict notes, the
// identity check and the server's own bookkeeping stay with the staff.
func forCandidate(rec protocol.Record) *protocol.Record {
	if rec.Event != nil {
		return &rec
	}
	a := rec.Action
	if a == nil {
		return nil
	}
	switch a.Kind {
	case protocol.ActionMessage, protocol.ActionWarning, protocol.ActionRoomScan, protocol.ActionPause, protocol.ActionResume, protocol.ActionEnd,
		protocol.ActionConsent, protocol.ActionConsentDeclined, protocol.ActionAcknowledged:
	default:
		return nil
	}
	cp := *a
	if cp.Actor != "system" {
		// A staff member's username is not the candidate's business; a
		// username has no space, so this label is never one.
		cp.Actor = "staff member"
	}
	if cp.Kind != protocol.ActionAcknowledged {
		// What a flag review was about is the proctor's business; an
		// acknowledgement names the message it answers.
		cp.Target = 0
	}
	cp.Verdict = nil
	rec.Action = &cp
	return &rec
}

// catchUp sends the sitting's stored records after the last one sent.
func (s *sender) catchUp(id protocol.SittingID) error {
	for {
		recs, err := s.st.Records(id, s.sent[id], catchUpPage)
		if err != nil {
			return fmt.Errorf("read records of %s: %w", id, err)
		}
		for i := range recs {
			if err := s.send(&recs[i]); err != nil {
				return err
			}
			s.sent[id] = recs[i].N
		}
		if len(recs) < catchUpPage {
			return nil
		}
	}
}

// live sends a record from the hub unless it was sent already; a gap (the
// hub is ahead of what was sent) is filled from the store first.
func (s *sender) live(rec *protocol.Record) error {
	last := s.sent[rec.Sitting]
	switch {
	case rec.N <= last:
		return nil
	case rec.N > last+1:
		return s.catchUp(rec.Sitting)
	}
	if err := s.send(rec); err != nil {
		return err
	}
	s.sent[rec.Sitting] = rec.N
	return nil
}

// Viewer serves a proctor's (or auditor's) view channel. allowed says which
// sittings the account may see; it is asked for every sitting concerned.
func (f *Feed) Viewer(w http.ResponseWriter, r *http.Request, allowed func(store.Sitting) bool) {
	conn, err := wsconn.Accept(w, r, f.viewer, wsconn.Options{QueueLen: 4096, Log: f.log, ReadTimeout: 90 * time.Second})
	if err != nil {
		f.log.Debug("viewer upgrade failed", "err", err)
		return
	}
	if !f.track(conn) {
		conn.Fail(protocol.Errorf(protocol.ErrShuttingDown, "the server is restarting"))
		conn.Wait()
		return
	}
	defer f.untrack(conn)
	defer conn.Wait()
	if err := f.viewerSession(conn, allowed); err != nil {
		conn.Fail(err)
	}
}

func (f *Feed) viewerSession(conn *wsconn.Conn, allowed func(store.Sitting) bool) error {
	type verdict struct {
		ok  bool
		gen uint64
	}
	var cache sync.Map // sitting id → verdict
	mayView := func(id protocol.SittingID) bool {
		gen := f.assignments.Load()
		if v, ok := cache.Load(id); ok && v.(verdict).gen == gen {
			return v.(verdict).ok
		}
		st, err := f.cfg.Store.Sitting(id)
		ok := err == nil && allowed(st)
		cache.Store(id, verdict{ok: ok, gen: gen})
		return ok
	}
	type watching struct {
		peer    *media.Peer
		sitting protocol.SittingID
	}
	views := map[protocol.ViewID]watching{}
	defer func() {
		for view, w := range views {
			f.keep(view, w.sitting, w.peer)
		}
	}()
	var focus protocol.SittingID
	// assessment sends the focused sitting's explained risk; it fails only
	// when the channel is gone.
	assessment := func() error {
		a, err := f.cfg.Roster.Assessment(focus)
		if err != nil {
			f.log.Warn("assessment not sent", "sitting", focus, "err", err)
			return nil
		}
		return conn.Send(&a)
	}

	var sub *hub.Sub
	defer func() {
		if sub != nil {
			f.cfg.Hub.Unsubscribe(sub)
		}
	}()
	snd := &sender{conn: conn, st: f.cfg.Store, sent: map[protocol.SittingID]uint64{}}
	var hubC <-chan protocol.Message
	changed, stop := f.onReassign()
	defer stop()
	for {
		select {
		case <-changed:
			// Close what may no longer be watched, then the new list.
			for view, w := range views {
				if !mayView(w.sitting) {
					w.peer.Close()
					delete(views, view)
				}
			}
			if focus != "" && !mayView(focus) {
				focus = ""
			}
			if sub == nil {
				continue
			}
			list, err := f.cfg.Roster.List(allowed)
			if err != nil {
				return err
			}
			if err := sendList(conn, list); err != nil {
				return nil
			}
		case in, ok := <-conn.In():
			if !ok {
				return nil
			}
			if in.Err != nil {
				if wsconn.IsClosed(in.Err) {
					return nil
				}
				return in.Err
			}
			switch m := in.Msg.(type) {
			case *protocol.Subscribe:
				if sub != nil {
					return protocol.Errorf(protocol.ErrUnexpected, "already subscribed; reconnect to subscribe again")
				}
				// Subscribe before reading the store, so nothing falls
				// between the two; the sender drops what it already sent.
				sub = f.cfg.Hub.Subscribe(mayView)
				hubC = sub.C
				list, err := f.cfg.Roster.List(allowed)
				if err != nil {
					return err
				}
				if err := sendList(conn, list); err != nil {
					return nil
				}
				for _, s := range list {
					snd.sent[s.ID] = m.Since[s.ID]
					if err := snd.catchUp(s.ID); err != nil {
						return err
					}
				}
			case *protocol.Watch:
				if !mayView(m.Sitting) {
					return protocol.Errorf(protocol.ErrForbidden, "sitting %s is not assigned to you", m.Sitting)
				}
				var peer *media.Peer
				var answer string
				var err error
				if old, ok := views[m.View]; ok && old.sitting == m.Sitting && old.peer.SameSession(m.SDP) {
					// The same browser connection offers again: an ICE
					// restart or a renegotiation.
					peer = old.peer
				} else if kept := f.adopt(m.View, m.Sitting, m.SDP); kept != nil {
					peer = kept
				}
				if peer != nil {
					if answer, err = peer.Renegotiate(m.SDP); err != nil {
						// It cannot go on: a new connection instead, whose
						// answer makes the browser start over too.
						f.log.Debug("renegotiation failed; watching anew", "view", m.View, "err", err)
						peer.Close()
						delete(views, m.View)
						peer = nil
					}
				}
				if peer == nil {
					peer, answer, err = f.cfg.SFU.Watch(m.Sitting, m.View, m.SDP, m.Layer)
				}
				if errors.Is(err, media.ErrBadSDP) {
					return protocol.Errorf(protocol.ErrInvalid, "watch offer refused: %v", err)
				}
				if err != nil {
					return err
				}
				if old, ok := views[m.View]; ok && old.peer != peer {
					old.peer.Close()
				}
				views[m.View] = watching{peer: peer, sitting: m.Sitting}
				if err := conn.Send(&protocol.Watching{View: m.View, SDP: answer}); err != nil {
					return nil
				}
			case *protocol.ViewCandidate:
				w, ok := views[m.View]
				if !ok {
					return protocol.Errorf(protocol.ErrUnexpected, "candidate for view %s before its watch", m.View)
				}
				if err := w.peer.AddCandidate(m.Candidate); err != nil {
					// A candidate of an ICE generation the last offer
					// replaced is stale, not an attack: drop it.
					f.log.Debug("view candidate refused", "view", m.View, "err", err)
				}
			case *protocol.Unwatch:
				if w, ok := views[m.View]; ok {
					w.peer.Close()
					delete(views, m.View)
				}
			case *protocol.Focus:
				if m.Sitting != "" && !mayView(m.Sitting) {
					return protocol.Errorf(protocol.ErrForbidden, "sitting %s is not assigned to you", m.Sitting)
				}
				focus = m.Sitting
				if focus != "" {
					if err := assessment(); err != nil {
						return nil
					}
				}
			}
		case m, ok := <-hubC:
			if !ok {
				if sub.Overflowed() {
					return protocol.Errorf(protocol.ErrRateLimited, "this page fell behind the live feed; it reconnects and catches up")
				}
				return nil
			}
			switch m := m.(type) {
			case *protocol.Record:
				if err := snd.live(m); err != nil {
					return nil
				}
			case *protocol.SittingUpdate:
				if err := conn.Send(m); err != nil {
					return nil
				}
				if _, known := snd.sent[m.Sitting.ID]; !known {
					// Newly assigned to this proctor: its records so far.
					snd.sent[m.Sitting.ID] = 0
					if err := snd.catchUp(m.Sitting.ID); err != nil {
						return err
					}
				}
				if focus != "" && m.Sitting.ID == focus {
					if err := assessment(); err != nil {
						return nil
					}
				}
			}
		}
	}
}

// sendList sends the list of sittings in parts that each fit a frame.
func sendList(conn *wsconn.Conn, list []protocol.SittingSummary) error {
	var part []protocol.SittingSummary
	size := 0
	for _, s := range list {
		raw, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode summary of %s: %w", s.ID, err)
		}
		if len(part) > 0 && size+len(raw)+1 > listPartBytes {
			if err := conn.Send(&protocol.Sittings{Sittings: part, More: true}); err != nil {
				return err
			}
			part, size = nil, 0
		}
		part = append(part, s)
		size += len(raw) + 1
	}
	if part == nil {
		part = []protocol.SittingSummary{}
	}
	return conn.Send(&protocol.Sittings{Sittings: part})
}

// Candidate serves the candidate page's channel; the page token (query t)
// opens exactly one sitting.
func (f *Feed) Candidate(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	st, err := f.cfg.Store.SittingByPageTokenHash(auth.TokenHash(token))
	conn, aerr := wsconn.Accept(w, r, f.cand, wsconn.Options{Log: f.log, ReadTimeout: 90 * time.Second})
	if aerr != nil {
		return
	}
	if !f.track(conn) {
		conn.Fail(protocol.Errorf(protocol.ErrShuttingDown, "the server is restarting"))
		conn.Wait()
		return
	}
	defer f.untrack(conn)
	defer conn.Wait()
	switch {
	case token == "" || errors.Is(err, store.ErrNotFound):
		conn.Fail(protocol.Errorf(protocol.ErrUnauthorized, "this page's link is not valid any more: open the link the agent printed last"))
		return
	case err != nil:
		conn.Fail(err)
		return
	}
	if err := f.candidateSession(conn, st); err != nil {
		conn.Fail(err)
	}
}

func (f *Feed) candidateSession(conn *wsconn.Conn, st store.Sitting) error {
	sub := f.cfg.Hub.Subscribe(func(id protocol.SittingID) bool { return id == st.ID })
	defer f.cfg.Hub.Unsubscribe(sub)
	status := func(s protocol.SittingSummary) *protocol.Status {
		return &protocol.Status{Sitting: s.SittingInfo, State: s.State, Media: s.Media, Notice: f.cfg.Notice}
	}
	if err := conn.Send(status(f.cfg.Roster.Summary(st))); err != nil {
		return nil
	}
	snd := &sender{conn: conn, st: f.cfg.Store, sent: map[protocol.SittingID]uint64{}, only: forCandidate}
	if err := snd.catchUp(st.ID); err != nil {
		return err
	}
	for {
		select {
		case in, ok := <-conn.In():
			if !ok {
				return nil
			}
			if in.Err != nil {
				if wsconn.IsClosed(in.Err) {
					return nil
				}
				return in.Err
			}
			// Heartbeats only keep the connection open.
		case m, ok := <-sub.C:
			if !ok {
				if sub.Overflowed() {
					return protocol.Errorf(protocol.ErrRateLimited, "this page fell behind; it reconnects and catches up")
				}
				return nil
			}
			var err error
			switch m := m.(type) {
			case *protocol.Record:
				err = snd.live(m)
			case *protocol.SittingUpdate:
				err = conn.Send(status(m.Sitting))
			case *protocol.Command:
				err = conn.Send(m)
			}
			if err != nil {
				return nil
			}
		}
	}
}
