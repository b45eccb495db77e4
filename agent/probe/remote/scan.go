package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"sync"
	"syscall"
)

// Errors of a scan.
var (
	// ErrProcessList: the list of processes could not be read at all, so
	// nothing is known about rule 10.9.
	ErrProcessList = errors.New("cannot list processes")
	// ErrGone is what a Process returns when it exited while being read. A
	// process that is gone is not running a tool, so it is skipped.
	ErrGone = errors.New("process exited")
)

// Process is one running process as a System reads it. Any method may fail:
// the process may have exited meanwhile (an error that Is ErrGone,
// fs.ErrNotExist or ESRCH) or belong to a user the agent may not inspect.
type Process interface {
	PID() int32
	Name(ctx context.Context) (string, error)
	Exe(ctx context.Context) (string, error)
	Args(ctx context.Context) ([]string, error)
}

// Socket is one network endpoint of the machine.
type Socket struct {
	// Proto is "tcp" or "udp".
	Proto string
	// LocalAddr and LocalPort are where it is bound.
	LocalAddr string
	LocalPort uint32
	// RemoteAddr and RemotePort are the peer of a connected socket.
	RemoteAddr string
	RemotePort uint32
	// Listening is true for a TCP socket in LISTEN state or a bound UDP
	// socket without a peer.
	Listening bool
	// Established is true for a TCP connection in ESTABLISHED state.
	Established bool
	// PID owns the socket; 0 when unknown.
	PID int32
}

// System is where a Scanner reads processes and sockets. SystemSource is
// the real one; tests substitute it only to inject faults a real system
// cannot produce on demand.
type System interface {
	// Processes lists the running processes.
	Processes(ctx context.Context) ([]Process, error)
	// Listening lists the listening TCP and bound UDP sockets. PID may be
	// 0: finding every socket's owner walks every process's descriptors,
	// too costly once a second.
	Listening(ctx context.Context) ([]Socket, error)
	// Connections lists the sockets of one process, with its PID.
	Connections(ctx context.Context, pid int32) ([]Socket, error)
}

// ProcessMatch is a running process that is a catalogued tool.
type ProcessMatch struct {
	Tool Tool
	By   MatchBy
	PID  int32
	Name string
	Exe  string
	// Listening are the ports the process listens on ("tcp/5900").
	Listening []string
	// Established are the peers of its established connections ("ip:port").
	Established []string
}

// PortMatch is a socket listening on a catalogued tool's default port.
type PortMatch struct {
	// Tools are the catalogued tools that use the port, sorted by id.
	Tools []Tool
	Proto string
	Port  uint32
	// PID and Process name the owner when it is known.
	PID     int32
	Process string
}

// Report is the outcome of one scan.
type Report struct {
	// Processes are the running catalogued tools, by PID.
	Processes []ProcessMatch
	// Ports are the listening sockets on catalogued ports, by proto and port.
	Ports []PortMatch
	// Scanned counts the processes looked at.
	Scanned int
	// Gone counts processes that exited while they were read.
	Gone int
	// Unreadable counts processes whose name could not be read, so the scan
	// does not know what they are.
	Unreadable int
	// UnreadableErr is the first such error.
	UnreadableErr error
	// SocketsErr is set when the sockets could not be listed.
	SocketsErr error
}

// Complete reports whether every process and the socket table were read.
func (r *Report) Complete() bool { return r.Unreadable == 0 && r.SocketsErr == nil }

// Scanner matches a System's processes and sockets against the catalogue.
// It caches what it read of each process between scans, keyed by PID and
// name, so a steady system costs one name read per process per scan.
type Scanner struct {
	cat  *Catalogue
	sys  System
	goos string
	self int32
	log  *slog.Logger
	// origName reads a Windows executable's OriginalFilename.
	origName func(exe string) (string, error)

	mu    sync.Mutex
	cache map[int32]cachedProc
}

type cachedProc struct {
	name, exe, orig string
	args            []string
	// The match is cached too: matching paths costs more than reading.
	tool    Tool
	by      MatchBy
	matched bool
}

// NewScanner makes a scanner of sys for the OS goos (runtime.GOOS for the
// real system). The agent's own process is never reported.
func NewScanner(cat *Catalogue, sys System, goos string, log *slog.Logger) *Scanner {
	return &Scanner{
		cat: cat, sys: sys, goos: goos, self: int32(os.Getpid()), log: log,
		origName: OriginalFilename, cache: map[int32]cachedProc{},
	}
}

