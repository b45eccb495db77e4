package camera

import (
	"strconv"
	"sync"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Subject is the span subject of rule 10.6 events.
const Subject = "camera"

// Monitor turns the arrival of frames into rule 10.6 transitions: a span
// starts when no frame came for LostAfter, or at once when the device
// fails, and ends with the next frame. It is safe for concurrent use: frames
// arrive on the capture goroutine, ticks on a timer.
type Monitor struct {
	// LostAfter is how long without a frame counts as a lost camera
	// (rule 10.6 default: 2 s).
	LostAfter time.Duration

	mu      sync.Mutex
	last    time.Time
	started bool
	lost    bool
}

// Started reports the camera starting: an instant, informational event
// naming the device and size, so the proctor knows what the agent sees.
func (m *Monitor) Started(now time.Time, name string, w, h int) []finding.Transition {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = now
	m.started = true
	return []finding.Transition{{
		Rule: protocol.Rule10_6, Subject: Subject + ".started", Kind: protocol.KindInstant, At: now,
		Severity: protocol.SeverityInfo, Key: i18n.Key("camera.started"),
		Args: i18n.Args{"device": name, "width": strconv.Itoa(w), "height": strconv.Itoa(h)},
	}}
}

// Frame records a frame at now; it ends an open span.
func (m *Monitor) Frame(now time.Time) []finding.Transition {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = now
	m.started = true
	if !m.lost {
		return nil
	}
	m.lost = false
	return []finding.Transition{{
		Rule: protocol.Rule10_6, Subject: Subject, Kind: protocol.KindEnd, At: now,
		Severity: protocol.SeverityInfo, Key: i18n.Key("camera.restored"),
	}}
}

// Tick checks for a gap; call it a few times a second.
func (m *Monitor) Tick(now time.Time) []finding.Transition {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started || m.lost || now.Sub(m.last) < m.LostAfter {
		return nil
	}
	m.lost = true
	return []finding.Transition{{
		Rule: protocol.Rule10_6, Subject: Subject, Kind: protocol.KindStart, At: m.last,
		Severity: protocol.SeverityViolation, Key: i18n.Key("camera.lost"),
		Args: i18n.Args{"seconds": strconv.FormatFloat(m.LostAfter.Seconds(), 'f', -1, 64)},
	}}
}

// Failed reports the device failing (unplugged, driver error): the span
// starts at once.
func (m *Monitor) Failed(now time.Time, reason string) []finding.Transition {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.started = true
	if m.lost {
		return nil
	}
	m.lost = true
	return []finding.Transition{{
		Rule: protocol.Rule10_6, Subject: Subject, Kind: protocol.KindStart, At: now,
		Severity: protocol.SeverityViolation, Key: i18n.Key("camera.disconnected"),
		Args: i18n.Args{"reason": reason},
	}}
}
