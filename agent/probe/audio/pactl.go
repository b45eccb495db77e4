package audio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Errors of the pactl client. Each says why rule 10.10 could not be checked.
var (
	// ErrPactlMissing: pactl is not installed (Debian: pulseaudio-utils).
	ErrPactlMissing = errors.New("pactl is not installed")
	// ErrPactlTimeout: pactl did not answer in time.
	ErrPactlTimeout = errors.New("pactl did not answer in time")
	// ErrNoSoundServer: no PulseAudio or PipeWire server is running for
	// this user.
	ErrNoSoundServer = errors.New("no PulseAudio or PipeWire sound server")
	// ErrPactlOutput: pactl printed something that is not a device list.
	ErrPactlOutput = errors.New("pactl output is not a device list")
	// ErrPactlFailed: pactl exited with an error.
	ErrPactlFailed = errors.New("pactl failed")
)

// maxPactlOutput bounds what is read from pactl, so a broken or hostile
// binary cannot exhaust memory.
const maxPactlOutput = 8 << 20

type pactlJSONDevice struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Properties  map[string]string `json:"properties"`
	Ports       []struct {
		Name         string `json:"name"`
		Type         string `json:"type"`
		Availability string `json:"availability"`
	} `json:"ports"`
	ActivePort *string `json:"active_port"`
}