// IsGone reports whether err says a process no longer exists.
func IsGone(err error) bool {
	return errors.Is(err, ErrGone) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// Scan reads every process and socket once. It fails only when the process
// list itself cannot be read; a partial read is reported in the Report.
func (s *Scanner) Scan(ctx context.Context) (Report, error) {
	var rep Report
	procs, err := s.sys.Processes(ctx)
	if err != nil {
		return rep, fmt.Errorf("%w: %w", ErrProcessList, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[int32]bool, len(procs))
	names := make(map[int32]string, len(procs))
	for _, p := range procs {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("scan processes: %w", err)
		}
		pid := p.PID()
		if pid == s.self {
			continue
		}
		rep.Scanned++
		info, c, err := s.read(ctx, p)
		if err != nil {
			if IsGone(err) {
				rep.Gone++
				continue
			}
			rep.Unreadable++
			if rep.UnreadableErr == nil {
				rep.UnreadableErr = fmt.Errorf("read process %d: %w", pid, err)
			}
			continue
		}
		seen[pid] = true
		names[pid] = info.Name
		if !c.matched {
			continue
		}
		tool, by := c.tool, c.by
		rep.Processes = append(rep.Processes, ProcessMatch{Tool: tool, By: by, PID: pid, Name: info.Name, Exe: info.Exe})
	}
	for pid := range s.cache {
		if !seen[pid] {
			delete(s.cache, pid)
		}
	}

	// The sockets of the tools found, then every listening socket on a
	// catalogued port, attributed to a found tool when it holds that port.
	owner := map[string]int32{}
	for i := range rep.Processes {
		m := &rep.Processes[i]
		socks, err := s.sys.Connections(ctx, m.PID)
		if err != nil {
			if !IsGone(err) && rep.SocketsErr == nil {
				rep.SocketsErr = fmt.Errorf("list sockets of process %d: %w", m.PID, err)
			}
			continue
		}
		for _, so := range socks {
			switch {
			case so.Listening:
				key := fmt.Sprintf("%s/%d", so.Proto, so.LocalPort)
				m.Listening = appendUniq(m.Listening, key)
				owner[key] = m.PID
			case so.Established:
				m.Established = appendUniq(m.Established, fmt.Sprintf("%s:%d", so.RemoteAddr, so.RemotePort))
			}
		}
	}
	listening, err := s.sys.Listening(ctx)
	if err != nil && rep.SocketsErr == nil {
		rep.SocketsErr = fmt.Errorf("list listening sockets: %w", err)
	}
	ports := map[string]bool{}
	for _, so := range listening {
		if !so.Listening || so.PID != 0 && so.PID == s.self {
			continue
		}
		tools := s.cat.ToolsOnPort(so.Proto, so.LocalPort)
		if len(tools) == 0 {
			continue
		}
		key := fmt.Sprintf("%s/%d", so.Proto, so.LocalPort)
		if ports[key] {
			continue
		}
		ports[key] = true
		pid := so.PID
		if pid == 0 {
			pid = owner[key]
		}
		rep.Ports = append(rep.Ports, PortMatch{Tools: tools, Proto: so.Proto, Port: so.LocalPort, PID: pid, Process: names[pid]})
	}
	sort.Slice(rep.Processes, func(i, j int) bool { return rep.Processes[i].PID < rep.Processes[j].PID })
	sort.Slice(rep.Ports, func(i, j int) bool {
		if rep.Ports[i].Proto != rep.Ports[j].Proto {
			return rep.Ports[i].Proto < rep.Ports[j].Proto
		}
		return rep.Ports[i].Port < rep.Ports[j].Port
	})
	return rep, nil
}

func appendUniq(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// read returns what matching needs of p, from the cache when p still has
// the name it had. The name must be readable; the executable path and the
// command line are best effort (kernel threads have neither, and another
// user's executable path is hidden from an unprivileged agent).
func (s *Scanner) read(ctx context.Context, p Process) (ProcessInfo, cachedProc, error) {
	pid := p.PID()
	name, err := p.Name(ctx)
	if err != nil {
		return ProcessInfo{}, cachedProc{}, fmt.Errorf("name: %w", err)
	}
	if c, ok := s.cache[pid]; ok && c.name == name {
		return ProcessInfo{PID: pid, Name: name, Exe: c.exe, Args: c.args, OriginalFilename: c.orig}, c, nil
	}
	info := ProcessInfo{PID: pid, Name: name}
	if exe, err := p.Exe(ctx); err == nil {
		info.Exe = exe
	} else if IsGone(err) && !exists(ctx, p) {
		return ProcessInfo{}, cachedProc{}, fmt.Errorf("exe: %w", ErrGone)
	}
	if args, err := p.Args(ctx); err == nil {
		info.Args = args
	}
	if s.goos == "windows" && info.Exe != "" && s.origName != nil {
		if orig, err := s.origName(info.Exe); err == nil {
			info.OriginalFilename = orig
		}
	}
	c := cachedProc{name: name, exe: info.Exe, orig: info.OriginalFilename, args: info.Args}
	c.tool, c.by, c.matched = s.cat.Match(s.goos, info)
	s.cache[pid] = c
	return info, c, nil
}

// exists tells a process that exited from one whose executable link is
// simply absent (a kernel thread) by reading its name again.
func exists(ctx context.Context, p Process) bool {
	_, err := p.Name(ctx)
	return err == nil || !IsGone(err)
}
