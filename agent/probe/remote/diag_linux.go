//go:build linux

package remote

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// Sizes of the sock_diag structures (linux/inet_diag.h).
const (
	inetDiagReqV2Len = 56
	inetDiagMsgLen   = 72
	nlmsgHdrLen      = 16
)

// tcpListeners asks the kernel over NETLINK_SOCK_DIAG for the listening
// TCP sockets of one address family. With only the LISTEN state asked for
// the kernel walks its small listening table, where reading
// /proc/net/tcp walks every established-connection bucket (milliseconds
// on a machine with much memory).
func tcpListeners(family uint8) ([]Socket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_INET_DIAG)
	if err != nil {
		return nil, fmt.Errorf("sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sock_diag bind: %w", err)
	}
	req := make([]byte, nlmsgHdrLen+inetDiagReqV2Len)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1) // sequence
	req[16] = family
	req[17] = unix.IPPROTO_TCP
	ne.PutUint32(req[20:], 1<<tcpListen) // idiag_states
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sock_diag send: %w", err)
	}
	var out []Socket
	buf := make([]byte, os.Getpagesize()*8)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("sock_diag receive: %w", err)
		}
		socks, done, err := ParseSockDiag(buf[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, socks...)
		if done {
			return out, nil
		}
	}
}

// ParseSockDiag decodes one datagram of a sock_diag dump: its listening
// TCP sockets, and whether the dump is over (NLMSG_DONE).
func ParseSockDiag(b []byte) (socks []Socket, done bool, err error) {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return nil, false, fmt.Errorf("%w: sock_diag: %d bytes left, less than a header", ErrProcNet, len(b))
		}
		l := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		if l < nlmsgHdrLen || l > len(b) {
			return nil, false, fmt.Errorf("%w: sock_diag: message length %d of %d", ErrProcNet, l, len(b))
		}
		body := b[nlmsgHdrLen:l]
		switch typ {
		case unix.NLMSG_DONE:
			return socks, true, nil
		case unix.NLMSG_ERROR:
			code := int32(0)
			if len(body) >= 4 {
				code = int32(ne.Uint32(body))
			}
			return nil, false, fmt.Errorf("sock_diag: kernel error %w", unix.Errno(-code))
		case unix.SOCK_DIAG_BY_FAMILY:
			if len(body) < inetDiagMsgLen {
				return nil, false, fmt.Errorf("%w: sock_diag: record of %d bytes", ErrProcNet, len(body))
			}
			family, state := body[0], body[1]
			port := binary.BigEndian.Uint16(body[4:])
			var ip net.IP
			switch family {
			case unix.AF_INET:
				ip = net.IP(append([]byte(nil), body[8:12]...))
			case unix.AF_INET6:
				ip = net.IP(append([]byte(nil), body[8:24]...))
			default:
				return nil, false, fmt.Errorf("%w: sock_diag: family %d", ErrProcNet, family)
			}
			if state == tcpListen {
				socks = append(socks, Socket{Proto: "tcp", LocalAddr: ip.String(), LocalPort: uint32(port), Listening: true})
			}
		}
		// Messages are aligned to 4 bytes.
		adv := (l + 3) &^ 3
		if adv > len(b) {
			adv = len(b)
		}
		b = b[adv:]
	}
	return socks, false, nil
}
