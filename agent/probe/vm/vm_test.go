package vm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDMISamples(t *testing.T) {
	cases := map[string]string{
		"virtualbox": "VirtualBox", "vmware": "VMware", "qemu-kvm": "QEMU", "hyperv": "Hyper-V", "parallels": "Parallels",
		"dell-laptop": "", "surface-laptop": "", "lenovo-xeon-server": "",
	}
	for dir, want := range cases {
		t.Run(dir, func(t *testing.T) {
			dmi, err := ReadDMI(filepath.Join("testdata", "dmi", dir))
			if err != nil {
				t.Fatal(err)
			}
			r := FromDMI(dmi)
			if r.Hypervisor() != want || r.VirtualMachine() != (want != "") {
				t.Fatalf("hypervisor = %q (signals %+v), want %q", r.Hypervisor(), r.Signals, want)
			}
			if r.Facts["dmi:sys_vendor"] == "" {
				t.Error("sys_vendor not kept as a fact")
			}
		})
	}
}

func TestReadDMIMissing(t *testing.T) {
	if _, err := ReadDMI(filepath.Join(t.TempDir(), "none")); !errors.Is(err, ErrCannotTell) {
		t.Fatalf("no DMI: err = %v, want ErrCannotTell", err)
	}
}

func TestWMISamples(t *testing.T) {
	cases := map[string]string{
		"powershell-vmware.json": "VMware", "powershell-hyperv.json": "Hyper-V", "wmic-list-virtualbox.txt": "VirtualBox",
		"powershell-lenovo-vbs.json": "", "wmic-list-hp.txt": "",
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "wmi", file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseWMI(data)
			if err != nil {
				t.Fatal(err)
			}
			r := FromWMI(m)
			if r.Hypervisor() != want {
				t.Fatalf("hypervisor = %q (signals %+v), want %q", r.Hypervisor(), r.Signals, want)
			}
		})
	}
	// The CPU's hypervisor bit alone (a Hyper-V host with VBS) is a fact,
	// not a virtual machine.
	m, _ := ParseWMI([]byte(`{"Manufacturer":"LENOVO","Model":"20XW","HypervisorPresent":true}`))
	if r := FromWMI(m); r.VirtualMachine() || r.Facts["cpu:hypervisor_present"] != "true" {
		t.Fatalf("hypervisor bit alone: %+v", r)
	}
	for _, in := range []string{"", "garbage", "{}", "[]", `{"Name":"PC"}`, "[1,2]", `{"Manufacturer":`} {
		if _, err := ParseWMI([]byte(in)); !errors.Is(err, ErrWMIOutput) {
			t.Errorf("ParseWMI(%q) error = %v, want ErrWMIOutput", in, err)
		}
	}
}

func TestMatchWords(t *testing.T) {
	for _, tc := range []struct {
		v, want string
	}{
		{"Xenon Workstation", ""}, {"HVM domU", "Xen"}, {"Xen", "Xen"}, {"KVM", "KVM"}, {"Standard PC (KVM)", "KVM"},
		{"Skvmo", ""}, {"VirtualMac2,1", "Apple Virtualization"}, {"MacBookPro18,3", ""},
	} {
		r := MatchStrings(map[string]string{"x": tc.v}, nil, nil)
		got := ""
		if len(r) > 0 {
			got = r[0].Hypervisor
		}
		if got != tc.want {
			t.Errorf("%q → %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestCPUHypervisorFlag(t *testing.T) {
	if !CPUHypervisorFlag([]byte("processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n")) {
		t.Error("flag not found")
	}
	if CPUHypervisorFlag([]byte("flags\t\t: fpu vme lahf_lm\nmodel name: hypervisor-like\n")) {
		t.Error("flag found where there is none")
	}
}

// TestDetectLive runs on this machine, which may or may not be a VM: it
// must give a definite answer or ErrCannotTell, never a crash.
func TestDetectLive(t *testing.T) {
	r, err := Detect(context.Background(), "/")
	if err != nil && !errors.Is(err, ErrCannotTell) {
		t.Fatalf("Detect: %v", err)
	}
	t.Logf("virtual machine: %v (%s), err %v, facts %v", r.VirtualMachine(), r.Hypervisor(), err, r.Facts)
	if err != nil && r.VirtualMachine() {
		t.Fatal("an error together with a verdict")
	}
}

func FuzzParseWMI(f *testing.F) {
	for _, name := range []string{"powershell-vmware.json", "wmic-list-virtualbox.txt"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "wmi", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseWMI(data)
		if err != nil {
			return
		}
		_, hasMan := m["Manufacturer"]
		_, hasModel := m["Model"]
		if !hasMan && !hasModel {
			t.Fatalf("accepted %q without Manufacturer or Model", data)
		}
		FromWMI(m)
	})
}
