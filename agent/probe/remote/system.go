package remote

import (
	"context"
	"fmt"
	"syscall"

	"github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
)

// SystemSource reads the real processes and sockets through gopsutil.
type SystemSource struct{}

var _ System = SystemSource{}

// Processes lists the running processes. It does not use
// process.Processes, which reads every process's start time: the scan
// needs only names.
func (SystemSource) Processes(ctx context.Context) ([]Process, error) {
	pids, err := process.PidsWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("gopsutil pids: %w", err)
	}
	out := make([]Process, len(pids))
	for i, pid := range pids {
		out[i] = gopsProcess{&process.Process{Pid: pid}}
	}
	return out, nil
}

// Connections lists the TCP and UDP sockets of process pid.
func (SystemSource) Connections(ctx context.Context, pid int32) ([]Socket, error) {
	cs, err := net.ConnectionsPidWithContext(ctx, "inet", pid)
	if err != nil {
		return nil, fmt.Errorf("gopsutil connections of %d: %w", pid, err)
	}
	return sockets(cs), nil
}

func sockets(cs []net.ConnectionStat) []Socket {
	out := make([]Socket, 0, len(cs))
	for _, c := range cs {
		s := Socket{LocalAddr: c.Laddr.IP, LocalPort: c.Laddr.Port, RemoteAddr: c.Raddr.IP, RemotePort: c.Raddr.Port, PID: c.Pid}
		switch c.Type {
		case syscall.SOCK_STREAM:
			s.Proto = "tcp"
			s.Listening = c.Status == "LISTEN"
			s.Established = c.Status == "ESTABLISHED"
		case syscall.SOCK_DGRAM:
			s.Proto = "udp"
			s.Listening = c.Raddr.Port == 0
		default:
			continue
		}
		out = append(out, s)
	}
	return out
}

type gopsProcess struct{ p *process.Process }

func (g gopsProcess) PID() int32 { return g.p.Pid }

func (g gopsProcess) Name(ctx context.Context) (string, error) {
	if n, ok := fastName(g.p.Pid); ok {
		return n, nil
	}
	n, err := g.p.NameWithContext(ctx)
	return n, gone(err)
}

func (g gopsProcess) Exe(ctx context.Context) (string, error) {
	e, err := g.p.ExeWithContext(ctx)
	return e, gone(err)
}

func (g gopsProcess) Args(ctx context.Context) ([]string, error) {
	a, err := g.p.CmdlineSliceWithContext(ctx)
	return a, gone(err)
}

// gone maps gopsutil's "not running" to ErrGone so IsGone sees it.
func gone(err error) error {
	if err != nil && err == process.ErrorProcessNotRunning {
		return fmt.Errorf("%w: %w", ErrGone, err)
	}
	return err
}
