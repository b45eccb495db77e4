//go:build windows

package vm

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// Detect asks WMI for Win32_ComputerSystem through PowerShell, or wmic
// where PowerShell is missing. root is unused on Windows.
func Detect(ctx context.Context, _ string) (Report, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ps := exec.CommandContext(ctx, "powershell.exe", "-NoProfile", "-NonInteractive", "-Command",
		"Get-CimInstance -ClassName Win32_ComputerSystem | Select-Object Manufacturer,Model,HypervisorPresent | ConvertTo-Json -Compress")
	ps.WaitDelay = time.Second
	out, err := ps.Output()
	if err != nil && errors.Is(err, exec.ErrNotFound) {
		wmic := exec.CommandContext(ctx, "wmic", "computersystem", "get", "Manufacturer,Model", "/format:list")
		wmic.WaitDelay = time.Second
		out, err = wmic.Output()
	}
	if err != nil {
		return Report{}, fmt.Errorf("%w: query Win32_ComputerSystem: %w", ErrCannotTell, err)
	}
	m, err := ParseWMI(out)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %w", ErrCannotTell, err)
	}
	return FromWMI(m), nil
}
