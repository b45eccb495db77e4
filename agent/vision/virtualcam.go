package vision

import (
	"strings"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// virtualCamera is one known virtual-camera product and the fragments its
// devices' names contain (compared case-insensitively).
type virtualCamera struct {
	vendor    string
	fragments []string
}

// virtualCameras lists camera drivers that feed a picture from software
// rather than a lens: any of them can show a recording or another person
// (rule 10.1). Names are as the drivers register their devices on Windows,
// macOS and Linux.
func virtualCameras() []virtualCamera {
	return []virtualCamera{
		{"OBS Virtual Camera", []string{"obs virtual camera", "obs virtualcam", "obs camera"}},
		{"ManyCam", []string{"manycam"}},
		{"v4l2loopback", []string{"dummy video device", "v4l2loopback", "v4l2 loopback", "loopback video"}},
		{"XSplit VCam", []string{"xsplit"}},
		{"Snap Camera", []string{"snap camera"}},
		{"e2eSoft VCam", []string{"e2esoft", "vcam"}},
		{"CamTwist", []string{"camtwist"}},
		{"mmhmm", []string{"mmhmm"}},
		{"NVIDIA Broadcast", []string{"nvidia broadcast"}},
		{"Logitech Capture", []string{"logi capture", "logitech capture"}},
		{"SplitCam", []string{"splitcam"}},
		{"YouCam", []string{"youcam", "cyberlink webcam splitter"}},
		{"Streamlabs", []string{"streamlabs"}},
		{"vMix", []string{"vmix video"}},
		{"Camo", []string{"camo"}},
		{"Iriun Webcam", []string{"iriun"}},
		{"DroidCam", []string{"droidcam"}},
		{"EpocCam", []string{"epoccam"}},
		{"NDI Virtual Input", []string{"ndi virtual", "newtek ndi"}},
		{"Unity Video Capture", []string{"unity video capture"}},
		{"AlterCam", []string{"altercam"}},
		{"Webcamoid", []string{"webcamoid", "akvcam"}},
		{"FaceRig", []string{"facerig"}},
		{"ChromaCam", []string{"chromacam"}},
		{"Elgato Camera Hub", []string{"elgato virtual camera", "camera hub"}},
		// Last: products that only call themselves what they are.
		{"unnamed virtual camera", []string{"virtual camera", "virtual webcam", "virtualcam", "virtual cam"}},
	}
}

// VirtualCamera reports whether deviceName names a virtual camera, and which
// product. Matching is by word: "vcam" matches "VCam Source" but not
// "WebVCamera".
func VirtualCamera(deviceName string) (vendor string, ok bool) {
	name := " " + strings.Join(strings.FieldsFunc(strings.ToLower(deviceName), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r > 127)
	}), " ") + " "
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
