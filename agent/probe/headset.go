package probe

import (
	"cmp"
	"context"
	"errors"
	"sort"

	"kuzet.kz/kuzet/agent/probe/audio"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Headset is the rule 10.10 check of audio devices: the system's sound
// devices (PulseAudio/PipeWire on Linux, MMDevice on Windows,
// system_profiler on macOS) whose form factor, bus or plugged-in port says
// headset or headphones.
type Headset struct {
	list  func(ctx context.Context) ([]audio.Device, error)
	watch func(ctx context.Context, changed func()) error
}

var _ Watcher = (*Headset)(nil)

// NewPactlHeadset makes the Linux check over pactl (PulseAudio, or
// PipeWire's pipewire-pulse), following `pactl subscribe`.
func NewPactlHeadset(p *audio.Pactl) *Headset {
	return &Headset{
		list: func(ctx context.Context) ([]audio.Device, error) {
			sinks, err := p.List(ctx, "sink")
			if err != nil {
				return nil, err
			}
			sources, err := p.List(ctx, "source")
			if err != nil {
				return nil, err
			}
			return append(sinks, sources...), nil
		},
		watch: p.Subscribe,
	}
}

// Name implements Checker.
func (c *Headset) Name() string { return "headset" }

// Rule implements Checker.
func (c *Headset) Rule() protocol.RuleID { return protocol.Rule10_10 }

// Check implements Checker.
func (c *Headset) Check(ctx context.Context) Result {
	res := Result{Check: c.Name(), Rule: c.Rule()}
	devs, err := c.list(ctx)
	if err != nil {
		res.Reason, res.ReasonArgs, res.Cause = audioReason(err), nil, err
		return res.finish()
	}
	res.Findings = headsetFindings(c.Rule(), audio.Headsets(devs))
	return res.finish()
}

// Watch implements Watcher; without a way to follow events it returns
// errNoWatch at once and the Monitor polls.
func (c *Headset) Watch(ctx context.Context, changed func()) error {
	if c.watch == nil {
		return errNoWatch
	}
	return c.watch(ctx, changed)
}

// errNoWatch: the checker has no events to follow on this system.
var errNoWatch = errors.New("no change events on this system")

func headsetFindings(rule protocol.RuleID, devs []audio.Device) []Finding {
	var out []Finding
	for _, d := range devs {
		reason, _ := d.Headset()
		key := i18n.Key("probe.headset.form_factor")
		switch reason {
		case audio.ReasonBluetooth:
			key = i18n.Key("probe.headset.bluetooth")
		case audio.ReasonHeadphonePort:
			key = i18n.Key("probe.headset.port")
		case audio.ReasonUSB:
			key = i18n.Key("probe.headset.usb")
		}
		name := d.Description
		if name == "" {
			name = d.Name
		}
		description := d.Description
		if d.Bus == "bluetooth" {
			// A Bluetooth device's description is the alias its owner
			// gave it ("Aidar's AirPods"): personal data, which must not
			// reach the proctor (p.74-1). Its kind is enough to act on.
			name, description = "Bluetooth "+cmp.Or(d.FormFactor, "audio"), ""
		}
		detail := map[string]string{"kind": d.Kind, "name": d.Name, "reason": reason}
		for k, v := range map[string]string{"form_factor": d.FormFactor, "bus": d.Bus, "port": d.ActivePort, "port_type": d.PortType, "port_availability": d.PortAvailability, "description": description} {
			if v != "" {
				detail[k] = v
			}
		}
		out = append(out, Finding{
			Rule: rule, Subject: d.Subject(), Key: key, Args: i18n.Args{"device": name},
			Detail: detail, Severity: protocol.SeverityViolation,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subject < out[j].Subject })
	return out
}

// audioReason picks the candidate's explanation for an audio failure.
func audioReason(err error) i18n.Key {
	switch {
	case errors.Is(err, audio.ErrPactlMissing):
		return i18n.Key("probe.unchecked.pactl_missing")
	case errors.Is(err, audio.ErrPactlTimeout), errors.Is(err, context.DeadlineExceeded):
		return i18n.Key("probe.unchecked.timeout")
	case errors.Is(err, audio.ErrNoSoundServer):
		return i18n.Key("probe.unchecked.no_sound_server")
	case errors.Is(err, audio.ErrPactlOutput), errors.Is(err, audio.ErrSystemProfilerOutput):
		return i18n.Key("probe.unchecked.audio_output")
	case errors.Is(err, audio.ErrNoSystemBus):
		return i18n.Key("probe.unchecked.no_system_bus")
	}
	return i18n.Key("probe.unchecked.audio")
}

// Bluetooth is the rule 10.10 check of connected Bluetooth audio devices
// through BlueZ (Linux), which also sees a headset the sound server has
// not picked up.
type Bluetooth struct {
	bz audio.BlueZ
}

var _ Watcher = (*Bluetooth)(nil)

// NewBluetooth makes the BlueZ check on the bus bz names.
func NewBluetooth(bz audio.BlueZ) *Bluetooth { return &Bluetooth{bz: bz} }

// Name implements Checker.
func (c *Bluetooth) Name() string { return "bluetooth-audio" }

// Rule implements Checker.
func (c *Bluetooth) Rule() protocol.RuleID { return protocol.Rule10_10 }

// Check implements Checker.
func (c *Bluetooth) Check(ctx context.Context) Result {
	res := Result{Check: c.Name(), Rule: c.Rule()}
	devs, err := c.bz.Connected(ctx)
	if err != nil {
		res.Reason, res.Cause = i18n.Key("probe.unchecked.bluez"), err
		if errors.Is(err, audio.ErrNoSystemBus) {
			res.Reason = i18n.Key("probe.unchecked.no_system_bus")
		}
		return res.finish()
	}
	res.Findings = headsetFindings(c.Rule(), devs)
	return res.finish()
}

// Watch implements Watcher through BlueZ's D-Bus signals.
func (c *Bluetooth) Watch(ctx context.Context, changed func()) error {
	return c.bz.Watch(ctx, changed)
}
