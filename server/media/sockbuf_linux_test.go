package media

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The media socket gets the buffer it asks for when the kernel allows it,
// and the operator is told what to change when the kernel does not.
func TestMediaSocketBuffer(t *testing.T) {
	raw, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Skipf("could not check: %v", err)
	}
	max, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("rmem_max %q: %v", raw, err)
	}
	var logs bytes.Buffer
	s, err := New(Config{Host: "127.0.0.1", Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok := receiveBuffer(s.conn.(*net.UDPConn))
	if !ok {
		t.Fatal("could not read SO_RCVBUF of the media socket")
	}
	warned := strings.Contains(logs.String(), "net.core.rmem_max")
	if max >= socketBuffer {
		if got < socketBuffer {
			t.Errorf("receive buffer %d bytes, asked %d (rmem_max %d)", got, socketBuffer, max)
		}
		if warned {
			t.Errorf("warned although the buffer was granted: %s", logs.String())
		}
	} else if !warned {
		t.Errorf("rmem_max %d < %d, granted %d, and no warning naming net.core.rmem_max was logged: %q", max, socketBuffer, got, logs.String())
	}
}
