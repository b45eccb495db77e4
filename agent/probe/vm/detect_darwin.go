//go:build darwin

package vm

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// Detect reads kern.hv_vmm_present (1 inside a virtual machine) and
// hw.model ("VirtualMac2,1" under Apple's Virtualization framework,
// "VMware7,1" …). The CPU's VMM feature bit is not consulted. root is
// unused on macOS.
func Detect(ctx context.Context, _ string) (Report, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	r := Report{Facts: map[string]string{}}
	model, merr := unix.Sysctl("hw.model")
	if merr == nil {
		r.Facts["sysctl:hw.model"] = model
		r.Signals = MatchStrings(map[string]string{"sysctl:hw.model": model}, nil, nil)
	}
	v, err := unix.SysctlUint32("kern.hv_vmm_present")
	if err != nil {
		if merr != nil {
			return r, fmt.Errorf("%w: sysctl kern.hv_vmm_present: %w", ErrCannotTell, err)
		}
		return r, nil
	}
	r.Facts["sysctl:kern.hv_vmm_present"] = fmt.Sprint(v)
	if v == 1 && len(r.Signals) == 0 {
		r.Signals = append(r.Signals, Signal{Source: "sysctl:kern.hv_vmm_present", Value: "1", Hypervisor: "unknown hypervisor"})
	}
	return r, nil
}