// ParsePactlJSON decodes `pactl -f json list sinks|sources` (pactl 16 and
// later, talking to PulseAudio or to PipeWire's pipewire-pulse). kind is
// "sink" or "source".
func ParsePactlJSON(kind string, data []byte) ([]Device, error) {
	var raw []pactlJSONDevice
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPactlOutput, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON list", ErrPactlOutput)
	}
	out := make([]Device, 0, len(raw))
	for i, r := range raw {
		if r.Name == "" {
			return nil, fmt.Errorf("%w: %s #%d has no name", ErrPactlOutput, kind, i)
		}
		d := fromProps(kind, r.Name, r.Description, r.Properties)
		if r.ActivePort != nil {
			d.ActivePort = *r.ActivePort
			for _, p := range r.Ports {
				if p.Name == d.ActivePort {
					d.PortType, d.PortAvailability = p.Type, p.Availability
				}
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func fromProps(kind, name, desc string, props map[string]string) Device {
	d := Device{Kind: kind, Name: name, Description: desc}
	if v := props["device.description"]; desc == "" && v != "" {
		d.Description = v
	}
	d.FormFactor = strings.ToLower(props["device.form_factor"])
	d.Bus = strings.ToLower(props["device.bus"])
	if d.Bus == "" && (props["device.api"] == "bluez5" || strings.HasPrefix(props["factory.name"], "api.bluez5")) {
		d.Bus = "bluetooth"
	}
	d.Monitor = props["device.class"] == "monitor" || (kind == "source" && strings.HasSuffix(name, ".monitor"))
	return d
}

var (
	textHeader   = regexp.MustCompile(`^(Sink|Source) #\d+\s*$`)
	textPortLine = regexp.MustCompile(`^\s+([^\s:][^:]*): .*\((.*)\)\s*$`)
	textProp     = regexp.MustCompile(`^\s+([a-zA-Z0-9_.\-]+) = "(.*)"\s*$`)
)

// ParsePactlText decodes `pactl list sinks|sources` as printed by pactl 15
// and older, which have no JSON output, run with LC_ALL=C. kind is "sink"
// or "source".
func ParsePactlText(kind string, data []byte) ([]Device, error) {
	var out []Device
	type portInfo struct{ typ, avail string }
	var (
		cur     *Device
		props   map[string]string
		ports   map[string]portInfo
		section string
	)
	flush := func() {
		if cur == nil {
			return
		}
		d := fromProps(kind, cur.Name, cur.Description, props)
		d.ActivePort = cur.ActivePort
		if p, ok := ports[d.ActivePort]; ok {
			d.PortType, d.PortAvailability = p.typ, p.avail
		}
		out = append(out, d)
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if textHeader.MatchString(line) {
			flush()
			cur, props, ports, section = &Device{}, map[string]string{}, map[string]portInfo{}, ""
			continue
		}
		if cur == nil || strings.TrimSpace(line) == "" {
			continue
		}
		if !strings.HasPrefix(line, "\t\t") && strings.HasPrefix(line, "\t") {
			t := strings.TrimSpace(line)
			key, val, _ := strings.Cut(t, ":")
			val = strings.TrimSpace(val)
			section = key
			switch key {
			case "Name":
				cur.Name = val
			case "Description":
				cur.Description = val
			case "Active Port":
				cur.ActivePort = val
			}
			continue
		}
		switch section {
		case "Properties":
			if m := textProp.FindStringSubmatch(line); m != nil {
				props[m[1]] = m[2]
			}
		case "Ports":
			if m := textPortLine.FindStringSubmatch(line); m != nil {
				ports[strings.TrimSpace(m[1])] = parsePortParen(m[2])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPactlOutput, err)
	}
	flush()
	for i, d := range out {
		if d.Name == "" {
			return nil, fmt.Errorf("%w: %s #%d has no Name line", ErrPactlOutput, kind, i)
		}
	}
	if out == nil && len(bytes.TrimSpace(data)) > 0 {
		return nil, fmt.Errorf("%w: no \"Sink #\" or \"Source #\" header in %d bytes", ErrPactlOutput, len(data))
	}
	return out, nil
}

// parsePortParen reads "(type: Headphones, priority: 9900, availability
// group: Legacy 2, available)"; pactl 15 omits the type.
func parsePortParen(s string) (p struct{ typ, avail string }) {
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch {
		case strings.HasPrefix(f, "type: "):
			p.typ = strings.TrimPrefix(f, "type: ")
		case f == "available", f == "not available", f == "availability unknown":
			p.avail = f
		}
	}
	return p
}

// Pactl runs the pactl client of PulseAudio (also the client of PipeWire's
// pipewire-pulse). The zero value runs "pactl" from PATH with the agent's
// environment and a 3 s timeout.
type Pactl struct {
	// Path is the pactl binary; "" means "pactl" from PATH.
	Path string
	// Env is the environment pactl runs with; nil means os.Environ(). LC_ALL=C
	// is always added so numbers and texts are not localised (a decimal
	// comma would break pactl 16's JSON).
	Env []string
	// Timeout bounds one list call; 0 means 3 s.
	Timeout time.Duration

	mu       sync.Mutex
	textOnly bool // pactl is older than 16 and has no -f json
}

// path finds the binary: Path, or "pactl" in the PATH of the
// environment pactl runs with (which may differ from the agent's).
func (p *Pactl) path() (string, error) {
	if p.Path != "" {
		return p.Path, nil
	}
	dirs := os.Getenv("PATH")
	if p.Env != nil {
		dirs = ""
		for _, kv := range p.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				dirs = v
			}
		}
	}
	for _, dir := range filepath.SplitList(dirs) {
		if dir == "" {
			dir = "."
		}
		f := filepath.Join(dir, "pactl")
		if st, err := os.Stat(f); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: not found in PATH %q", ErrPactlMissing, dirs)
}

func (p *Pactl) env() []string {
	env := p.Env
	if env == nil {
		env = os.Environ()
	}
	return append(append([]string(nil), env...), "LC_ALL=C")
}

// List returns the sinks ("sink") or sources ("source").
func (p *Pactl) List(ctx context.Context, kind string) ([]Device, error) {
	if kind != "sink" && kind != "source" {
		return nil, fmt.Errorf("pactl list: kind %q is not sink or source", kind)
	}
	p.mu.Lock()
	text := p.textOnly
	p.mu.Unlock()
	if !text {
		out, err := p.run(ctx, "-f", "json", "list", kind+"s")
		if err == nil {
			return ParsePactlJSON(kind, out)
		}
		if !errors.Is(err, errOldPactl) {
			return nil, err
		}
		p.mu.Lock()
		p.textOnly = true
		p.mu.Unlock()
	}
	out, err := p.run(ctx, "list", kind+"s")
	if err != nil {
		return nil, err
	}
	return ParsePactlText(kind, out)
}

// errOldPactl: pactl does not know -f (older than 16).
var errOldPactl = errors.New("pactl has no JSON output")

func (p *Pactl) run(ctx context.Context, args ...string) ([]byte, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bin, err := p.path()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = p.env()
	// A hung pactl may leave children holding the pipes; stop waiting
	// for them shortly after killing it.
	cmd.WaitDelay = 500 * time.Millisecond
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxPactlOutput, 64<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return nil, fmt.Errorf("%w (%s, %s)", ErrPactlTimeout, strings.Join(args, " "), timeout)
	}
	if err != nil {
		return nil, classifyPactlErr(err, stderr.String(), args)
	}
	if stdout.over {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrPactlOutput, maxPactlOutput)
	}
	return stdout.Bytes(), nil
}

