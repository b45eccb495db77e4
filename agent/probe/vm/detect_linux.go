//go:build linux

package vm

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/shirou/gopsutil/v4/host"
)

// Detect reads the DMI tables (and /sys/hypervisor, set by Xen) under root
// ("/" outside tests). Without DMI tables and without another sign it
// fails with ErrCannotTell rather than guessing.
func Detect(ctx context.Context, root string) (Report, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	var r Report
	dmi, dmiErr := ReadDMI(filepath.Join(root, "sys", "class", "dmi", "id"))
	if dmiErr == nil {
		r = FromDMI(dmi)
	} else {
		r.Facts = map[string]string{}
	}
	if b, err := os.ReadFile(filepath.Join(root, "sys", "hypervisor", "type")); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			r.Facts["sys:hypervisor_type"] = t
			r.Signals = append(r.Signals, Signal{Source: "sys:hypervisor_type", Value: t, Hypervisor: hypervisorName(t)})
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "proc", "cpuinfo")); err == nil {
		r.Facts["cpu:hypervisor_flag"] = boolString(CPUHypervisorFlag(b))
	}
	// gopsutil also looks at loaded guest drivers (vboxguest, vmware) and
	// the CPU model string QEMU gives its virtual CPUs. Containers it
	// reports (docker, lxc) are not virtual machines.
	if sys, role, err := host.VirtualizationWithContext(ctx); err == nil && role == "guest" {
		r.Facts["gopsutil:virtualization"] = sys
		switch sys {
		case "kvm", "xen", "vbox", "vmware":
			r.Signals = append(r.Signals, Signal{Source: "gopsutil:virtualization", Value: sys, Hypervisor: gopsutilName(sys)})
		}
	}
	if dmiErr != nil && len(r.Signals) == 0 {
		return r, dmiErr
	}
	return r, nil
}

func hypervisorName(t string) string {
	if strings.EqualFold(t, "xen") {
		return "Xen"
	}
	return t
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func gopsutilName(sys string) string {
	switch sys {
	case "kvm":
		return "KVM"
	case "xen":
		return "Xen"
	case "vbox":
		return "VirtualBox"
	case "vmware":
		return "VMware"
	}
	return sys
}
