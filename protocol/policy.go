package protocol

import "fmt"

// Policy is the exam policy the server sends in Welcome. Durations are in
// milliseconds. Later issues add sections for each rule; a zero field means
// the agent's default.
type Policy struct {
	// HeartbeatMS is how often the agent sends a heartbeat.
	HeartbeatMS int `json:"heartbeat_ms"`
	// CameraLostMS is how long without a camera frame before rule 10.6 is
	// reported (default 2000).
	CameraLostMS int `json:"camera_lost_ms"`
	// Checks configures the system checks (rules 10.9–10.11).
	Checks ChecksPolicy `json:"checks"`
	// Speech configures the voice detector (rule 10.8).
	Speech SpeechPolicy `json:"speech"`
}

// Validate checks the policy's ranges.
func (p *Policy) Validate() error {
	if p.HeartbeatMS < 100 || p.HeartbeatMS > 60000 {
		return fieldErr("policy.heartbeat_ms", "must be between 100 and 60000")
	}
	if p.CameraLostMS < 0 || p.CameraLostMS > 600000 {
		return fieldErr("policy.camera_lost_ms", "must be between 0 and 600000")
	}
	if err := p.Checks.Validate(); err != nil {
		return err
	}
	return p.Speech.Validate()
}

// ChecksPolicy is what the agent's system checks follow (rules 10.9–10.11).
// Empty fields keep the agent's defaults: remote control, VNC, RDP, input
// sharing and screen sharing are violations, remote shells and virtual
// machines are suspected, one display is allowed, a screenshot every 10 s.
type ChecksPolicy struct {
	// Categories maps a remote-access category (remote_control, vnc, rdp,
	// input_sharing, screen_sharing, remote_shell) to violation, suspected
	// or ignore.
	Categories map[string]string `json:"categories,omitempty"`
	// Allow lists tools the stage allows, by catalogue id or name.
	Allow []string `json:"allow,omitempty"`
	// VirtualMachine is violation, suspected or ignore.
	VirtualMachine string `json:"virtual_machine,omitempty"`
	// MaxDisplays is how many active displays are allowed.
	MaxDisplays int `json:"max_displays,omitempty"`
	// ScreenshotMS is how often a screenshot is kept as evidence (rule
	// 10.11); negative turns it off.
	ScreenshotMS int `json:"screenshot_ms,omitempty"`
}

func validAction(a string) bool {
	return a == "" || a == "violation" || a == "suspected" || a == "ignore"
}

// Validate checks the checks policy's shape; the agent checks the names of
// categories and tools against its catalogue.
func (c *ChecksPolicy) Validate() error {
	if len(c.Categories) > 32 || len(c.Allow) > 256 {
		return fieldErr("policy.checks", "has too many entries")
	}
	for k, v := range c.Categories {
		if k == "" || len(k) > MaxIDLen || !validAction(v) {
			return fieldErr("policy.checks.categories", fmt.Sprintf("entry %.32q: %q is not violation, suspected or ignore", k, v))
		}
	}
	for _, a := range c.Allow {
		if a == "" || len(a) > MaxIDLen {
			return fieldErr("policy.checks.allow", "has an empty or overlong entry")
		}
	}
	if !validAction(c.VirtualMachine) {
		return fieldErr("policy.checks.virtual_machine", "must be violation, suspected or ignore")
	}
	if c.MaxDisplays < 0 || c.MaxDisplays > 16 {
		return fieldErr("policy.checks.max_displays", "must be 0 (default) to 16")
	}
	if c.ScreenshotMS > 3600000 {
		return fieldErr("policy.checks.screenshot_ms", "must be at most 3600000")
	}
	return nil
}

// SpeechPolicy is what the agent's voice detector follows (rule 10.8).
// Zero fields keep the defaults: 3 s of speech within 10 s opens a
// suspected span; a missing or silent microphone is suspected.
type SpeechPolicy struct {
	// Allowed is true in a stage where the candidate answers aloud (the
	// interview): speech is then not reported.
	Allowed bool `json:"allowed,omitempty"`
	// MinSpeechMS is how much speech within WindowMS opens a span.
	MinSpeechMS int `json:"min_speech_ms,omitempty"`
	// WindowMS is the window MinSpeechMS is counted in.
	WindowMS int `json:"window_ms,omitempty"`
	// MicSeverity is what a missing, muted or silent microphone is:
	// suspected or violation.
	MicSeverity Severity `json:"mic_severity,omitempty"`
}

// Validate checks the speech policy.
func (s *SpeechPolicy) Validate() error {
	switch {
	case s.MinSpeechMS < 0 || s.MinSpeechMS > 600000:
		return fieldErr("policy.speech.min_speech_ms", "must be 0 (default) to 600000")
	case s.WindowMS < 0 || s.WindowMS > 600000 || s.WindowMS != 0 && s.WindowMS < s.MinSpeechMS:
		return fieldErr("policy.speech.window_ms", "must be 0 (default) or at least min_speech_ms, up to 600000")
	case s.MicSeverity != "" && s.MicSeverity != SeveritySuspected && s.MicSeverity != SeverityViolation:
		return fieldErr("policy.speech.mic_severity", "must be suspected or violation")
	}
	return nil
}
