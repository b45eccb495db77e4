// Package finding is the common shape of what the agent's detectors observe
// and report. Sensors (camera analysis, system checks, voice activity) turn
// their observations into Transitions; the agent's session numbers them,
// stores them in the outbox and sends them as protocol events.
//
// Detectors stay pure: they return Transitions from their Update methods and
// never talk to the network, so they can be tested frame by frame and reused
// by the offline commands (check, analyze).
package finding

import (
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Evidence is a file that supports a transition, held in memory until the
// session uploads it and turns it into a protocol.EvidenceRef.
type Evidence struct {
	// Kind says what the file shows.
	Kind protocol.EvidenceKind
	// MIME is the file's media type, e.g. "image/jpeg".
	MIME string
	// Data is the file's bytes. Keep it small: snapshots are downscaled.
	Data []byte
}

// Transition is a change a detector observed: a span starts or ends, or an
// instant fact happened.
type Transition struct {
	// Rule is the clause of p.10 concerned.
	Rule protocol.RuleID
	// Subject names what the span is about and is the same on its start and
	// end, e.g. "face", "camera", "process:anydesk". Two spans of one rule
	// with different subjects can be open at once.
	Subject string
	// Kind is start, end or instant.
	Kind protocol.EventKind
	// At is when the condition was observed (for a start after a grace
	// period, when the condition first appeared).
	At time.Time
	// Severity grades the observation.
	Severity protocol.Severity
	// Key and Args give the human text shown to candidate and proctor.
	Key  i18n.Key
	Args i18n.Args
	// Evidence supports the transition; usually only on starts.
	Evidence []Evidence
}

// Debounce turns a condition sampled over time into spans with hysteresis: a
// span starts once the condition has held for On without a break, and ends
// once it has been absent for Off. A flicker shorter than either produces
// nothing, so one event is not reported twice.
//
// The zero value starts on the first true sample and ends on the first false.
type Debounce struct {
	// On is how long the condition must hold before the span starts.
	On time.Duration
	// Off is how long the condition must be gone before the span ends.
	Off time.Duration

	active    bool
	since     time.Time // when the current run of the opposite state began
	haveSince bool
}

// Update feeds one sample taken at now and reports whether the span started
// (started true) or ended (ended true) with this sample, and when the
// condition began or stopped (at). Samples must come in time order.
func (d *Debounce) Update(now time.Time, cond bool) (started, ended bool, at time.Time) {
	if cond == d.active {
		d.haveSince = false
		return false, false, time.Time{}
	}
	if !d.haveSince {
		d.since, d.haveSince = now, true
	}
	wait := d.On
	if d.active {
		wait = d.Off
	}
	if now.Sub(d.since) < wait {
		return false, false, time.Time{}
	}
	d.active = !d.active
	d.haveSince = false
	return d.active, !d.active, d.since
}

// Active reports whether a span is open.
func (d *Debounce) Active() bool { return d.active }

// Reset forgets any open span and pending change.
func (d *Debounce) Reset() { *d = Debounce{On: d.On, Off: d.Off} }
