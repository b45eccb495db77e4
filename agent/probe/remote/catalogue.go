// Package remote finds, for rule 10.9 (p.10: no software that lets other
// persons access the computer), the remote-access, remote-control and
// screen-sharing programs running on the candidate's computer, the sockets
// they listen on, and whether the agent's own session is a remote one.
//
// What to look for is data, not code: catalogue.json lists every tool with
// its category, process names per OS, Windows original file names, install
// paths and default listening ports. Scan matches the running processes and
// listening sockets against it.
package remote

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Category groups the tools of the catalogue; the exam policy decides per
// category whether a finding is a violation, suspected, or ignored.
type Category string

// The catalogue's categories.
const (
	// CategoryRemoteControl: tools made to let another person see and
	// control the computer (TeamViewer, AnyDesk, RustDesk …).
	CategoryRemoteControl Category = "remote_control"
	// CategoryVNC: VNC servers, which share a display over RFB.
	CategoryVNC Category = "vnc"
	// CategoryRDP: Remote Desktop Protocol servers.
	CategoryRDP Category = "rdp"
	// CategoryInputSharing: tools that let another computer's keyboard and
	// mouse drive this one (Mouse Without Borders, Synergy).
	CategoryInputSharing Category = "input_sharing"
	// CategoryScreenSharing: meeting and messaging apps that can share the
	// screen with others (Zoom, Teams, Discord …).
	CategoryScreenSharing Category = "screen_sharing"
	// CategoryRemoteShell: servers that let another person log in to a
	// shell (OpenSSH).
	CategoryRemoteShell Category = "remote_shell"
)

// Categories lists every category the catalogue may use.
func Categories() []Category {
	return []Category{CategoryRemoteControl, CategoryVNC, CategoryRDP, CategoryInputSharing, CategoryScreenSharing, CategoryRemoteShell}
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, x := range Categories() {
		if x == c {
			return true
		}
	}
	return false
}

// Port is a range of default listening ports of a tool.
type Port struct {
	// Proto is "tcp" or "udp".
	Proto string `json:"proto"`
	// From and To bound the range, both included.
	From uint32 `json:"from"`
	To   uint32 `json:"to"`
}

// Tool is one entry of the catalogue.
type Tool struct {
	// ID is the stable identifier, used in finding subjects and allow-lists.
	ID string `json:"id"`
	// Name is the product's display name.
	Name string `json:"name"`
	// Category is what kind of tool it is.
	Category Category `json:"category"`
	// Processes lists process names by GOOS ("windows", "linux", "darwin").
	Processes map[string][]string `json:"processes"`
	// OriginalFilenames are the OriginalFilename values of the Windows
	// version resource of its executables.
	OriginalFilenames []string `json:"original_filenames,omitempty"`
	// PathContains are lowercase fragments of install paths, matched against
	// the executable path and the first two command-line words.
	PathContains []string `json:"path_contains,omitempty"`
	// Ports are the default listening ports.
	Ports []Port `json:"ports,omitempty"`
	// Notes say what a reviewer should know about the tool.
	Notes string `json:"notes"`
}

// Catalogue is the parsed, validated tool list with lookup indexes. It is
// read-only after Parse and safe for concurrent use.
type Catalogue struct {
	tools  []Tool
	byName map[string]map[string][]int // goos → normalised name → tool indexes
	byOrig map[string][]int            // normalised original file name → tool indexes
}

// ErrCatalogue is wrapped by every error about a malformed catalogue.
var ErrCatalogue = errors.New("remote-access catalogue is invalid")

//go:embed catalogue.json
var catalogueJSON []byte

// Load parses the catalogue shipped in this package.
func Load() (*Catalogue, error) { return Parse(catalogueJSON) }

