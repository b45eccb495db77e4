// Package outbox is the agent's durable queue of rule events. Every event
// and its evidence are written to a local bbolt file before anything is
// sent, numbered per sitting without gaps, and kept until the server
// acknowledges them — so a network cut, a server restart or an agent crash
// loses nothing, and the server (idempotent by sequence number) stores each
// event once.
//
// The outbox also pairs spans: an end event carries the sequence number of
// its start. Spans left open when the agent stopped are closed when it
// starts again (CloseOpen), so no span stays open forever.
//
// Event times are the server's clock, not the candidate's: the session
// measures how far the computer's clock is from the server's at every
// connection (SetClockOffset), the outbox keeps that offset across
// restarts, and Add shifts each event's time by it. A laptop whose clock is
// minutes off still puts its events where they happened on the recording.
package outbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// ErrLocked means another agent has the outbox open.
var ErrLocked = errors.New("the outbox is in use by another kuzet-agent")

var (
	bMeta     = []byte("meta")
	bPending  = []byte("pending")  // seq → event JSON, until acked
	bHeld     = []byte("held")     // local number → event JSON without seq, until the base is known
	bOpen     = []byte("open")     // rule|subject → start seq
	bEvidence = []byte("evidence") // evidence id → bytes, until uploaded
	kNext     = []byte("next_seq")
	kBase     = []byte("base_known")
	kResume   = []byte("resume_token")
	kClock    = []byte("clock_offset_ns") // server's clock minus the computer's
)

// Outbox is safe for concurrent use.
type Outbox struct {
	db *bolt.DB
	mu sync.Mutex
	// notify is signalled when a new event is ready to send.
	notify chan struct{}
	// clock is the server's clock minus the computer's, in nanoseconds.
	clock atomic.Int64
}

// Open opens (creating if needed) the outbox file at path.
func Open(path string) (*Outbox, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create outbox directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	o := &Outbox{db: db, notify: make(chan struct{}, 1)}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bPending, bHeld, bOpen, bEvidence} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if v := tx.Bucket(bMeta).Get(kClock); len(v) == 8 {
			o.clock.Store(int64(binary.BigEndian.Uint64(v)))
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare outbox: %w", err)
	}
	return o, nil
}

// SetClockOffset records how far the server's clock is ahead of this
// computer's (negative: behind); events added from now on carry times on
// the server's clock. The offset is kept for the next start, whose first
// events may come before it can reach the server.
func (o *Outbox) SetClockOffset(d time.Duration) error {
	o.clock.Store(int64(d))
	return o.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put(kClock, u64(uint64(d)))
	})
}

// ClockOffset is the offset SetClockOffset last recorded (0 before any).
func (o *Outbox) ClockOffset() time.Duration { return time.Duration(o.clock.Load()) }

// Close closes the file.
func (o *Outbox) Close() error { return o.db.Close() }

// Ready is signalled whenever a new event becomes ready to send.
func (o *Outbox) Ready() <-chan struct{} { return o.notify }

func (o *Outbox) signal() {
	select {
	case o.notify <- struct{}{}:
	default:
	}
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func spanKey(rule protocol.RuleID, subject string) []byte {
	return []byte(string(rule) + "|" + subject)
}

// Base tells the outbox the highest sequence number the server holds for
// the sitting. New events are numbered after both it and every number this
// outbox used; events held while the base was unknown are numbered now.
func (o *Outbox) Base(serverLast uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	err := o.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		next := uint64(1)
		if v := meta.Get(kNext); v != nil {
			next = binary.BigEndian.Uint64(v)
		}
		if next <= serverLast {
			next = serverLast + 1
		}
		held := tx.Bucket(bHeld)
		var keys [][]byte
		err := held.ForEach(func(k, v []byte) error {
			var ev protocol.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return err
			}
			if err := o.number(tx, &ev, &next); err != nil {
				return err
			}
			keys = append(keys, append([]byte(nil), k...))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := held.Delete(k); err != nil {
				return err
			}
		}
		if err := meta.Put(kNext, u64(next)); err != nil {
			return err
		}
		return meta.Put(kBase, []byte{1})
	})
	if err == nil {
		o.signal()
	}
	return err
}

// number gives ev the next sequence number, pairs it with its span and
// stores it as pending.
func (o *Outbox) number(tx *bolt.Tx, ev *protocol.Event, next *uint64) error {
	ev.Seq = *next
	*next++
	open := tx.Bucket(bOpen)
	key := spanKey(ev.Rule, ev.Subject)
	switch ev.Kind {
	case protocol.KindStart:
		if err := open.Put(key, u64(ev.Seq)); err != nil {
			return err
		}
	case protocol.KindEnd:
		v := open.Get(key)
		if v == nil {
			return fmt.Errorf("end of %s %s without a start", ev.Rule, ev.Subject)
		}
		ev.StartSeq = binary.BigEndian.Uint64(v)
		if err := open.Delete(key); err != nil {
			return err
		}
	}
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("event %d: %w", ev.Seq, err)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return tx.Bucket(bPending).Put(u64(ev.Seq), raw)
}

