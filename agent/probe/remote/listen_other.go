//go:build !linux

package remote

import (
	"context"
	"fmt"

	"github.com/shirou/gopsutil/v4/net"
)

// Listening lists the listening sockets through gopsutil, which on
// Windows reads the TCP and UDP tables with their owners in one call.
func (SystemSource) Listening(ctx context.Context) ([]Socket, error) {
	cs, err := net.ConnectionsWithContext(ctx, "inet")
	if err != nil {
		return nil, fmt.Errorf("gopsutil connections: %w", err)
	}
	var out []Socket
	for _, s := range sockets(cs) {
		if s.Listening {
			out = append(out, s)
		}
	}
	return out, nil
}
