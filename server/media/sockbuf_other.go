//go:build !linux

package media

import "net"

// receiveBuffer cannot read the granted size here; the caller does not warn.
func receiveBuffer(*net.UDPConn) (int, bool) { return 0, false }
