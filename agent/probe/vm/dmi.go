package vm

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// dmiFiles are the DMI strings Linux exposes to every user under
// /sys/class/dmi/id (the serial numbers need root and are not read).
func dmiFiles() []string {
	return []string{"sys_vendor", "product_name", "product_version", "board_vendor", "board_name", "bios_vendor", "bios_version", "chassis_vendor"}
}

// ReadDMI reads the DMI strings under dir (/sys/class/dmi/id). It fails
// with ErrCannotTell when there are no DMI tables at all (some ARM boards,
// micro-VMs such as Firecracker).
func ReadDMI(dir string) (map[string]string, error) {
	out := map[string]string{}
	var firstErr error
	for _, name := range dmiFiles() {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		out["dmi:"+name] = strings.TrimSpace(string(bytes.ToValidUTF8(b, nil)))
	}
	if len(out) == 0 {
		if firstErr != nil {
			return nil, fmt.Errorf("read DMI in %s: %w", dir, firstErr)
		}
		return nil, fmt.Errorf("%w: no DMI tables in %s", ErrCannotTell, dir)
	}
	return out, nil
}

// FromDMI turns DMI strings into a report.
func FromDMI(dmi map[string]string) Report {
	r := Report{Facts: map[string]string{}}
	for k, v := range dmi {
		if v != "" {
			r.Facts[k] = v
		}
	}
	r.Signals = MatchStrings(dmi, []string{"dmi:sys_vendor", "dmi:board_vendor", "dmi:chassis_vendor"}, []string{"dmi:product_name"})
	return r
}

// CPUHypervisorFlag reports whether /proc/cpuinfo-style text lists the
// "hypervisor" CPU flag. It is a fact for the proctor, not proof.
func CPUHypervisorFlag(cpuinfo []byte) bool {
	for _, line := range strings.Split(string(cpuinfo), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (strings.TrimSpace(k) != "flags" && strings.TrimSpace(k) != "Features") {
			continue
		}
		for _, f := range strings.Fields(v) {
			if f == "hypervisor" {
				return true
			}
		}
	}
	return false
}
