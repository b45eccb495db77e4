// Package wsconn is the server's side of a protocol WebSocket: strict
// decoding of what arrives, a bounded queue and a single writer for what
// leaves, pings, deadlines, and the one place where a protocol error becomes
// an error message followed by a close frame with its close code.
package wsconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"kuzet.kz/kuzet/protocol"
)

// Options tune a connection.
type Options struct {
	// ReadTimeout closes a connection that sends nothing, not even the
	// pong to the server's ping, for this long. Zero means 60 s.
	ReadTimeout time.Duration
	// PingInterval is how often the server pings; a live peer's pong keeps
	// an otherwise quiet connection (a dashboard left open) open. Zero
	// means 20 s.
	PingInterval time.Duration
	// QueueLen bounds the outgoing queue; a peer that does not read is
	// closed when it fills. Zero means 256.
	QueueLen int
	// Rate and Burst limit incoming messages per second. Zero means 50/s
	// with bursts of 200.
	Rate  float64
	Burst int
	// Log receives the connection's log lines.
	Log *slog.Logger
}

// ErrSlowPeer is returned by Send when the peer does not read its messages.
var ErrSlowPeer = errors.New("the peer is not reading; its queue is full")

// ErrClosed is returned by Send after the connection closed.
var ErrClosed = errors.New("connection closed")

// Incoming is what the reader got: a decoded message, or why there is none.
// Err is a *protocol.Error for a frame that failed to decode (pass it to
// Fail), or the error that ended the connection.
type Incoming struct {
	Msg protocol.Message
	Err error
}

// Conn is one accepted protocol WebSocket.
type Conn struct {
	ws      *websocket.Conn
	codec   *protocol.Codec
	opts    Options
	log     *slog.Logger
	limiter *rate.Limiter

	in        chan Incoming
	readDone  chan struct{}
	out       chan []byte
	done      chan struct{}
	closing   chan closeMsg
	closeOnce sync.Once
	wg        sync.WaitGroup
	mu        sync.Mutex // guards opts.ReadTimeout
}

type closeMsg struct {
	code   int
	reason string
	final  []byte // an error message to send before the close frame
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     sameOrigin,
}

// sameOrigin admits requests without an Origin (the agent is not a browser)
// and browser requests from the server's own origin only, so another site
// cannot open a proctor's channel with the proctor's cookie.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// Accept upgrades an HTTP request to a protocol connection whose incoming
// messages are decoded with codec. The connection's writer runs until Close.
func Accept(w http.ResponseWriter, r *http.Request, codec *protocol.Codec, opts Options) (*Conn, error) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil, fmt.Errorf("websocket upgrade: %w", err)
	}
	return newConn(ws, codec, opts), nil
}

func newConn(ws *websocket.Conn, codec *protocol.Codec, opts Options) *Conn {
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = 60 * time.Second
	}
	if opts.QueueLen == 0 {
		opts.QueueLen = 256
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = 20 * time.Second
	}
	if opts.Rate == 0 {
		opts.Rate, opts.Burst = 50, 200
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	// Twice the protocol limit: a frame between the two gets an error
	// message naming the limit; beyond it gorilla closes with 1009 itself.
	ws.SetReadLimit(2 * protocol.MaxMessageBytes)
	c := &Conn{
		ws: ws, codec: codec, opts: opts, log: opts.Log,
		limiter:  rate.NewLimiter(rate.Limit(opts.Rate), opts.Burst),
		in:       make(chan Incoming),
		readDone: make(chan struct{}),
		out:      make(chan []byte, opts.QueueLen),
		done:     make(chan struct{}),
		closing:  make(chan closeMsg, 1),
	}
	// A pong proves the peer alive as much as a message does. (A frozen
	// process does not answer: its pongs come from its own reader.)
	ws.SetPongHandler(func(string) error {
		select {
		case <-c.done:
			return nil
		default:
		}
		return ws.SetReadDeadline(time.Now().Add(c.readTimeout()))
	})
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		c.readLoop()
	}()
	go func() {
		defer c.wg.Done()
		c.writeLoop()
	}()
	return c
}

// In delivers what arrives, in order. It is closed when the connection
// has ended; a decoding error does not end it (the caller decides).
func (c *Conn) In() <-chan Incoming { return c.in }

// readLoop is the connection's only reader. After the connection starts
// closing it keeps reading, without delivering, until the peer answers the
// close frame, so the socket is not reset under the peer's last frames.
func (c *Conn) readLoop() {
	defer close(c.readDone)
	defer close(c.in)
	for {
		msg, err := c.read()
		select {
		case <-c.done:
			if err != nil && !isProtocolErr(err) {
				return
			}
			continue
		default:
		}
		select {
		case c.in <- Incoming{Msg: msg, Err: err}:
		case <-c.done:
		}
		if err != nil && !isProtocolErr(err) {
			return
		}
	}
}

