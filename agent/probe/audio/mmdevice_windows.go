//go:build windows

package audio

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	ole "github.com/go-ole/go-ole"
	"golang.org/x/sys/windows"
)

// ErrUnsupported: this way of listing audio devices does not exist on this OS.
var ErrUnsupported = errors.New("not supported on this operating system")

// ErrMMDevice: the Windows MMDevice API failed.
var ErrMMDevice = errors.New("audio endpoint query (Windows MMDevice) failed")

// MMDevice API constants (mmdeviceapi.h, functiondiscoverykeys_devpkey.h).
const (
	eRender            = 0
	eCapture           = 1
	deviceStateActive  = 0x1
	stgmRead           = 0
	vtUI4              = 19
	vtLPWSTR           = 31
	sFalse             = 0x1
	rpcEChangedMode    = 0x80010106
	clsidMMDeviceEnum  = "{BCDE0395-E52F-467C-8E3D-C4579291692E}"
	iidIMMDeviceEnum   = "{A95664D2-9614-4F35-A746-DE8DB63617E6}"
	pkeyFormFactorGUID = "{1DA5D803-D492-4EDD-8C23-E0C0FFEE7F0E}"
	pkeyDeviceGUID     = "{A45C254E-DF1C-4EFD-8020-67D146A850E0}"
)

// EndpointFormFactor values (mmdeviceapi.h).
func formFactorName(v uint32) string {
	names := []string{"remote_network_device", "speakers", "line_level", "headphones", "microphone",
		"headset", "handset", "unknown_digital_passthrough", "spdif", "digital_audio_display_device", "unknown"}
	if int(v) < len(names) {
		return names[v]
	}
	return "unknown"
}

type propertyKey struct {
	fmtid ole.GUID
	pid   uint32
}

type propVariant struct {
	vt               uint16
	res1, res2, res3 uint16
	val              [2]unsafe.Pointer
}

// ole32 holds the two ole32 functions the endpoint reader needs.
type ole32 struct {
	propVariantClear, coTaskMemFree *windows.LazyProc
}

func loadOle32() ole32 {
	dll := windows.NewLazySystemDLL("ole32.dll")
	return ole32{dll.NewProc("PropVariantClear"), dll.NewProc("CoTaskMemFree")}
}

// vcall calls method i of the COM object obj (its vtable's i-th entry).
// Callers pass out-parameters as uintptr(unsafe.Pointer(&x)); the directive
// keeps them on the heap and alive for the call.
//
//go:uintptrescapes
func vcall(obj unsafe.Pointer, i int, args ...uintptr) uintptr {
	vtbl := *(**[32]uintptr)(obj)
	r, _, _ := syscall.SyscallN(vtbl[i], append([]uintptr{uintptr(obj)}, args...)...)
	return r
}

func release(obj unsafe.Pointer) {
	if obj != nil {
		vcall(obj, 2)
	}
}

func hresult(what string, hr uintptr) error {
	if hr != 0 {
		return fmt.Errorf("%w: %s: HRESULT 0x%08x", ErrMMDevice, what, uint32(hr))
	}
	return nil
}

// Endpoints lists the active audio endpoints (render and capture) with
// their form factor (PKEY_AudioEndpoint_FormFactor) and the bus their
// driver enumerates them on (Bluetooth, USB).
func Endpoints(ctx context.Context) ([]Device, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := ole.CoInitializeEx(0, ole.COINIT_MULTITHREADED); err != nil {
		var oe *ole.OleError
		if !errors.As(err, &oe) || (oe.Code() != sFalse && oe.Code() != rpcEChangedMode) {
			return nil, fmt.Errorf("%w: CoInitializeEx: %w", ErrMMDevice, err)
		}
		if oe.Code() == sFalse {
			defer ole.CoUninitialize()
		}
	} else {
		defer ole.CoUninitialize()
	}
	unk, err := ole.CreateInstance(ole.NewGUID(clsidMMDeviceEnum), ole.NewGUID(iidIMMDeviceEnum))
	if err != nil {
		return nil, fmt.Errorf("%w: create MMDeviceEnumerator: %w", ErrMMDevice, err)
	}
	enum := unsafe.Pointer(unk)
	o := loadOle32()
	defer release(enum)
	var out []Device
	for _, flow := range []struct {
		dir  uintptr
		kind string
	}{{eRender, "render"}, {eCapture, "capture"}} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var coll unsafe.Pointer
		// IMMDeviceEnumerator::EnumAudioEndpoints is vtable entry 3.
		if err := hresult("EnumAudioEndpoints", vcall(enum, 3, flow.dir, deviceStateActive, uintptr(unsafe.Pointer(&coll)))); err != nil {
			return nil, err
		}
		devs, err := collection(o, coll, flow.kind)
		release(coll)
		if err != nil {
			return nil, err
		}
		out = append(out, devs...)
	}
	return out, nil
}

