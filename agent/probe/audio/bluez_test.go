package audio

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"kuzet.kz/kuzet/agent/probe/probetest"
)

type objects = map[dbus.ObjectPath]map[string]map[string]dbus.Variant

func device(addr, alias, icon string, connected bool, class uint32, uuids ...string) map[string]map[string]dbus.Variant {
	props := map[string]dbus.Variant{
		"Address": dbus.MakeVariant(addr), "Alias": dbus.MakeVariant(alias),
		"Connected": dbus.MakeVariant(connected), "UUIDs": dbus.MakeVariant(uuids),
	}
	if icon != "" {
		props["Icon"] = dbus.MakeVariant(icon)
	}
	if class != 0 {
		props["Class"] = dbus.MakeVariant(class)
	}
	return map[string]map[string]dbus.Variant{"org.bluez.Device1": props}
}

func sampleObjects() objects {
	return objects{
		"/org/bluez/hci0":                       {"org.bluez.Adapter1": {"Address": dbus.MakeVariant("00:1A:7D:DA:71:13")}},
		"/org/bluez/hci0/dev_AC_80_0A_1B_2C_3D": device("AC:80:0A:1B:2C:3D", "WH-1000XM4", "audio-headphones", true, 0x240404, "0000110b-0000-1000-8000-00805f9b34fb"),
		"/org/bluez/hci0/dev_11_22_33_44_55_66": device("11:22:33:44:55:66", "Earbuds", "", true, 0, "0000111E-0000-1000-8000-00805F9B34FB"),
		"/org/bluez/hci0/dev_22_33_44_55_66_77": device("22:33:44:55:66:77", "Speaker (class only)", "", true, 0x240414),
		"/org/bluez/hci0/dev_33_44_55_66_77_88": device("33:44:55:66:77:88", "Old headset", "audio-headset", false, 0x240404),
		"/org/bluez/hci0/dev_44_55_66_77_88_99": device("44:55:66:77:88:99", "Mouse", "input-mouse", true, 0x002580, "00001124-0000-1000-8000-00805f9b34fb"),
	}
}

func TestBlueZAudioDevices(t *testing.T) {
	ds := BlueZAudioDevices(sampleObjects())
	var got []string
	for _, d := range ds {
		got = append(got, d.Name+"/"+d.FormFactor)
		if r, ok := d.Headset(); !ok || r != ReasonFormFactor && r != ReasonBluetooth {
			t.Errorf("%s: Headset() = %q %v", d.Name, r, ok)
		}
	}
	want := "11:22:33:44:55:66/bluetooth 22:33:44:55:66:77/bluetooth AC:80:0A:1B:2C:3D/headphones"
	if strings.Join(got, " ") != want {
		t.Fatalf("devices = %v, want %s (connected audio only)", got, want)
	}
}

// fakeBlueZ serves BlueZ's ObjectManager on a real bus. No Bluetooth
// adapter exists here, so the real bluetoothd cannot produce a connected
// headset; this stands in for it with the same D-Bus interface.
type fakeBlueZ struct {
	mu   sync.Mutex
	objs objects
}

func (f *fakeBlueZ) GetManagedObjects() (objects, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objs, nil
}

func TestBlueZOverDBus(t *testing.T) {
	addr := probetest.DBusDaemon(t)
	bz := BlueZ{Address: addr}
	ctx := context.Background()
	// A bus without BlueZ: no Bluetooth stack, no Bluetooth headset.
	ds, err := bz.Connected(ctx)
	if err != nil || len(ds) != 0 {
		t.Fatalf("bus without BlueZ: %v, %v; want none and no error", ds, err)
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fake := &fakeBlueZ{objs: objects{"/org/bluez/hci0": {"org.bluez.Adapter1": {}}}}
	if err := conn.Export(fake, "/", "org.freedesktop.DBus.ObjectManager"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.bluez", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v %v", reply, err)
	}
	if ds, err := bz.Connected(ctx); err != nil || len(ds) != 0 {
		t.Fatalf("adapter without devices: %v, %v", ds, err)
	}

	wctx, cancel := context.WithCancel(ctx)
	changed := make(chan struct{}, 8)
	done := make(chan error, 1)
	go func() { done <- bz.Watch(wctx, func() { changed <- struct{}{} }) }()
	// The headset connects: BlueZ adds its object and signals it.
	fake.mu.Lock()
	fake.objs = sampleObjects()
	fake.mu.Unlock()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-changed:
			break wait
		case <-tick.C:
			// Repeat until the watcher's match rules are in place.
			if err := conn.Emit("/org/bluez/hci0/dev_AC_80_0A_1B_2C_3D", "org.freedesktop.DBus.Properties.PropertiesChanged",
				"org.bluez.Device1", map[string]dbus.Variant{"Connected": dbus.MakeVariant(true)}, []string{}); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("Watch saw no PropertiesChanged signal in 10 s")
		}
	}
	ds, err = bz.Connected(ctx)
	if err != nil || len(ds) != 3 {
		t.Fatalf("after connecting: %+v, %v; want 3 audio devices", ds, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Watch after cancel = %v", err)
	}
}

func TestBlueZNoSystemBus(t *testing.T) {
	bz := BlueZ{Address: "unix:path=" + filepath.Join(t.TempDir(), "no-bus")}
	if _, err := bz.Connected(context.Background()); !errors.Is(err, ErrNoSystemBus) {
		t.Fatalf("Connected error = %v, want ErrNoSystemBus", err)
	}
	if err := bz.Watch(context.Background(), func() {}); !errors.Is(err, ErrNoSystemBus) {
		t.Fatalf("Watch error = %v, want ErrNoSystemBus", err)
	}
}
