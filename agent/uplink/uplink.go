// Package uplink puts a slow link under the agent's media: a UDP socket
// whose sending side is a bottleneck of a given rate with a drop-tail
// queue, as a home DSL or a congested mobile uplink is. Support staff use
// it (kuzet-agent --uplink-kbps) to reproduce a candidate's network, and
// the tests use it to show the stream adapts instead of breaking.
package uplink

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is a net.PacketConn whose writes leave at most Rate bits a second.
// Packets that would wait longer than MaxDelay in the queue are dropped.
type Conn struct {
	net.PacketConn
	rate     float64 // bytes per second
	maxDelay time.Duration

	mu      sync.Mutex
	queue   []packet
	queued  int // bytes
	wake    chan struct{}
	closed  chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	dropped int
	sent    int
	down    atomic.Bool
}

// SetDown takes the link down (every packet, both ways, is lost) or up:
// a Wi-Fi dropping out, for support staff and tests.
func (u *Conn) SetDown(v bool) { u.down.Store(v) }

// ReadFrom reads the next packet that survives the link.
func (u *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := u.PacketConn.ReadFrom(b)
		if err != nil || !u.down.Load() {
			return n, addr, err
		}
	}
}

type packet struct {
	b    []byte
	addr net.Addr
}

// New wraps c with a bottleneck of kbps kilobits a second.
func New(c net.PacketConn, kbps int, maxDelay time.Duration) *Conn {
	u := &Conn{PacketConn: c, rate: float64(kbps) * 1000 / 8, maxDelay: maxDelay, wake: make(chan struct{}, 1), closed: make(chan struct{})}
	u.wg.Add(1)
	go u.drain()
	return u
}

// WriteTo queues the packet, or drops it when the queue is full.
func (u *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-u.closed:
		return 0, net.ErrClosed
	default:
	}
	u.mu.Lock()
	if u.down.Load() || time.Duration(float64(u.queued+len(b))/u.rate*float64(time.Second)) > u.maxDelay {
		u.dropped++
		u.mu.Unlock()
		return len(b), nil // a real bottleneck drops silently
	}
	u.queue = append(u.queue, packet{append([]byte(nil), b...), addr})
	u.queued += len(b)
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
	return len(b), nil
}

// drain sends the queue at the link's rate.
func (u *Conn) drain() {
	defer u.wg.Done()
	next := time.Now()
	for {
		u.mu.Lock()
		if len(u.queue) == 0 {
			u.mu.Unlock()
			select {
			case <-u.wake:
				continue
			case <-u.closed:
				return
			}
		}
		p := u.queue[0]
		u.queue = u.queue[1:]
		u.queued -= len(p.b)
		u.sent++
		u.mu.Unlock()
		if now := time.Now(); next.Before(now) {
			next = now
		}
		next = next.Add(time.Duration(float64(len(p.b)) / u.rate * float64(time.Second)))
		select {
		case <-time.After(time.Until(next)):
		case <-u.closed:
			return
		}
		_, _ = u.PacketConn.WriteTo(p.b, p.addr)
	}
}

// Stats returns packets sent and dropped so far.
func (u *Conn) Stats() (sent, dropped int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sent, u.dropped
}

// Close closes the socket.
func (u *Conn) Close() error {
	u.once.Do(func() { close(u.closed) })
	err := u.PacketConn.Close()
	u.wg.Wait()
	return err
}
