package media

import (
	"log/slog"
	"net"
)

// socketBuffer is the size asked for the media socket's receive and send
// buffers. Every publisher and viewer shares the one socket, so the
// kernel's default (about 208 KiB, some 90 full-size packets) fills in
// 15 ms at 200 publishers, and a garbage collection or a busy core is
// enough to drop packets (seen as RcvbufErrors in /proc/net/snmp).
const socketBuffer = 4 << 20

// enlargeBuffers asks the kernel for bigger socket buffers and logs, once,
// what to change when it grants less.
func enlargeBuffers(conn *net.UDPConn, log *slog.Logger) {
	if err := conn.SetReadBuffer(socketBuffer); err != nil {
		log.Warn("media: could not enlarge the UDP receive buffer", "err", err)
	}
	if err := conn.SetWriteBuffer(socketBuffer); err != nil {
		log.Warn("media: could not enlarge the UDP send buffer", "err", err)
	}
	if got, ok := receiveBuffer(conn); ok && got < socketBuffer {
		log.Warn("media: the kernel limits the UDP receive buffer; with many sittings packets will be dropped. Raise the limit: sysctl -w net.core.rmem_max=4194304",
			"asked_bytes", socketBuffer, "granted_bytes", got)
	}
}
