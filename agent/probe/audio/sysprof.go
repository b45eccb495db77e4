package audio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Errors of the macOS reader.
var (
	// ErrSystemProfiler: system_profiler could not be run or timed out.
	ErrSystemProfiler = errors.New("system_profiler failed")
	// ErrSystemProfilerOutput: its output is not an SPAudioDataType report.
	ErrSystemProfilerOutput = errors.New("system_profiler output is not an audio report")
)

type spItem struct {
	Name         string          `json:"_name"`
	Items        []spItem        `json:"_items"`
	Transport    string          `json:"coreaudio_device_transport"`
	Input        json.RawMessage `json:"coreaudio_device_input"`
	Output       json.RawMessage `json:"coreaudio_device_output"`
	OutputSource string          `json:"coreaudio_output_source"`
	InputSource  string          `json:"coreaudio_input_source"`
	Manufacturer string          `json:"coreaudio_device_manufacturer"`
}

// channels reads a channel count that system_profiler writes as a number
// (or, in some versions, a string).
func channels(raw json.RawMessage) int {
	if len(raw) == 0 {
		return 0
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		fmt.Sscan(s, &n)
	}
	return n
}

// ParseSystemProfiler decodes `system_profiler SPAudioDataType -json`. A
// device with both directions yields an "output" and an "input" Device.
// Its transport gives the bus ("coreaudio_device_type_bluetooth" →
// "bluetooth"), and an output source naming headphones (the built-in jack
// with something plugged in) gives the form factor.
func ParseSystemProfiler(data []byte) ([]Device, error) {
	var doc struct {
		Audio *[]spItem `json:"SPAudioDataType"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSystemProfilerOutput, err)
	}
	if doc.Audio == nil {
		return nil, fmt.Errorf("%w: no SPAudioDataType key", ErrSystemProfilerOutput)
	}
	var out []Device
	for _, group := range *doc.Audio {
		for _, it := range group.Items {
			if it.Name == "" {
				return nil, fmt.Errorf("%w: a device has no _name", ErrSystemProfilerOutput)
			}
			bus := strings.TrimPrefix(strings.ToLower(it.Transport), "coreaudio_device_type_")
			if channels(it.Output) > 0 {
				d := Device{Kind: "output", Name: it.Name, Description: it.Name, Bus: bus, ActivePort: it.OutputSource}
				if src := strings.ToLower(it.OutputSource); strings.Contains(src, "headphone") {
					d.FormFactor = "headphones"
				}
				out = append(out, d)
			}
			if channels(it.Input) > 0 {
				d := Device{Kind: "input", Name: it.Name, Description: it.Name, Bus: bus, ActivePort: it.InputSource}
				if src := strings.ToLower(it.InputSource); strings.Contains(src, "headset") {
					d.FormFactor = "headset"
				}
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// SystemProfiler runs system_profiler (macOS) and parses its audio report.
// It is slow (about a second), so it runs with its own timeout.
func SystemProfiler(ctx context.Context, timeout time.Duration) ([]Device, error) {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "system_profiler", "SPAudioDataType", "-json")
	cmd.WaitDelay = 500 * time.Millisecond
	out, err := cmd.Output()
	if ctx.Err() == context.DeadlineExceeded {
		return nil, fmt.Errorf("%w: no answer in %s", ErrSystemProfiler, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSystemProfiler, err)
	}
	return ParseSystemProfiler(out)
}
