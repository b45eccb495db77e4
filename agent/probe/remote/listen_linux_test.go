package remote

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestListeningLive opens real listening sockets and finds them through
// sock_diag and /proc/net/udp.
func TestListeningLive(t *testing.T) {
	l4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l4.Close()
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	socks, err := SystemSource{}.Listening(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"tcp/" + itoa(l4.Addr().(*net.TCPAddr).Port):     false,
		"udp/" + itoa(u.LocalAddr().(*net.UDPAddr).Port): false,
	}
	for _, s := range socks {
		k := s.Proto + "/" + itoa(int(s.LocalPort))
		if _, ok := want[k]; ok && s.Listening && s.LocalAddr == "127.0.0.1" {
			want[k] = true
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("listening socket %s not found among %d", k, len(socks))
		}
	}
	if l6, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		defer l6.Close()
		v6, err := tcpListeners(unix.AF_INET6)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range v6 {
			found = found || s.LocalAddr == "::1" && int(s.LocalPort) == l6.Addr().(*net.TCPAddr).Port
		}
		if !found {
			t.Errorf("IPv6 listener not found: %+v", v6)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func diagRecord(family, state byte, port uint16, ip []byte) []byte {
	m := make([]byte, nlmsgHdrLen+inetDiagMsgLen)
	binary.NativeEndian.PutUint32(m[0:], uint32(len(m)))
	binary.NativeEndian.PutUint16(m[4:], unix.SOCK_DIAG_BY_FAMILY)
	b := m[nlmsgHdrLen:]
	b[0], b[1] = family, state
	binary.BigEndian.PutUint16(b[4:], port)
	copy(b[8:], ip)
	return m
}

func TestParseSockDiag(t *testing.T) {
	done := make([]byte, nlmsgHdrLen+4)
	binary.NativeEndian.PutUint32(done[0:], uint32(len(done)))
	binary.NativeEndian.PutUint16(done[4:], unix.NLMSG_DONE)
	msg := append(diagRecord(unix.AF_INET, tcpListen, 5900, []byte{127, 0, 0, 1}), done...)
	socks, fin, err := ParseSockDiag(msg)
	if err != nil || !fin || len(socks) != 1 || socks[0].LocalPort != 5900 || socks[0].LocalAddr != "127.0.0.1" {
		t.Fatalf("ParseSockDiag = %+v %v %v", socks, fin, err)
	}
	for _, bad := range [][]byte{{1, 2, 3}, diagRecord(unix.AF_INET, tcpListen, 1, nil)[:40], diagRecord(99, tcpListen, 1, nil)} {
		if _, _, err := ParseSockDiag(bad); !errors.Is(err, ErrProcNet) {
			t.Errorf("ParseSockDiag(%x) error = %v", bad, err)
		}
	}
}

func FuzzParseSockDiag(f *testing.F) {
	f.Add(diagRecord(unix.AF_INET6, tcpListen, 3389, make([]byte, 16)))
	f.Fuzz(func(t *testing.T, b []byte) {
		socks, _, err := ParseSockDiag(b)
		if err != nil {
			return
		}
		for _, s := range socks {
			if s.Proto != "tcp" || !s.Listening {
				t.Fatalf("bad socket %+v", s)
			}
		}
	})
}
