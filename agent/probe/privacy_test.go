package probe

import (
	"strings"
	"testing"

	"kuzet.kz/kuzet/agent/probe/audio"
	"kuzet.kz/kuzet/protocol"
)

// A Bluetooth device's alias is named by its owner and may hold their
// name: it must not reach the proctor (p.74-1), in the text or the report.
func TestBluetoothAliasIsNotReported(t *testing.T) {
	devs := []audio.Device{
		{Kind: "sink", Name: "bluez_sink.00_1B_66_AA_BB_CC.a2dp_sink", Description: "Aidar's AirPods", FormFactor: "headset", Bus: "bluetooth"},
		{Kind: "bluetooth", Name: "00:1B:66:AA:BB:CC", Description: "Aidar's AirPods", FormFactor: "headphone", Bus: "bluetooth"},
	}
	fs := headsetFindings(protocol.Rule10_10, devs)
	if len(fs) != 2 {
		t.Fatalf("%d findings, want 2", len(fs))
	}
	for _, f := range fs {
		all := f.Subject
		for _, v := range f.Args {
			all += " " + v
		}
		for _, v := range f.Detail {
			all += " " + v
		}
		if strings.Contains(all, "Aidar") {
			t.Errorf("finding carries the alias: %+v", f)
		}
		if !strings.HasPrefix(f.Args["device"], "Bluetooth ") {
			t.Errorf("device shown as %q, want its kind", f.Args["device"])
		}
	}
}