// Parse reads and validates a catalogue document. Its errors name the entry
// and field that is wrong.
func Parse(data []byte) (*Catalogue, error) {
	var doc struct {
		Version     int    `json:"version"`
		Description string `json:"description"`
		Tools       []Tool `json:"tools"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: not a catalogue document: %w", ErrCatalogue, err)
	}
	if doc.Version != 1 {
		return nil, fmt.Errorf("%w: version %d is not supported (want 1)", ErrCatalogue, doc.Version)
	}
	c := &Catalogue{tools: doc.Tools, byName: map[string]map[string][]int{}, byOrig: map[string][]int{}}
	seen := map[string]bool{}
	for i, t := range c.tools {
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("%w: tool #%d (%q): %w", ErrCatalogue, i, t.ID, err)
		}
		if seen[t.ID] {
			return nil, fmt.Errorf("%w: tool id %q appears twice", ErrCatalogue, t.ID)
		}
		seen[t.ID] = true
		for goos, names := range t.Processes {
			m := c.byName[goos]
			if m == nil {
				m = map[string][]int{}
				c.byName[goos] = m
			}
			for _, n := range names {
				k := NormalizeName(n)
				m[k] = appendOnce(m[k], i)
			}
		}
		for _, n := range t.OriginalFilenames {
			k := NormalizeName(n)
			c.byOrig[k] = appendOnce(c.byOrig[k], i)
		}
	}
	return c, nil
}

func appendOnce(xs []int, i int) []int {
	for _, x := range xs {
		if x == i {
			return xs
		}
	}
	return append(xs, i)
}

func (t *Tool) validate() error {
	switch {
	case t.ID == "" || strings.ToLower(t.ID) != t.ID || strings.ContainsAny(t.ID, " :/"):
		return errors.New("id must be lowercase, non-empty, without spaces, ':' or '/'")
	case t.Name == "":
		return errors.New("name is missing")
	case !t.Category.Valid():
		return fmt.Errorf("category %q is not one of %v", t.Category, Categories())
	}
	n := 0
	for goos, names := range t.Processes {
		switch goos {
		case "windows", "linux", "darwin":
		default:
			return fmt.Errorf("processes: OS %q is not windows, linux or darwin", goos)
		}
		for _, name := range names {
			if strings.TrimSpace(name) == "" {
				return fmt.Errorf("processes.%s: empty name", goos)
			}
		}
		n += len(names)
	}
	if n == 0 && len(t.OriginalFilenames) == 0 && len(t.PathContains) == 0 {
		return errors.New("has no process name, original file name or path to match")
	}
	for _, p := range t.PathContains {
		if p == "" || strings.ToLower(p) != p {
			return fmt.Errorf("path_contains %q must be non-empty lowercase", p)
		}
	}
	for _, p := range t.Ports {
		if (p.Proto != "tcp" && p.Proto != "udp") || p.From == 0 || p.To < p.From || p.To > 65535 {
			return fmt.Errorf("port %+v: want proto tcp or udp and 1 <= from <= to <= 65535", p)
		}
	}
	return nil
}

// Tools returns a copy of every tool, in catalogue order.
func (c *Catalogue) Tools() []Tool {
	out := make([]Tool, len(c.tools))
	copy(out, c.tools)
	return out
}

// Tool returns the tool with the given id.
func (c *Catalogue) Tool(id string) (Tool, bool) {
	for _, t := range c.tools {
		if t.ID == id {
			return t, true
		}
	}
	return Tool{}, false
}

// NormalizeName turns a process or file name into the key the catalogue is
// indexed by: its base name, lowercase, without a trailing ".exe".
func NormalizeName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToLower(name)
	return strings.TrimSuffix(name, ".exe")
}

// MatchBy says which property of a process matched the catalogue.
type MatchBy string

// What a match was made on, strongest first.
const (
	ByOriginalFilename MatchBy = "original_filename"
	ByName             MatchBy = "name"
	ByExecutable       MatchBy = "executable"
	ByPath             MatchBy = "path"
)

// ProcessInfo is what is known about one running process.
type ProcessInfo struct {
	PID  int32
	Name string
	// Exe is the executable's path; empty when it could not be read.
	Exe string
	// Args is the command line; nil when it could not be read.
	Args []string
	// OriginalFilename is the Windows version resource's OriginalFilename.
	OriginalFilename string
}

// linuxCommLen is the kernel's TASK_COMM_LEN less the NUL: longer process
// names are cut to it in /proc/<pid>/stat and status.
const linuxCommLen = 15

// Match finds the tool p is, on goos, and says on what it matched.
func (c *Catalogue) Match(goos string, p ProcessInfo) (Tool, MatchBy, bool) {
	if p.OriginalFilename != "" {
		if ids := c.byOrig[NormalizeName(p.OriginalFilename)]; len(ids) > 0 {
			return c.tools[ids[0]], ByOriginalFilename, true
		}
	}
	names := c.byName[goos]
	if i, ok := lookupName(names, p.Name, goos); ok {
		return c.tools[i], ByName, true
	}
	if p.Exe != "" {
		if i, ok := lookupName(names, p.Exe, goos); ok {
			return c.tools[i], ByExecutable, true
		}
	}
	if len(p.Args) > 0 {
		if i, ok := lookupName(names, p.Args[0], goos); ok {
			return c.tools[i], ByExecutable, true
		}
	}
	candidates := []string{p.Exe}
	for i := 0; i < len(p.Args) && i < 2; i++ {
		candidates = append(candidates, p.Args[i])
	}
	for _, s := range candidates {
		if s == "" {
			continue
		}
		s = strings.ToLower(s)
		for i, t := range c.tools {
			for _, frag := range t.PathContains {
				if strings.Contains(s, frag) {
					return c.tools[i], ByPath, true
				}
			}
		}
	}
	return Tool{}, "", false
}

func lookupName(names map[string][]int, name, goos string) (int, bool) {
	k := NormalizeName(name)
	if k == "" {
		return 0, false
	}
	if ids := names[k]; len(ids) > 0 {
		return ids[0], true
	}
	// A Linux name cut to 15 characters matches a longer catalogued name it
	// starts. Pick the lowest index so the answer does not depend on map order.
	if goos == "linux" && len(k) == linuxCommLen {
		best := -1
		for n, ids := range names {
			if len(n) > linuxCommLen && strings.HasPrefix(n, k) && (best < 0 || ids[0] < best) {
				best = ids[0]
			}
		}
		if best >= 0 {
			return best, true
		}
	}
	return 0, false
}

// ToolsOnPort returns the tools that listen on proto/port by default,
// sorted by id.
func (c *Catalogue) ToolsOnPort(proto string, port uint32) []Tool {
	var out []Tool
	for _, t := range c.tools {
		for _, p := range t.Ports {
			if p.Proto == proto && p.From <= port && port <= p.To {
				out = append(out, t)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
