// Package audio finds, for rule 10.10 (p.10: no audio headset), the
// headsets, headphones and Bluetooth audio devices attached to the
// candidate's computer: PulseAudio or PipeWire through pactl and BlueZ over
// D-Bus on Linux, MMDevice endpoints on Windows, system_profiler on macOS.
//
// Internal speakers and microphones are never reported: a device is a
// headset only when its form factor, its bus (Bluetooth) or its active,
// plugged-in port says so.
package audio

import (
	"sort"
	"strings"
)

// Why a device is reported.
const (
	// ReasonFormFactor: the system says the device is a headset,
	// headphones, a handset or hands-free.
	ReasonFormFactor = "form_factor"
	// ReasonBluetooth: the device is on Bluetooth.
	ReasonBluetooth = "bluetooth"
	// ReasonHeadphonePort: the active port is a headphone or headset jack
	// with something plugged in.
	ReasonHeadphonePort = "headphone_port"
	// ReasonUSB: an external USB audio output (macOS reports no form factor).
	ReasonUSB = "usb"
)

// Device is one audio device as the system describes it.
type Device struct {
	// Kind is "sink" or "source" (PulseAudio/PipeWire), "bluetooth"
	// (BlueZ), "render" or "capture" (Windows), "output" or "input" (macOS).
	Kind string
	// Name is the system's stable identifier of the device.
	Name string
	// Description is its human name.
	Description string
	// FormFactor is the system's form factor, lowercase ("headset",
	// "internal", "headphones" …).
	FormFactor string
	// Bus is how it is attached ("bluetooth", "usb", "pci" …), lowercase.
	Bus string
	// ActivePort, PortType and PortAvailability describe the port in use
	// (PulseAudio: availability is "available", "not available" or
	// "availability unknown").
	ActivePort       string
	PortType         string
	PortAvailability string
	// Monitor is true for a PulseAudio monitor source: a copy of a sink's
	// output, never a device of its own.
	Monitor bool
}

// Subject is the device's stable identifier for finding start/end matching.
func (d Device) Subject() string { return d.Kind + ":" + d.Name }

// headsetFormFactors are the PulseAudio/PipeWire and Windows form factors
// that are worn on or held to the head.
func headsetFormFactor(ff string) bool {
	switch strings.ToLower(ff) {
	case "headset", "headphone", "headphones", "hands-free", "handsfree", "handset", "earpiece":
		return true
	}
	return false
}

func headphonePort(d Device) bool {
	if d.PortAvailability != "available" {
		return false
	}
	switch strings.ToLower(d.PortType) {
	case "headphones", "headset", "handset", "handsfree", "earpiece":
		return true
	}
	n := strings.ToLower(d.ActivePort)
	return strings.Contains(n, "headphone") || strings.Contains(n, "headset")
}

// Headset says whether d is a headset under rule 10.10 and why.
func (d Device) Headset() (reason string, ok bool) {
	if d.Monitor {
		return "", false
	}
	switch {
	case headsetFormFactor(d.FormFactor):
		return ReasonFormFactor, true
	case d.Bus == "bluetooth":
		return ReasonBluetooth, true
	case headphonePort(d):
		return ReasonHeadphonePort, true
	case d.Bus == "usb" && d.Kind == "output":
		// Only macOS devices have Kind "output": system_profiler gives no
		// form factor, so an external USB output is taken as a headset.
		return ReasonUSB, true
	}
	return "", false
}

// Headsets returns the devices of ds that are headsets, sorted by subject.
func Headsets(ds []Device) []Device {
	var out []Device
	for _, d := range ds {
		if _, ok := d.Headset(); ok {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subject() < out[j].Subject() })
	return out
}
