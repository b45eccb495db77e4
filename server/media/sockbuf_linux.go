package media

import (
	"net"

	"golang.org/x/sys/unix"
)

// receiveBuffer returns the receive buffer the kernel granted, in bytes the
// application can use (Linux reports twice that, for its bookkeeping).
func receiveBuffer(conn *net.UDPConn) (int, bool) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, false
	}
	var n int
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		n, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	}); err != nil || gerr != nil {
		return 0, false
	}
	return n / 2, true
}
