package vad

import (
	"fmt"
	"strconv"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Subjects of the transitions this package emits.
const (
	// SubjectSpeech is the subject of rule 10.8 speech spans.
	SubjectSpeech = "speech"
	// SubjectVoice is the subject of the rule 10.2 spans that mirror them
	// when WatcherConfig.AlsoRule10_2 is set.
	SubjectVoice = "voice"
	// SubjectMicrophone is the subject of microphone-health spans.
	SubjectMicrophone = "microphone"
)

// WatcherConfig is the rule 10.8 policy for speech. Zero fields take the
// defaults of DefaultWatcherConfig.
type WatcherConfig struct {
	// MinSpeech is how much speech within Window starts a span. Default 3 s.
	MinSpeech time.Duration
	// Window is the sliding interval MinSpeech is counted in. Default 10 s.
	Window time.Duration
	// EndAfter is how long no speech must be heard before an open span ends
	// (the hysteresis that keeps one conversation one span). Default 5 s.
	EndAfter time.Duration
	// Severity of the spans. Default protocol.SeveritySuspected: speech is
	// evidence for the proctor to listen to, not a proven breach.
	Severity protocol.Severity
	// AlsoRule10_2 mirrors every speech span with a rule 10.2 span (subject
	// "voice"), since another voice may be another person in the room. When
	// false the rule 10.8 text still cites 10.2.
	AlsoRule10_2 bool
}

// DefaultWatcherConfig returns the default policy: 3 s of speech within
// 10 s, ended after 5 s without speech, suspected.
func DefaultWatcherConfig() WatcherConfig {
	return WatcherConfig{
		MinSpeech: 3 * time.Second,
		Window:    10 * time.Second,
		EndAfter:  5 * time.Second,
		Severity:  protocol.SeveritySuspected,
	}
}

func (c WatcherConfig) withDefaults() WatcherConfig {
	d := DefaultWatcherConfig()
	if c.MinSpeech == 0 {
		c.MinSpeech = d.MinSpeech
	}
	if c.Window == 0 {
		c.Window = d.Window
	}
	if c.EndAfter == 0 {
		c.EndAfter = d.EndAfter
	}
	if c.Severity == "" {
		c.Severity = d.Severity
	}
	return c
}

// Validate reports the first field out of range.
func (c WatcherConfig) Validate() error {
	switch {
	case c.Window <= 0 || c.Window > 10*time.Minute:
		return fmt.Errorf("%w: speech window %v: use more than 0 and at most 10m", ErrConfig, c.Window)
	case c.MinSpeech <= 0 || c.MinSpeech > c.Window:
		return fmt.Errorf("%w: minimum speech %v: use more than 0 and at most the window (%v)", ErrConfig, c.MinSpeech, c.Window)
	case c.EndAfter <= 0 || c.EndAfter > 10*time.Minute:
		return fmt.Errorf("%w: end after %v: use more than 0 and at most 10m", ErrConfig, c.EndAfter)
	}
	return validSeverity(c.Severity)
}

func validSeverity(s protocol.Severity) error {
	switch s {
	case protocol.SeverityInfo, protocol.SeveritySuspected, protocol.SeverityViolation:
		return nil
	}
	return fmt.Errorf("%w: severity %q: use info, suspected or violation", ErrConfig, s)
}

// run is a stretch of speech in wall-clock time.
type run struct{ start, end time.Time }

// Watcher applies the rule 10.8 policy to the detector's frames: speech
// while the stage is not one where the candidate speaks, adding up to
// MinSpeech within Window, opens a span that starts where that speech
// started; the span ends at the last speech once EndAfter has passed
// without any. The proctor can then play exactly that part of the recording.
//
// Watcher is pure: it does no I/O and keeps no clock; it is not safe for
// concurrent use.
type Watcher struct {
	cfg        WatcherConfig
	allowed    bool
	runs       []run
	active     bool
	spanStart  time.Time
	lastSpeech time.Time // end of the latest speech frame
}

// NewWatcher returns a Watcher for cfg (zero fields take the defaults).
// Speaking starts out not allowed.
func NewWatcher(cfg WatcherConfig) (*Watcher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Watcher{cfg: cfg}, nil
}

// Config returns the policy in use, with defaults filled in.
func (w *Watcher) Config() WatcherConfig { return w.cfg }

// Active reports whether a speech span is open.
func (w *Watcher) Active() bool { return w.active }

// Update takes frames from Detector.Process, the last of which ended at now
// (wall clock; subtract Detector.Latency from the capture time of the newest
// sample), and returns the transitions they cause, in time order. Calling it
// with no frames only lets an open span end once EndAfter has passed.
func (w *Watcher) Update(now time.Time, frames []Frame) []finding.Transition {
	var out []finding.Transition
	if len(frames) == 0 {
		return w.checkEnd(out, now)
	}
	last := frames[len(frames)-1].End()
	for _, f := range frames {
		end := now.Add(f.End() - last)
		if w.allowed {
			continue
		}
		if f.Speech {
			start := end.Add(-f.Duration)
			if n := len(w.runs); n > 0 && !start.After(w.runs[n-1].end.Add(time.Millisecond)) {
				w.runs[n-1].end = end
			} else {
				w.runs = append(w.runs, run{start, end})
			}
			w.lastSpeech = end
			out = w.checkStart(out, end)
			continue
		}
		out = w.checkEnd(out, end)
	}
	return w.checkEnd(out, now)
}

// checkStart opens a span if the speech in the window ending at t reaches
// MinSpeech.
func (w *Watcher) checkStart(out []finding.Transition, t time.Time) []finding.Transition {
	from := t.Add(-w.cfg.Window)
	// Forget runs wholly before the window.
	i := 0
	for i < len(w.runs) && !w.runs[i].end.After(from) {
		i++
	}
	w.runs = w.runs[i:]
	if w.active || len(w.runs) == 0 {
		return out
	}
	var total time.Duration
	for _, r := range w.runs {
		s := r.start
		if s.Before(from) {
			s = from
		}
		total += r.end.Sub(s)
	}
	if total < w.cfg.MinSpeech {
		return out
	}
	w.active = true
	w.spanStart = w.runs[0].start // from where that speech began, even before the window
	args := i18n.Args{"seconds": seconds(total), "window": seconds(w.cfg.Window)}
	out = append(out, finding.Transition{
		Rule: protocol.Rule10_8, Subject: SubjectSpeech, Kind: protocol.KindStart, At: w.spanStart,
		Severity: w.cfg.Severity, Key: i18n.Key("vad.speech.start"), Args: args,
	})
	if w.cfg.AlsoRule10_2 {
		out = append(out, finding.Transition{
			Rule: protocol.Rule10_2, Subject: SubjectVoice, Kind: protocol.KindStart, At: w.spanStart,
			Severity: w.cfg.Severity, Key: i18n.Key("vad.voices.start"), Args: args,
		})
	}
	return out
}

// checkEnd closes an open span once EndAfter has passed at t since the last speech.
func (w *Watcher) checkEnd(out []finding.Transition, t time.Time) []finding.Transition {
	if !w.active || t.Sub(w.lastSpeech) < w.cfg.EndAfter {
		return out
	}
	return w.end(out)
}

// end closes the open span at the last speech heard.
func (w *Watcher) end(out []finding.Transition) []finding.Transition {
	w.active = false
	w.runs = w.runs[:0]
	args := i18n.Args{"seconds": seconds(w.lastSpeech.Sub(w.spanStart))}
	out = append(out, finding.Transition{
		Rule: protocol.Rule10_8, Subject: SubjectSpeech, Kind: protocol.KindEnd, At: w.lastSpeech,
		Severity: w.cfg.Severity, Key: i18n.Key("vad.speech.end"), Args: args,
	})
	if w.cfg.AlsoRule10_2 {
		out = append(out, finding.Transition{
			Rule: protocol.Rule10_2, Subject: SubjectVoice, Kind: protocol.KindEnd, At: w.lastSpeech,
			Severity: w.cfg.Severity, Key: i18n.Key("vad.voices.end"), Args: args,
		})
	}
	return out
}

// SetSpeakingAllowed tells the watcher, at now, whether the current stage is
// one where the candidate speaks (an interview, a question answered aloud).
// While it is, speech is not counted. Allowing speech ends an open span at
// the last speech heard before; either change forgets the speech counted so
// far, so a span never mixes the two kinds of stage.
func (w *Watcher) SetSpeakingAllowed(now time.Time, allowed bool) []finding.Transition {
	if allowed == w.allowed {
		return nil
	}
	w.allowed = allowed
	var out []finding.Transition
	if w.active {
		if w.lastSpeech.After(now) {
			w.lastSpeech = now
		}
		out = w.end(out)
	}
	w.runs = w.runs[:0]
	return out
}

// seconds formats d as whole seconds for a message, at least 1.
func seconds(d time.Duration) string {
	s := int((d + time.Second/2) / time.Second)
	return strconv.Itoa(max(s, 1))
}
