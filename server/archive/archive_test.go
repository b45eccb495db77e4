package archive

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/pion/rtp"

	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/record"
)

type countingLog struct {
	mu sync.Mutex
	n  int
}

func (l *countingLog) Append(context.Context, audit.Entry, audit.AlsoFunc) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return int64(l.n), nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestTapNeverWaitsForTheDisk: with the recorder stuck (a disk that does
// not answer), the forwarding goroutine's Tap still returns at once for
// every packet; what does not fit the queue is dropped, counted and logged
// once, and what was queued is recorded when the disk comes back.
func TestTapNeverWaitsForTheDisk(t *testing.T) {
	var logs syncBuffer
	a := New(Config{DataDir: t.TempDir(), Log: &countingLog{}, QueuePackets: 8,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var written int
	a.writeRTP = func(tr *record.Track, p *rtp.Packet) error {
		once.Do(func() { close(started) })
		<-release
		written++
		return tr.WriteRTP(p)
	}
	pkt := func(i int) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{SSRC: 1, SequenceNumber: uint16(i), Timestamp: uint32(i) * 3000}, Payload: []byte{0x10, 0, 0, 0}}
	}
	a.Tap("s-1", "camera", pkt(0))
	<-started // the feeder holds packet 0 and waits for the disk
	for i := 1; i <= 100; i++ {
		a.Tap("s-1", "camera", pkt(i)) // must not block
	}
	if got := a.Stats().Dropped; got != 100-8 {
		t.Fatalf("dropped %d packets, want %d (100 tapped, 8 queued)", got, 100-8)
	}
	if n := strings.Count(logs.String(), "packets dropped from the recording"); n != 1 {
		t.Fatalf("%d log lines about the drops, want 1 (at most one per 10 s):\n%s", n, logs.String())
	}
	close(release)
	a.Stop("s-1") // writes what was queued, then closes the recorder
	if written != 1+8 {
		t.Fatalf("recorder got %d packets, want the one in hand and the 8 queued", written)
	}
	a.Close()
}
