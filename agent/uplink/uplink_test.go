package uplink

import (
	"net"
	"testing"
	"time"
)

// 1 s of offered traffic at 400 kbit/s through a 100 kbit/s bottleneck:
// about 100 kbit arrive (plus the queue), the rest is dropped.
func TestBottleneckRateAndDrops(t *testing.T) {
	rx, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := New(tx, 100, 200*time.Millisecond)
	defer u.Close()
	got := make(chan int, 1)
	go func() {
		buf := make([]byte, 2000)
		total := 0
		rx.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
		for {
			n, _, err := rx.ReadFrom(buf)
			if err != nil {
				got <- total
				return
			}
			total += n
		}
	}()
	pkt := make([]byte, 1000)
	for i := 0; i < 50; i++ { // 50 kB in 1 s = 400 kbit/s
		u.WriteTo(pkt, rx.LocalAddr())
		time.Sleep(20 * time.Millisecond)
	}
	total := <-got
	bits := total * 8
	// 1.5 s at 100 kbit/s is at most 150 kbit; it must be well under what
	// was offered (400 kbit) and over half of the link's capacity.
	if bits > 160_000 || bits < 80_000 {
		t.Fatalf("%d bits arrived in 1.5 s through a 100 kbit/s link", bits)
	}
	if _, dropped := u.Stats(); dropped == 0 {
		t.Fatal("nothing was dropped though 4× the link's rate was offered")
	}
}
