package vision

import (
	_ "embed" // the list of virtual cameras is embedded
	"strings"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

//go:embed virtualcams.txt
var virtualCamsText string

// virtualCamera is one known virtual-camera product and the fragments its
// devices' names contain.
type virtualCamera struct {
	vendor    string
	fragments []string
}

// virtualCameras parses the list kept as data in virtualcams.txt: camera
// drivers that feed a picture from software rather than a lens, by the
// names they register their devices under on Windows, macOS and Linux.
func virtualCameras() []virtualCamera {
	var out []virtualCamera
	for _, line := range strings.Split(virtualCamsText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		vendor, frags, ok := strings.Cut(line, "|")
		if !ok {
			continue // TestVirtualCameraList keeps the file well formed
		}
		vc := virtualCamera{vendor: strings.TrimSpace(vendor)}
		for _, f := range strings.Split(frags, ",") {
			if f = normaliseName(f); f != "" {
				vc.fragments = append(vc.fragments, f)
			}
		}
		out = append(out, vc)
	}
	return out
}

// normaliseName lower-cases s and turns every run of punctuation and
// spaces into one space, so "OBS-Camera" and "obs camera" compare equal.
func normaliseName(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r > 127)
	}), " ")
}

// VirtualCamera reports whether deviceName names a virtual camera, and which
// product. Matching is by word: "vcam" matches "VCam Source" but not
// "WebVCamera".
func VirtualCamera(deviceName string) (vendor string, ok bool) {
	name := " " + normaliseName(deviceName) + " "
	if strings.TrimSpace(name) == "" {
		return "", false
	}
	for _, vc := range virtualCameras() {
		for _, f := range vc.fragments {
			if strings.Contains(name, " "+f+" ") {
				return vc.vendor, true
			}
		}
	}
	return "", false
}

// VirtualCameraTransition returns the rule 10.1 event for a camera device
// that is a virtual camera, or ok false for a physical one. The device name
// is not personal data (it is the driver's product name).
func VirtualCameraTransition(now time.Time, deviceName string) (t finding.Transition, ok bool) {
	vendor, ok := VirtualCamera(deviceName)
	if !ok {
		return finding.Transition{}, false
	}
	return finding.Transition{
		Rule: protocol.Rule10_1, Subject: SubjectVirtual, Kind: protocol.KindInstant, At: now,
		Severity: protocol.SeveritySuspected,
		Key:      i18n.Key("vision.virtualcam"),
		Args:     i18n.Args{"device": deviceName, "vendor": vendor},
	}, true
}
