package probe

import (
	"fmt"
	"strings"
	"time"

	"kuzet.kz/kuzet/agent/probe/remote"
	"kuzet.kz/kuzet/protocol"
)

// Action is what the exam policy makes of a kind of finding.
type Action string

// Actions.
const (
	// ActionViolation: report as a violation.
	ActionViolation Action = "violation"
	// ActionSuspected: report for the proctor's judgement.
	ActionSuspected Action = "suspected"
	// ActionIgnore: do not report.
	ActionIgnore Action = "ignore"
)

func (a Action) valid() bool {
	return a == ActionViolation || a == ActionSuspected || a == ActionIgnore
}

func (a Action) severity() protocol.Severity {
	if a == ActionSuspected {
		return protocol.SeveritySuspected
	}
	return protocol.SeverityViolation
}

// Config is the part of the exam policy the system checks follow. Start
// from DefaultConfig and call Validate after changing it.
type Config struct {
	// Interval is how often each check runs while the stage lasts. A new
	// remote-access tool is reported within one Interval (rule 10.9
	// asks for 1 s).
	Interval time.Duration
	// WatchedInterval is how often a check that follows events (pactl
	// subscribe, BlueZ signals) also polls, as a safety net.
	WatchedInterval time.Duration
	// SlowInterval is how often the checks whose answer rarely changes run
	// (virtual machine).
	SlowInterval time.Duration
	// CheckTimeout bounds one run of one check; past it the check could
	// not run.
	CheckTimeout time.Duration
	// Categories says, per category of the rule 10.9 catalogue, whether
	// a running tool is a violation, suspected or ignored. A category
	// missing from the map is a violation.
	Categories map[remote.Category]Action
	// Allow lists catalogue tool ids or names the exam allows (e.g. the
	// video-call client of the interview stage), case-insensitive.
	Allow []string
	// VirtualMachine is what running inside a virtual machine is (rule
	// 10.11). The default is suspected: some VMs are legitimate (VDI).
	VirtualMachine Action
	// MaxDisplays is how many active displays are allowed (rule 10.11).
	MaxDisplays int
	// ScreenshotInterval is how often a downscaled screenshot and the
	// foreground window's title are kept as evidence; 0 turns it off.
	ScreenshotInterval time.Duration
	// ScreenshotWidth is the screenshot's maximum width in pixels.
	ScreenshotWidth int
	// ScreenshotQuality is its JPEG quality, 1 to 100.
	ScreenshotQuality int
	// Pactl is the pactl binary (Linux); "" means "pactl" from PATH.
	Pactl string
}

// DefaultConfig is the policy when the server sends none: remote control
// (with VNC, RDP and input sharing) and screen sharing are violations,
// remote shells (sshd) and virtual machines are suspected.
func DefaultConfig() Config {
	return Config{
		Interval:        time.Second,
		WatchedInterval: 10 * time.Second,
		SlowInterval:    time.Minute,
		CheckTimeout:    3 * time.Second,
		Categories: map[remote.Category]Action{
			remote.CategoryRemoteControl: ActionViolation,
			remote.CategoryVNC:           ActionViolation,
			remote.CategoryRDP:           ActionViolation,
			remote.CategoryInputSharing:  ActionViolation,
			remote.CategoryScreenSharing: ActionViolation,
			remote.CategoryRemoteShell:   ActionSuspected,
		},
		VirtualMachine:     ActionSuspected,
		MaxDisplays:        1,
		ScreenshotInterval: 10 * time.Second,
		ScreenshotWidth:    640,
		ScreenshotQuality:  60,
	}
}

// Validate checks every field and says which is wrong and what is allowed.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s %s", ErrConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Interval < 100*time.Millisecond || c.Interval > time.Minute:
		return bad("Interval", "is %s; use 100ms to 1m (rule 10.9 wants 1s)", c.Interval)
	case c.WatchedInterval < c.Interval || c.WatchedInterval > 10*time.Minute:
		return bad("WatchedInterval", "is %s; use Interval (%s) to 10m", c.WatchedInterval, c.Interval)
	case c.SlowInterval < c.Interval || c.SlowInterval > time.Hour:
		return bad("SlowInterval", "is %s; use Interval (%s) to 1h", c.SlowInterval, c.Interval)
	case c.CheckTimeout < 100*time.Millisecond || c.CheckTimeout > time.Minute:
		return bad("CheckTimeout", "is %s; use 100ms to 1m", c.CheckTimeout)
	case !c.VirtualMachine.valid():
		return bad("VirtualMachine", "is %q; use violation, suspected or ignore", c.VirtualMachine)
	case c.MaxDisplays < 1 || c.MaxDisplays > 16:
		return bad("MaxDisplays", "is %d; use 1 to 16", c.MaxDisplays)
	case c.ScreenshotInterval != 0 && (c.ScreenshotInterval < time.Second || c.ScreenshotInterval > time.Hour):
		return bad("ScreenshotInterval", "is %s; use 0 (off) or 1s to 1h", c.ScreenshotInterval)
	case c.ScreenshotWidth < 64 || c.ScreenshotWidth > 4096:
		return bad("ScreenshotWidth", "is %d; use 64 to 4096 pixels", c.ScreenshotWidth)
	case c.ScreenshotQuality < 1 || c.ScreenshotQuality > 100:
		return bad("ScreenshotQuality", "is %d; use 1 to 100", c.ScreenshotQuality)
	}
	for cat, a := range c.Categories {
		if !cat.Valid() {
			return bad("Categories", "names unknown category %q; known: %v", cat, remote.Categories())
		}
		if !a.valid() {
			return bad("Categories", "gives %q for %s; use violation, suspected or ignore", a, cat)
		}
	}
	for _, a := range c.Allow {
		if strings.TrimSpace(a) == "" {
			return bad("Allow", "has an empty entry")
		}
	}
	return nil
}

// action is the policy's action for a category (violation when unset).
func (c *Config) action(cat remote.Category) Action {
	if a, ok := c.Categories[cat]; ok {
		return a
	}
	return ActionViolation
}

// allowed reports whether the exam allows tool.
func (c *Config) allowed(t remote.Tool) bool {
	for _, a := range c.Allow {
		a = strings.TrimSpace(a)
		if strings.EqualFold(a, t.ID) || strings.EqualFold(a, t.Name) {
			return true
		}
	}
	return false
}