// Add stores a detector's transition as an event, with its evidence. It
// returns false (and stores nothing) for a start of a span that is already
// open or an end of one that is not — a detector restarting does not make
// two spans of one. The event is durable when Add returns.
func (o *Outbox) Add(t finding.Transition) (protocol.Event, bool, error) {
	ev := protocol.Event{Time: t.At.Add(o.ClockOffset()).UTC(), Rule: t.Rule, Kind: t.Kind, Subject: t.Subject,
		Severity: t.Severity, Key: string(t.Key)}
	if len(t.Args) > 0 {
		ev.Args = make(map[string]string, len(t.Args))
		for k, v := range t.Args {
			ev.Args[k] = v
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	added := false
	err := o.db.Update(func(tx *bolt.Tx) error {
		open := tx.Bucket(bOpen)
		isOpen := open.Get(spanKey(t.Rule, t.Subject)) != nil || o.heldOpen(tx, t.Rule, t.Subject)
		if t.Kind == protocol.KindStart && isOpen || t.Kind == protocol.KindEnd && !isOpen {
			return nil
		}
		for _, e := range t.Evidence {
			id, err := randomID()
			if err != nil {
				return err
			}
			sum := sha256.Sum256(e.Data)
			if err := tx.Bucket(bEvidence).Put([]byte(id), e.Data); err != nil {
				return err
			}
			ev.Evidence = append(ev.Evidence, protocol.EvidenceRef{ID: id, Kind: e.Kind, MIME: e.MIME,
				SHA256: hex.EncodeToString(sum[:]), Size: int64(len(e.Data))})
		}
		added = true
		meta := tx.Bucket(bMeta)
		if meta.Get(kBase) == nil {
			// Numbering waits for the server's base (see Base).
			held := tx.Bucket(bHeld)
			n, err := held.NextSequence()
			if err != nil {
				return err
			}
			raw, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			return held.Put(u64(n), raw)
		}
		next := binary.BigEndian.Uint64(meta.Get(kNext))
		if err := o.number(tx, &ev, &next); err != nil {
			return err
		}
		return meta.Put(kNext, u64(next))
	})
	if err != nil {
		return ev, false, fmt.Errorf("outbox: %w", err)
	}
	if added {
		o.signal()
	}
	return ev, added, nil
}

// heldOpen reports whether the held (unnumbered) events leave a span open.
func (o *Outbox) heldOpen(tx *bolt.Tx, rule protocol.RuleID, subject string) bool {
	open := false
	_ = tx.Bucket(bHeld).ForEach(func(k, v []byte) error {
		var ev protocol.Event
		if json.Unmarshal(v, &ev) == nil && ev.Rule == rule && ev.Subject == subject {
			open = ev.Kind == protocol.KindStart
		}
		return nil
	})
	return open
}

// Pending returns the numbered events not yet acknowledged, in order.
func (o *Outbox) Pending() ([]protocol.Event, error) {
	var out []protocol.Event
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bPending).ForEach(func(k, v []byte) error {
			var ev protocol.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("pending event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, ev)
			return nil
		})
	})
	return out, err
}

// ResumeToken is the token the server gave in exchange for the join
// token, or "" before the first connection.
func (o *Outbox) ResumeToken() (string, error) {
	var tok string
	err := o.db.View(func(tx *bolt.Tx) error {
		tok = string(tx.Bucket(bMeta).Get(kResume))
		return nil
	})
	return tok, err
}

// SetResumeToken keeps (or, with "", forgets) the resume token.
func (o *Outbox) SetResumeToken(tok string) error {
	return o.db.Update(func(tx *bolt.Tx) error {
		if tok == "" {
			return tx.Bucket(bMeta).Delete(kResume)
		}
		return tx.Bucket(bMeta).Put(kResume, []byte(tok))
	})
}

// LastSeq is the highest sequence number the outbox has given out (0
// before any).
func (o *Outbox) LastSeq() (uint64, error) {
	var last uint64
	err := o.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(kNext); v != nil {
			last = binary.BigEndian.Uint64(v) - 1
		}
		return nil
	})
	return last, err
}

// Ack drops an acknowledged event (its evidence was uploaded before it
// was sent).
func (o *Outbox) Ack(seq uint64) error {
	return o.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bPending).Delete(u64(seq)) })
}

// Evidence returns a stored evidence file not yet uploaded, or nil.
func (o *Outbox) Evidence(id string) ([]byte, error) {
	var data []byte
	err := o.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bEvidence).Get([]byte(id)); v != nil {
			data = append([]byte(nil), v...)
		}
		return nil
	})
	return data, err
}

// Uploaded drops an evidence file the server has confirmed.
func (o *Outbox) Uploaded(id string) error {
	return o.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bEvidence).Delete([]byte(id)) })
}

// CloseOpen ends every span left open by an earlier run of the agent, at
// now: the detectors start afresh and open a new span if the condition
// still holds.
func (o *Outbox) CloseOpen(now time.Time) (int, error) {
	type span struct {
		rule    protocol.RuleID
		subject string
	}
	var spans []span
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOpen).ForEach(func(k, v []byte) error {
			for i := range k {
				if k[i] == '|' {
					spans = append(spans, span{protocol.RuleID(k[:i]), string(k[i+1:])})
					break
				}
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	for _, s := range spans {
		if _, _, err := o.Add(finding.Transition{Rule: s.rule, Subject: s.subject, Kind: protocol.KindEnd, At: now,
			Severity: protocol.SeverityInfo, Key: i18n.Key("agent.span_closed_on_restart")}); err != nil {
			return 0, err
		}
	}
	return len(spans), nil
}

func randomID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "ev-" + hex.EncodeToString(b), nil
}