func isProtocolErr(err error) bool {
	var pe *protocol.Error
	return errors.As(err, &pe)
}

// SetReadTimeout changes the read timeout for the reads that follow (a
// hello must come quickly; afterwards heartbeats set the pace).
func (c *Conn) SetReadTimeout(d time.Duration) {
	c.mu.Lock()
	c.opts.ReadTimeout = d
	c.mu.Unlock()
}

func (c *Conn) readTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opts.ReadTimeout
}

func (c *Conn) read() (protocol.Message, error) {
	select {
	case <-c.done:
	default:
		if err := c.ws.SetReadDeadline(time.Now().Add(c.readTimeout())); err != nil {
			return nil, err
		}
	}
	typ, data, err := c.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	if !c.limiter.Allow() {
		return nil, protocol.Errorf(protocol.ErrRateLimited, "more than %.0f messages a second; slow down", c.opts.Rate)
	}
	if typ != websocket.TextMessage {
		return nil, protocol.Errorf(protocol.ErrMalformed, "binary frames are not accepted; send JSON text frames")
	}
	return c.codec.Decode(data)
}

// Send queues m for the peer. It never blocks: if the peer's queue is full
// the connection is closed and ErrSlowPeer returned.
func (c *Conn) Send(m protocol.Message) error {
	frame, err := c.codec.Encode(m)
	if err != nil {
		return err
	}
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	select {
	case c.out <- frame:
		return nil
	default:
		c.Close(protocol.CloseRateLimited, "queue full: the connection is too slow")
		return ErrSlowPeer
	}
}

// Fail ends the connection because of err: a *protocol.Error is sent to the
// peer as an error message, then the close frame with its close code; any
// other error closes with "internal error" (details stay in the log).
func (c *Conn) Fail(err error) {
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		c.log.Error("connection failed", "err", err)
		pe = protocol.Errorf(protocol.ErrInternal, "the server failed; try again in a minute")
	}
	frame, _ := c.codec.Encode(pe)
	c.closeWith(closeMsg{code: pe.Code.CloseCode(), reason: truncate(string(pe.Code)+": "+pe.Message, 120), final: frame})
}

// Close closes the connection with a close code and reason.
func (c *Conn) Close(code int, reason string) {
	c.closeWith(closeMsg{code: code, reason: truncate(reason, 120)})
}

func (c *Conn) closeWith(m closeMsg) {
	c.closeOnce.Do(func() {
		c.closing <- m
		close(c.done)
	})
}

// Done is closed when the connection is closing.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Wait closes the connection (if it is not already) and waits for its
// reader and writer to finish.
func (c *Conn) Wait() {
	c.Close(protocol.CloseNormal, "")
	c.wg.Wait()
}

// truncate cuts s to at most n bytes at a character boundary: a close
// frame's reason must be valid UTF-8 (RFC 6455 §5.5.1), and a reason in
// Kazakh or Russian cut inside a letter made clients drop the frame.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

const writeTimeout = 5 * time.Second

func (c *Conn) writeLoop() {
	ping := time.NewTicker(c.opts.PingInterval)
	defer ping.Stop()
	defer c.ws.Close()
	for {
		select {
		case frame := <-c.out:
			if err := c.write(websocket.TextMessage, frame); err != nil {
				c.closeWith(closeMsg{code: protocol.CloseInternal})
				c.drainClose(false)
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				c.closeWith(closeMsg{code: protocol.CloseInternal})
				c.drainClose(false)
				return
			}
		case <-c.done:
			c.drainClose(true)
			return
		}
	}
}

// drainClose sends what is still queued (if the peer is healthy), the
// final error message, and the close frame.
func (c *Conn) drainClose(healthy bool) {
	m := <-c.closing
	if !healthy {
		return
	}
	for {
		select {
		case frame := <-c.out:
			if c.write(websocket.TextMessage, frame) != nil {
				return
			}
			continue
		default:
		}
		break
	}
	if m.final != nil {
		if c.write(websocket.TextMessage, m.final) != nil {
			return
		}
	}
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(m.code, m.reason), time.Now().Add(writeTimeout))
	// Give the peer a moment to answer the close, as RFC 6455 asks.
	_ = c.ws.SetReadDeadline(time.Now().Add(time.Second))
	select {
	case <-c.readDone:
	case <-time.After(2 * time.Second):
	}
}

func (c *Conn) write(typ int, data []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(typ, data)
}

// IsClosed reports whether err means the peer closed or the socket broke —
// an ordinary end, not a protocol fault.
func IsClosed(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) || errors.Is(err, websocket.ErrCloseSent) || errors.Is(err, context.Canceled) ||
		isNetErr(err)
}

func isNetErr(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) || errors.Is(err, websocket.ErrReadLimit) || err.Error() == "unexpected EOF"
}
