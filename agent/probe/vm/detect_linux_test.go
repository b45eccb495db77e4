package vm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestDetectRoot runs the Linux detector over a root laid out like a
// guest's /sys: DMI of a VMware guest, then of a bare-metal laptop, then
// Xen's /sys/hypervisor without DMI, then nothing at all.
func TestDetectRoot(t *testing.T) {
	copyDMI := func(t *testing.T, root, sample string) {
		dst := filepath.Join(root, "sys", "class", "dmi", "id")
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		ents, err := os.ReadDir(filepath.Join("testdata", "dmi", sample))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join("testdata", "dmi", sample, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o444); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()

	root := t.TempDir()
	copyDMI(t, root, "vmware")
	if r, err := Detect(ctx, root); err != nil || r.Hypervisor() != "VMware" {
		t.Errorf("VMware guest: %q %v", r.Hypervisor(), err)
	}
	root = t.TempDir()
	copyDMI(t, root, "dell-laptop")
	if r, err := Detect(ctx, root); err != nil || r.VirtualMachine() {
		t.Errorf("Dell laptop: %+v %v", r.Signals, err)
	}
	root = t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "sys", "hypervisor"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sys", "hypervisor", "type"), []byte("xen\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	if r, err := Detect(ctx, root); err != nil || r.Hypervisor() != "Xen" {
		t.Errorf("Xen guest without DMI: %q %v", r.Hypervisor(), err)
	}
	if r, err := Detect(ctx, t.TempDir()); err != nil && !errors.Is(err, ErrCannotTell) || err == nil && !r.VirtualMachine() {
		// With nothing under root only gopsutil (which reads the real
		// /proc) can still name a hypervisor; otherwise it cannot tell.
		t.Errorf("empty root: %+v %v", r, err)
	}
}
