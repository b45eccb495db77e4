package audio

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/probe/probetest"
)

// TestPactlLive asks a real PulseAudio daemon: null sinks made to look
// like a headset, headphones and a Bluetooth device are reported; a plain
// null sink (and every monitor source) is not.
func TestPactlLive(t *testing.T) {
	pa := probetest.PulseAudio(t)
	pa.NullSink(t, "plain")
	pa.NullSink(t, "hs", "device.form_factor=headset")
	pa.NullSink(t, "hp", "device.form_factor=headphone")
	pa.NullSink(t, "bt", "device.bus=bluetooth")
	p := &Pactl{Env: pa.Env}
	var all []Device
	for _, kind := range []string{"sink", "source"} {
		ds, err := p.List(context.Background(), kind)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ds...)
	}
	if len(all) != 8 {
		t.Errorf("%d devices, want 4 sinks and their 4 monitors: %+v", len(all), all)
	}
	want := []string{"sink:bt=bluetooth", "sink:hp=form_factor", "sink:hs=form_factor"}
	if got := subjects(all); !reflect.DeepEqual(got, want) {
		t.Fatalf("headsets = %v, want %v", got, want)
	}
}

// TestPactlSubscribeLive follows a real daemon's events: loading a sink
// after the subscription started is seen.
func TestPactlSubscribeLive(t *testing.T) {
	pa := probetest.PulseAudio(t)
	p := &Pactl{Env: pa.Env}
	ctx, cancel := context.WithCancel(context.Background())
	var events atomic.Int32
	done := make(chan error, 1)
	go func() { done <- p.Subscribe(ctx, func() { events.Add(1) }) }()
	// Load sinks until one is seen: the subscription needs a moment to
	// connect, and a sink loaded before that is not an event.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; events.Load() == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatal("no subscribe event within 10 s of loading sinks")
		}
		pa.NullSink(t, "late"+strings.Repeat("x", i%3)+string(rune('a'+i%26)), "device.form_factor=headset")
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Subscribe after cancel = %v, want nil", err)
	}
	// When the daemon goes away, Subscribe says so.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	go func() { done <- p.Subscribe(ctx2, func() {}) }()
	time.Sleep(300 * time.Millisecond)
	pa.Stop()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Subscribe returned nil after the daemon stopped")
		}
	case <-ctx2.Done():
		t.Fatal("Subscribe did not return after the daemon stopped")
	}
}

// TestPactlFaults injects what a broken system does: no pactl, a pactl
// that hangs, one that prints garbage, no sound server, and an old pactl
// without JSON output.
func TestPactlFaults(t *testing.T) {
	probetest.Need(t, "sh", "dash")
	hangDir, _ := probetest.Script(t, "pactl", "sleep 30")
	_, garbage := probetest.Script(t, "pactl", `echo '[{"name": "x", "balance": 0,00}]'`)
	_, noServer := probetest.Script(t, "pactl", `echo 'Connection failure: Connection refused' >&2; exit 1`)
	_, old := probetest.Script(t, "pactl", `if [ "$1" = "-f" ]; then echo "pactl: unrecognized option '-f'" >&2; exit 1; fi
cat "`+mustAbs(t, "testdata/pactl-text-pulseaudio-15.0-laptop-sinks.txt")+`"`)
	cases := []struct {
		name    string
		p       *Pactl
		wantErr error
		want    []string
	}{
		{"pactl missing from PATH", &Pactl{Env: []string{"PATH=" + t.TempDir()}}, ErrPactlMissing, nil},
		{"pactl path does not exist", &Pactl{Path: "/nonexistent/pactl"}, ErrPactlMissing, nil},
		{"pactl hangs", &Pactl{Env: []string{"PATH=" + hangDir + ":/usr/bin:/bin"}, Timeout: 300 * time.Millisecond}, ErrPactlTimeout, nil},
		{"pactl prints garbage", &Pactl{Path: garbage}, ErrPactlOutput, nil},
		{"no sound server", &Pactl{Path: noServer}, ErrNoSoundServer, nil},
		{"pactl 15 without JSON", &Pactl{Path: old}, nil, []string{"sink:alsa_output.pci-0000_00_1f.3.analog-stereo=headphone_port"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			ds, err := tc.p.List(context.Background(), "sink")
			if time.Since(start) > 5*time.Second {
				t.Errorf("List took %s", time.Since(start))
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("List error = %v, want %v", err, tc.wantErr)
				}
				if ds != nil {
					t.Fatalf("List returned devices with an error: %+v", ds)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := subjects(ds); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("headsets = %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := (&Pactl{}).List(context.Background(), "card"); err == nil {
		t.Error("List accepted kind card")
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd + "/" + p
}
