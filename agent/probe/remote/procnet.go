package remote

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ErrProcNet: a /proc/net table is not in the kernel's format.
var ErrProcNet = errors.New("malformed /proc/net socket table")

// Kernel socket states (include/net/tcp_states.h).
const (
	tcpListen = 0x0A
	tcpClose  = 0x07
)

// ParseProcNet reads one /proc/net/{tcp,tcp6,udp,udp6} table and returns
// its listening TCP sockets and its bound, unconnected UDP sockets.
func ParseProcNet(proto string, data []byte) ([]Socket, error) {
	var out []Socket
	sc := bufio.NewScanner(bytes.NewReader(data))
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if !strings.Contains(line, "local_address") {
				return nil, fmt.Errorf("%w: no header line", ErrProcNet)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("%w: %d fields in %q", ErrProcNet, len(f), line)
		}
		laddr, lport, err := hexAddr(f[1])
		if err != nil {
			return nil, err
		}
		_, rport, err := hexAddr(f[2])
		if err != nil {
			return nil, err
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("%w: state %q", ErrProcNet, f[3])
		}
		listening := proto == "tcp" && st == tcpListen || proto == "udp" && st == tcpClose && rport == 0
		if !listening {
			continue
		}
		out = append(out, Socket{Proto: proto, LocalAddr: laddr, LocalPort: lport, Listening: true})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProcNet, err)
	}
	if first {
		return nil, fmt.Errorf("%w: empty", ErrProcNet)
	}
	return out, nil
}

// hexAddr decodes "0100007F:170C" (IPv4) or 32 hex digits (IPv6), each
// 32-bit word in the kernel's byte order (little-endian here).
func hexAddr(s string) (string, uint32, error) {
	ip, port, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, fmt.Errorf("%w: address %q", ErrProcNet, s)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return "", 0, fmt.Errorf("%w: port %q", ErrProcNet, port)
	}
	raw, err := hex.DecodeString(ip)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", 0, fmt.Errorf("%w: address %q", ErrProcNet, ip)
	}
	for i := 0; i+4 <= len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return net.IP(raw).String(), uint32(p), nil
}
