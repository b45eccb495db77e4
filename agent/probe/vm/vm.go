// Package vm finds, for rule 10.11 (p.10: no auxiliary means), whether the
// agent runs inside a virtual machine, where a second, unwatched desktop
// could sit next to the exam. It reads what the firmware tells the guest:
// DMI tables on Linux, WMI Win32_ComputerSystem on Windows, the
// kern.hv_vmm_present sysctl on macOS.
//
// The CPU's "hypervisor present" bit alone is not proof: Windows hosts with
// Hyper-V or virtualisation-based security set it on bare metal. It is
// reported as a detail, never as a finding by itself.
package vm

import (
	"errors"
	"sort"
	"strings"
)

// ErrCannotTell: the system offers nothing to decide from (no DMI tables,
// no WMI answer).
var ErrCannotTell = errors.New("cannot tell whether this is a virtual machine")

// Signal is one fact that names a hypervisor.
type Signal struct {
	// Source is where it was read: "dmi:sys_vendor", "wmi:Model",
	// "sysctl:kern.hv_vmm_present" …
	Source string
	// Value is what was read there.
	Value string
	// Hypervisor is the product it names ("VMware", "VirtualBox" …).
	Hypervisor string
}

// Report is the outcome of a detection.
type Report struct {
	// Signals are the facts that name a hypervisor; none means not a VM.
	Signals []Signal
	// Facts are what was read, for the proctor's evidence, whether or not
	// it names a hypervisor (vendor, model, CPU hypervisor bit).
	Facts map[string]string
}

// VirtualMachine reports whether any signal names a hypervisor.
func (r Report) VirtualMachine() bool { return len(r.Signals) > 0 }

// Hypervisor names the first hypervisor found, or "".
func (r Report) Hypervisor() string {
	if len(r.Signals) == 0 {
		return ""
	}
	return r.Signals[0].Hypervisor
}

type signature struct {
	contains   string // lowercase fragment of a vendor or model string
	hypervisor string
}

// signatures are vendor and model fragments that only virtual hardware
// reports. Hyper-V is matched separately: Microsoft also makes laptops.
func signatures() []signature {
	return []signature{
		{"vmware", "VMware"},
		{"virtualbox", "VirtualBox"},
		{"innotek", "VirtualBox"},
		{"qemu", "QEMU"},
		{"standard pc (i440fx", "QEMU"},
		{"standard pc (q35", "QEMU"},
		{"kvm", "KVM"},
		{"bochs", "Bochs"},
		{"xen", "Xen"},
		{"hvm domu", "Xen"},
		{"parallels", "Parallels"},
		{"bhyve", "bhyve"},
		{"amazon ec2", "Amazon EC2"},
		{"google compute engine", "Google Compute Engine"},
		{"openstack", "OpenStack"},
		{"ovirt", "oVirt"},
		{"rhev hypervisor", "oVirt"},
		{"nutanix", "Nutanix AHV"},
		{"digitalocean", "DigitalOcean"},
		{"cloud hypervisor", "Cloud Hypervisor"},
		{"virtualmac", "Apple Virtualization"},
		{"apple virtual machine", "Apple Virtualization"},
		{"acrn", "ACRN"},
	}
}

// MatchStrings finds hypervisor names in vendor and model strings, keyed
// by where they were read. vendorKeys and modelKeys say which keys hold a
// vendor and which a model, so that Microsoft's "Virtual Machine" model
// (Hyper-V) is told from a Surface laptop.
func MatchStrings(fields map[string]string, vendorKeys, modelKeys []string) []Signal {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Signal
	for _, k := range keys {
		v := strings.ToLower(strings.TrimSpace(fields[k]))
		if v == "" {
			continue
		}
		for _, s := range signatures() {
			if s.contains == "kvm" || s.contains == "xen" || s.contains == "acrn" {
				if !hasWord(v, s.contains) {
					continue
				}
			} else if !strings.Contains(v, s.contains) {
				continue
			}
			out = append(out, Signal{Source: k, Value: fields[k], Hypervisor: s.hypervisor})
			break
		}
	}
	microsoft := false
	for _, k := range vendorKeys {
		if strings.Contains(strings.ToLower(fields[k]), "microsoft corporation") {
			microsoft = true
		}
	}
	if microsoft {
		for _, k := range modelKeys {
			if strings.Contains(strings.ToLower(fields[k]), "virtual machine") {
				out = append(out, Signal{Source: k, Value: fields[k], Hypervisor: "Hyper-V"})
			}
		}
	}
	return out
}

// hasWord reports whether w occurs in s between non-letters, so "kvm" is
// found in "KVM" and "Standard PC (KVM)" but "xen" not in "Xenon".
func hasWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isLetter(s[j-1])
		after := j+len(w) == len(s) || !isLetter(s[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }
