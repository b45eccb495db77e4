//go:build linux

package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Listening asks the kernel for listening TCP sockets over sock_diag and
// reads the UDP tables (/proc/net/udp, udp6) directly, where gopsutil
// would walk every process's descriptors to name each socket's owner. PID
// is 0. Without sock_diag it reads /proc/net/tcp and tcp6 instead.
func (SystemSource) Listening(ctx context.Context) ([]Socket, error) {
	var out []Socket
	tables := []struct{ file, proto string }{{"udp", "udp"}, {"udp6", "udp"}}
	v4, err4 := tcpListeners(unix.AF_INET)
	v6, err6 := tcpListeners(unix.AF_INET6)
	switch {
	case err4 == nil && err6 == nil:
		out = append(v4, v6...)
	case err4 == nil:
		out = v4
		tables = append(tables, struct{ file, proto string }{"tcp6", "tcp"})
	default:
		tables = append(tables, struct{ file, proto string }{"tcp", "tcp"}, struct{ file, proto string }{"tcp6", "tcp"})
	}
	found := false
	for _, t := range tables {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := os.ReadFile("/proc/net/" + t.file)
		if errors.Is(err, fs.ErrNotExist) {
			continue // IPv6 disabled
		}
		if err != nil {
			return nil, fmt.Errorf("read /proc/net/%s: %w", t.file, err)
		}
		found = true
		socks, err := ParseProcNet(t.proto, data)
		if err != nil {
			return nil, fmt.Errorf("/proc/net/%s: %w", t.file, err)
		}
		out = append(out, socks...)
	}
	if !found {
		return nil, fmt.Errorf("no /proc/net socket tables: %w", fs.ErrNotExist)
	}
	return out, nil
}
