package vm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrWMIOutput: the WMI query's output is not what was asked for.
var ErrWMIOutput = errors.New("WMI output is not a Win32_ComputerSystem record")

// ParseWMI reads Win32_ComputerSystem's Manufacturer and Model, as printed
// by PowerShell (`Get-CimInstance Win32_ComputerSystem | Select-Object
// Manufacturer,Model,HypervisorPresent | ConvertTo-Json`) or by wmic
// (`wmic computersystem get Manufacturer,Model /format:list`).
func ParseWMI(data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return parseWMIJSON(t)
	}
	return parseWMIList(data)
}

func parseWMIJSON(data []byte) (map[string]string, error) {
	var one map[string]any
	if data[0] == '[' {
		var many []map[string]any
		if err := json.Unmarshal(data, &many); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrWMIOutput, err)
		}
		if len(many) == 0 {
			return nil, fmt.Errorf("%w: empty list", ErrWMIOutput)
		}
		one = many[0]
	} else if err := json.Unmarshal(data, &one); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWMIOutput, err)
	}
	out := map[string]string{}
	for k, v := range one {
		switch x := v.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = fmt.Sprint(x)
		}
	}
	return checkWMI(out)
}

func parseWMIList(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && k != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return checkWMI(out)
}

func checkWMI(m map[string]string) (map[string]string, error) {
	_, hasMan := m["Manufacturer"]
	_, hasModel := m["Model"]
	if !hasMan && !hasModel {
		return nil, fmt.Errorf("%w: neither Manufacturer nor Model is present", ErrWMIOutput)
	}
	return m, nil
}

// FromWMI turns parsed Win32_ComputerSystem fields into a report.
// HypervisorPresent (the CPU bit) is kept as a fact only.
func FromWMI(m map[string]string) Report {
	fields := map[string]string{"wmi:Manufacturer": m["Manufacturer"], "wmi:Model": m["Model"]}
	r := Report{Facts: map[string]string{}}
	for k, v := range fields {
		if v != "" {
			r.Facts[k] = v
		}
	}
	if v := m["HypervisorPresent"]; v != "" {
		r.Facts["cpu:hypervisor_present"] = strings.ToLower(v)
	}
	r.Signals = MatchStrings(fields, []string{"wmi:Manufacturer"}, []string{"wmi:Model"})
	return r
}
