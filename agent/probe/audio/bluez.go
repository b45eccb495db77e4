package audio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/godbus/dbus/v5"
)

// Errors of the BlueZ client.
var (
	// ErrNoSystemBus: the D-Bus system bus cannot be reached, so BlueZ
	// cannot be asked.
	ErrNoSystemBus = errors.New("D-Bus system bus is not reachable")
	// ErrBlueZ: BlueZ answered with something unexpected.
	ErrBlueZ = errors.New("BlueZ query failed")
)

// Bluetooth service class UUIDs (Bluetooth Assigned Numbers) a remote
// device offers when it plays or records audio for this computer.
func audioUUID(u string) bool {
	switch strings.ToLower(u) {
	case "0000110b-0000-1000-8000-00805f9b34fb", // A2DP audio sink
		"0000110d-0000-1000-8000-00805f9b34fb", // A2DP
		"00001108-0000-1000-8000-00805f9b34fb", // HSP headset
		"00001131-0000-1000-8000-00805f9b34fb", // HSP headset (HS)
		"0000111e-0000-1000-8000-00805f9b34fb", // HFP hands-free
		"00001850-0000-1000-8000-00805f9b34fb", // LE Audio: published audio capabilities
		"0000184e-0000-1000-8000-00805f9b34fb": // LE Audio: audio stream control
		return true
	}
	return false
}

// majorClassAudio is the Bluetooth "Audio/Video" major device class.
const majorClassAudio = 0x04

// BlueZ asks the Bluetooth daemon over D-Bus for connected audio devices.
// The zero value uses the system bus named by DBUS_SYSTEM_BUS_ADDRESS or
// the standard socket.
type BlueZ struct {
	// Address is the D-Bus address; "" means the system bus.
	Address string
}

func (b BlueZ) address() string {
	if b.Address != "" {
		return b.Address
	}
	if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return "unix:path=/var/run/dbus/system_bus_socket"
}

func (b BlueZ) connect(ctx context.Context) (*dbus.Conn, error) {
	conn, err := dbus.Connect(b.address(), dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%w (%s): %w", ErrNoSystemBus, b.address(), err)
	}
	return conn, nil
}

// Connected lists the connected Bluetooth devices that are audio devices.
// A bus without BlueZ (no Bluetooth stack) has none.
func (b BlueZ) Connected(ctx context.Context) ([]Device, error) {
	conn, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var objs map[dbus.ObjectPath]map[string]map[string]dbus.Variant
	call := conn.Object("org.bluez", "/").CallWithContext(ctx, "org.freedesktop.DBus.ObjectManager.GetManagedObjects", 0)
	if call.Err != nil {
		var de dbus.Error
		if errors.As(call.Err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: GetManagedObjects: %w", ErrBlueZ, call.Err)
	}
	if err := call.Store(&objs); err != nil {
		return nil, fmt.Errorf("%w: GetManagedObjects reply: %w", ErrBlueZ, err)
	}
	return BlueZAudioDevices(objs), nil
}

// BlueZAudioDevices picks, from BlueZ's managed objects, the connected
// org.bluez.Device1 objects that are audio devices: by audio service UUID,
// by the Audio/Video major class, or by an "audio-" icon.
func BlueZAudioDevices(objs map[dbus.ObjectPath]map[string]map[string]dbus.Variant) []Device {
	var out []Device
	for path, ifaces := range objs {
		props, ok := ifaces["org.bluez.Device1"]
		if !ok {
			continue
		}
		var connected bool
		if v, ok := props["Connected"]; ok {
			_ = v.Store(&connected)
		}
		if !connected {
			continue
		}
		audio := false
		var uuids []string
		if v, ok := props["UUIDs"]; ok {
			_ = v.Store(&uuids)
		}
		for _, u := range uuids {
			audio = audio || audioUUID(u)
		}
		var class uint32
		if v, ok := props["Class"]; ok && v.Store(&class) == nil && (class>>8)&0x1f == majorClassAudio {
			audio = true
		}
		var icon, addr, alias string
		if v, ok := props["Icon"]; ok {
			_ = v.Store(&icon)
		}
		if strings.HasPrefix(icon, "audio-") {
			audio = true
		}
		if !audio {
			continue
		}
		if v, ok := props["Address"]; ok {
			_ = v.Store(&addr)
		}
		if v, ok := props["Alias"]; ok {
			_ = v.Store(&alias)
		}
		if addr == "" {
			addr = string(path)
		}
		ff := "bluetooth"
		switch icon {
		case "audio-headset", "audio-headphones":
			ff = strings.TrimPrefix(icon, "audio-")
		}
		out = append(out, Device{Kind: "bluetooth", Name: addr, Description: alias, FormFactor: ff, Bus: "bluetooth"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Watch calls changed whenever BlueZ reports a device added, removed or
// changed (a headset connecting), until ctx is done (returning nil) or the
// bus connection is lost.
func (b BlueZ) Watch(ctx context.Context, changed func()) error {
	conn, err := b.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, opt := range [][]dbus.MatchOption{
		{dbus.WithMatchSender("org.bluez"), dbus.WithMatchInterface("org.freedesktop.DBus.Properties"), dbus.WithMatchMember("PropertiesChanged")},
		{dbus.WithMatchSender("org.bluez"), dbus.WithMatchInterface("org.freedesktop.DBus.ObjectManager")},
		{dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, "org.bluez")},
	} {
		if err := conn.AddMatchSignalContext(ctx, opt...); err != nil {
			return fmt.Errorf("%w: subscribe to signals: %w", ErrBlueZ, err)
		}
	}
	ch := make(chan *dbus.Signal, 16)
	conn.Signal(ch)
	defer conn.RemoveSignal(ch)
	for {
		select {
		case <-ctx.Done():
			return nil
		case s, ok := <-ch:
			if !ok {
				return fmt.Errorf("%w: connection closed", ErrNoSystemBus)
			}
			if s != nil {
				changed()
			}
		}
	}
}