func classifyPactlErr(err error, stderr string, args []string) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrPactlMissing, err)
	}
	msg := strings.TrimSpace(stderr)
	if len(msg) > 200 {
		msg = msg[:200]
	}
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "connection failure") || strings.Contains(low, "connection refused") ||
		strings.Contains(low, "no such file or directory") && strings.Contains(low, "connect"):
		return fmt.Errorf("%w: %s", ErrNoSoundServer, msg)
	case len(args) > 0 && args[0] == "-f" && (strings.Contains(low, "unrecognized option") ||
		strings.Contains(low, "invalid option") || strings.Contains(low, "unknown option")):
		return errOldPactl
	}
	return fmt.Errorf("%w: pactl %s: %w: %s", ErrPactlFailed, strings.Join(args, " "), err, msg)
}

// limitedBuffer keeps at most max bytes and notes that more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// SubscribeEvent is one line of `pactl subscribe`.
type SubscribeEvent struct {
	// Type is "new", "change" or "remove".
	Type string
	// Facility is "sink", "source", "card", "server", "client" …
	Facility string
	// Index is the object's index.
	Index uint32
}

var subscribeLine = regexp.MustCompile(`^Event '([a-z]+)' on ([a-z-]+) #(\d+)$`)

// ParseSubscribeLine decodes one line of `pactl subscribe` output
// ("Event 'new' on sink #4"), with LC_ALL=C.
func ParseSubscribeLine(line string) (SubscribeEvent, bool) {
	m := subscribeLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return SubscribeEvent{}, false
	}
	var idx uint32
	if _, err := fmt.Sscan(m[3], &idx); err != nil {
		return SubscribeEvent{}, false
	}
	return SubscribeEvent{Type: m[1], Facility: m[2], Index: idx}, true
}

// Relevant reports whether e can change which headsets are present.
func (e SubscribeEvent) Relevant() bool {
	switch e.Facility {
	case "sink", "source", "card", "server":
		return true
	}
	return false
}

// Subscribe runs `pactl subscribe` and calls changed for every event that
// may change the devices, until ctx is done (returning nil) or pactl exits
// (returning why). It is how a plugged-in headset is seen at once.
func (p *Pactl) Subscribe(ctx context.Context, changed func()) error {
	bin, err := p.path()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "subscribe")
	cmd.Env = p.env()
	cmd.WaitDelay = 500 * time.Millisecond
	var stderr limitedBuffer
	stderr.max = 64 << 10
	cmd.Stderr = &stderr
	out, perr := cmd.StdoutPipe()
	if perr != nil {
		return fmt.Errorf("pactl subscribe: %w", perr)
	}
	if err := cmd.Start(); err != nil {
		return classifyPactlErr(err, "", []string{"subscribe"})
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if ev, ok := ParseSubscribeLine(sc.Text()); ok && ev.Relevant() {
			changed()
		}
	}
	if scanErr := sc.Err(); scanErr != nil {
		// pactl would block writing to a pipe nobody reads: stop it.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("%w: reading pactl subscribe: %w", ErrPactlOutput, scanErr)
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return classifyPactlErr(err, stderr.String(), []string{"subscribe"})
	}
	return fmt.Errorf("%w: pactl subscribe ended", ErrPactlFailed)
}
