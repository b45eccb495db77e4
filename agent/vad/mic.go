package vad

import (
	"fmt"
	"math"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// MicProblem names what is wrong with the microphone.
type MicProblem string

// Microphone problems, from the most to the least serious; when several hold
// at once the first is reported.
const (
	MicOK        MicProblem = ""
	MicMissing   MicProblem = "missing"    // no capture device
	MicMuted     MicProblem = "muted"      // the device or its source is muted
	MicNoSamples MicProblem = "no_samples" // the device delivers nothing
	MicSilent    MicProblem = "silent"     // it delivers digital silence
)

// MicConfig is the policy for microphone health. Zero fields take the
// defaults of DefaultMicConfig.
type MicConfig struct {
	// MissingAfter is the grace before a missing or muted device is
	// reported, so unplugging and replugging does not raise a span. Default 2 s.
	MissingAfter time.Duration
	// NoSamplesAfter is how long the device may deliver nothing. Default 3 s.
	NoSamplesAfter time.Duration
	// SilentAfter is how long the input may be digital silence: a working
	// microphone always picks up some room noise. Default 10 s.
	SilentAfter time.Duration
	// SilenceDBFS: samples whose magnitude stays at or below this level are
	// digital silence. Default -90 dBFS, about one step of 16-bit audio.
	SilenceDBFS float64
	// Severity of the spans. Default protocol.SeveritySuspected; the exam
	// policy may make it a violation.
	Severity protocol.Severity
}

// DefaultMicConfig returns the default microphone policy.
func DefaultMicConfig() MicConfig {
	return MicConfig{
		MissingAfter:   2 * time.Second,
		NoSamplesAfter: 3 * time.Second,
		SilentAfter:    10 * time.Second,
		SilenceDBFS:    -90,
		Severity:       protocol.SeveritySuspected,
	}
}

func (c MicConfig) withDefaults() MicConfig {
	d := DefaultMicConfig()
	if c.MissingAfter == 0 {
		c.MissingAfter = d.MissingAfter
	}
	if c.NoSamplesAfter == 0 {
		c.NoSamplesAfter = d.NoSamplesAfter
	}
	if c.SilentAfter == 0 {
		c.SilentAfter = d.SilentAfter
	}
	if c.SilenceDBFS == 0 {
		c.SilenceDBFS = d.SilenceDBFS
	}
	if c.Severity == "" {
		c.Severity = d.Severity
	}
	return c
}

// Validate reports the first field out of range.
func (c MicConfig) Validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"missing after", c.MissingAfter}, {"no samples after", c.NoSamplesAfter}, {"silent after", c.SilentAfter}} {
		if f.d <= 0 || f.d > 10*time.Minute {
			return fmt.Errorf("%w: microphone %s %v: use more than 0 and at most 10m", ErrConfig, f.name, f.d)
		}
	}
	if c.SilenceDBFS < -140 || c.SilenceDBFS > -40 {
		return fmt.Errorf("%w: silence level %.1f dBFS: use -140 … -40 dBFS", ErrConfig, c.SilenceDBFS)
	}
	return validSeverity(c.Severity)
}

// MicInput is what the capture layer saw since the previous update.
type MicInput struct {
	// Missing: there is no capture device (none found, or it disappeared).
	Missing bool
	// Muted: the device or its source is muted (e.g. PulseAudio source mute).
	Muted bool
	// Samples captured since the previous update (mono, any rate); empty
	// when none arrived.
	Samples []float32
}

// MicWatcher reports a microphone that is missing, muted, delivers no
// samples or delivers only digital silence as a rule 10.8 span with subject
// "microphone": without a working microphone rule 10.8 cannot be checked.
// It is pure and not safe for concurrent use.
type MicWatcher struct {
	cfg          MicConfig
	silence      float64 // linear magnitude of SilenceDBFS
	started      bool
	lastSample   time.Time
	lastSound    time.Time
	missingSince time.Time
	mutedSince   time.Time
	problem      MicProblem
}

// NewMicWatcher returns a MicWatcher for cfg (zero fields take the defaults).
func NewMicWatcher(cfg MicConfig) (*MicWatcher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &MicWatcher{cfg: cfg, silence: math.Pow(10, cfg.SilenceDBFS/20)}, nil
}

// Problem returns the problem currently reported (MicOK when none).
func (m *MicWatcher) Problem() MicProblem { return m.problem }

// Update takes what the capture layer saw up to now and returns the
// transitions it causes: the end of the span of the previous problem and the
// start of the span of a new one. Call it regularly (every few hundred
// milliseconds) even when no samples arrive, since their absence is what it
// watches for.
func (m *MicWatcher) Update(now time.Time, in MicInput) []finding.Transition {
	if !m.started {
		m.started = true
		m.lastSample, m.lastSound = now, now
	}
	if len(in.Samples) > 0 {
		m.lastSample = now
		for _, s := range in.Samples {
			if float64(s) > m.silence || float64(s) < -m.silence {
				m.lastSound = now
				break
			}
		}
	}
	m.missingSince = since(m.missingSince, in.Missing, now)
	m.mutedSince = since(m.mutedSince, in.Muted, now)

	problem, at := MicOK, now
	switch {
	case in.Missing && now.Sub(m.missingSince) >= m.cfg.MissingAfter:
		problem, at = MicMissing, m.missingSince
	case in.Muted && now.Sub(m.mutedSince) >= m.cfg.MissingAfter:
		problem, at = MicMuted, m.mutedSince
	case now.Sub(m.lastSample) >= m.cfg.NoSamplesAfter:
		problem, at = MicNoSamples, m.lastSample
	case now.Sub(m.lastSound) >= m.cfg.SilentAfter:
		problem, at = MicSilent, m.lastSound
	}
	if problem == m.problem {
		return nil
	}
	var out []finding.Transition
	if m.problem != MicOK {
		out = append(out, m.transition(protocol.KindEnd, now, i18n.Key("vad.mic.restored"), nil))
	}
	if problem != MicOK {
		if at.Before(now) && len(out) > 0 {
			at = now // one span at a time: the new one starts where the old ended
		}
		out = append(out, m.transition(protocol.KindStart, at, micKey(problem), i18n.Args{"seconds": seconds(now.Sub(at))}))
	}
	m.problem = problem
	return out
}

// since keeps the time a condition began, or resets it when it is not true.
func since(t time.Time, cond bool, now time.Time) time.Time {
	switch {
	case !cond:
		return time.Time{}
	case t.IsZero():
		return now
	}
	return t
}

func micKey(p MicProblem) i18n.Key {
	switch p {
	case MicMissing:
		return i18n.Key("vad.mic.missing.start")
	case MicMuted:
		return i18n.Key("vad.mic.muted.start")
	case MicNoSamples:
		return i18n.Key("vad.mic.nosamples.start")
	}
	return i18n.Key("vad.mic.silent.start")
}

func (m *MicWatcher) transition(kind protocol.EventKind, at time.Time, key i18n.Key, args i18n.Args) finding.Transition {
	return finding.Transition{
		Rule: protocol.Rule10_8, Subject: SubjectMicrophone, Kind: kind, At: at,
		Severity: m.cfg.Severity, Key: key, Args: args,
	}
}