func collection(o ole32, coll unsafe.Pointer, kind string) ([]Device, error) {
	var n uint32
	// IMMDeviceCollection::GetCount (3), Item (4).
	if err := hresult("GetCount", vcall(coll, 3, uintptr(unsafe.Pointer(&n)))); err != nil {
		return nil, err
	}
	var out []Device
	for i := uint32(0); i < n; i++ {
		var dev unsafe.Pointer
		if err := hresult("Item", vcall(coll, 4, uintptr(i), uintptr(unsafe.Pointer(&dev)))); err != nil {
			return nil, err
		}
		d, err := endpoint(o, dev, kind)
		release(dev)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func endpoint(o ole32, dev unsafe.Pointer, kind string) (Device, error) {
	d := Device{Kind: kind}
	var id *uint16
	// IMMDevice::GetId (5), OpenPropertyStore (4).
	if err := hresult("GetId", vcall(dev, 5, uintptr(unsafe.Pointer(&id)))); err != nil {
		return d, err
	}
	d.Name = windows.UTF16PtrToString(id)
	o.coTaskMemFree.Call(uintptr(unsafe.Pointer(id)))
	var store unsafe.Pointer
	if err := hresult("OpenPropertyStore", vcall(dev, 4, stgmRead, uintptr(unsafe.Pointer(&store)))); err != nil {
		return d, err
	}
	defer release(store)
	if v, ok := propUint(o, store, pkeyFormFactorGUID, 0); ok {
		d.FormFactor = formFactorName(v)
	}
	d.Description = propString(o, store, pkeyDeviceGUID, 14)                 // PKEY_Device_FriendlyName
	switch e := strings.ToUpper(propString(o, store, pkeyDeviceGUID, 24)); { // PKEY_Device_EnumeratorName
	case strings.HasPrefix(e, "BTH"):
		d.Bus = "bluetooth"
	case e == "USB":
		d.Bus = "usb"
	case e != "":
		d.Bus = strings.ToLower(e)
	}
	return d, nil
}

func getValue(store unsafe.Pointer, guid string, pid uint32) (propVariant, bool) {
	key := propertyKey{fmtid: *ole.NewGUID(guid), pid: pid}
	var pv propVariant
	// IPropertyStore::GetValue is vtable entry 5.
	if vcall(store, 5, uintptr(unsafe.Pointer(&key)), uintptr(unsafe.Pointer(&pv))) != 0 {
		return pv, false
	}
	return pv, true
}

func propUint(o ole32, store unsafe.Pointer, guid string, pid uint32) (uint32, bool) {
	pv, ok := getValue(store, guid, pid)
	if !ok {
		return 0, false
	}
	defer o.propVariantClear.Call(uintptr(unsafe.Pointer(&pv)))
	if pv.vt != vtUI4 {
		return 0, false
	}
	return *(*uint32)(unsafe.Pointer(&pv.val)), true
}

func propString(o ole32, store unsafe.Pointer, guid string, pid uint32) string {
	pv, ok := getValue(store, guid, pid)
	if !ok {
		return ""
	}
	defer o.propVariantClear.Call(uintptr(unsafe.Pointer(&pv)))
	if pv.vt != vtLPWSTR || pv.val[0] == nil {
		return ""
	}
	return windows.UTF16PtrToString((*uint16)(pv.val[0]))
}
