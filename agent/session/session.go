// Package session is the agent's link to the server: it connects to the
// agent channel, says hello with the sitting token, publishes media,
// sends heartbeats and the outbox's events (until each is acknowledged),
// and carries out the proctor's commands. When the link drops it
// reconnects by itself, with backoff and jitter, and resends whatever was
// not acknowledged.
//
// Only the first connection's failure ends the agent (the server is
// unreachable, or refuses the token): after that the candidate must never
// have to restart anything.
package session

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/agent/outbox"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Media makes a new peer connection for the agent's tracks and its offer.
type Media interface {
	Connect(ice []protocol.ICEServer) (Peer, string, error)
}

// Peer is one media peer connection.
type Peer interface {
	SetAnswer(sdp string) error
	AddCandidate(c protocol.Candidate) error
	// Failed is closed when the connection has failed (since the last
	// Restart) or closed.
	Failed() <-chan struct{}
	// Restart makes an ICE-restart offer: the same connection looks for a
	// new network path (a changed Wi-Fi, a new address) without new media.
	Restart() (string, error)
	Close()
}

// FatalError is a refusal that reconnecting cannot fix: a bad token, an
// ended sitting, a protocol version the server does not speak.
type FatalError struct{ Err *protocol.Error }

func (e *FatalError) Error() string { return e.Err.Message }
func (e *FatalError) Unwrap() error { return e.Err }

// UnreachableError means the first connection could not be made.
type UnreachableError struct{ Err error }

func (e *UnreachableError) Error() string { return e.Err.Error() }
func (e *UnreachableError) Unwrap() error { return e.Err }

// ErrEnded is returned when the proctor ended the sitting.
var ErrEnded = errors.New("the sitting has ended")

// busyError is a server that is there but asks the agent to come back
// later (429, 503): not a reason to give up, even on the first try.
type busyError struct{ status string }

func (e *busyError) Error() string { return "the server is busy (" + e.status + "); retrying" }

// Status is what the session tells the person at the terminal.
type Status struct {
	// Key and Args are the catalogue text.
	Key  i18n.Key
	Args i18n.Args
}

// Config wires a session.
type Config struct {
	// Server is the server's base URL, http(s)://host[:port].
	Server *url.URL
	// Token is the sitting token.
	Token string
	// Lang is the candidate's language.
	Lang i18n.Lang
	// Version is the agent's version.
	Version string
	Outbox  *outbox.Outbox
	Media   Media
	// Frames counts captured frames, for heartbeats.
	Frames func() uint64
	// MediaReady, if set, holds the media back until it is closed: the
	// agent captures nothing before the candidate consented, so the
	// session connects, says hello and waits to publish.
	MediaReady <-chan struct{}
	// OnWelcome is called after every successful hello.
	OnWelcome func(w *protocol.Welcome, first bool)
	// OnCommand receives the proctor's commands. It must return quickly.
	OnCommand func(c *protocol.Command)
	// OnStatus receives connection news for the terminal.
	OnStatus func(Status)
	Log      *slog.Logger
	// Dialer overrides the WebSocket dialer (tests).
	Dialer *websocket.Dialer
	// TLS is the client TLS configuration (a CA file or a pinned
	// certificate); nil uses the system's trust.
	TLS *tls.Config
}

// Run keeps the session up until ctx ends, the sitting ends, or the
// server refuses the agent.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.OnStatus == nil {
		cfg.OnStatus = func(Status) {}
	}
	s := &session{cfg: cfg, codec: protocol.NewCodec(protocol.ServerToAgent, protocol.AgentToServer)}
	backoff := time.Second
	for attempt := 0; ; attempt++ {
		connected, err := s.connectOnce(ctx, attempt == 0 || !s.everConnected)
		if ctx.Err() != nil {
			return nil
		}
		var fatal *FatalError
		switch {
		case errors.As(err, &fatal) && fatal.Err.Code == protocol.ErrUnauthorized && s.usedResume:
			// The server no longer knows the resume token (HR issued a
			// new join token): try the join token we were started with.
			cfg.Log.Info("resume token refused; joining with the sitting token")
			if err := cfg.Outbox.SetResumeToken(""); err != nil {
				return err
			}
			continue
		case errors.As(err, &fatal), errors.Is(err, ErrEnded):
			return err
		case !s.everConnected && !isBusy(err):
			return &UnreachableError{Err: err}
		}
		if connected {
			backoff = time.Second
		}
		// Full jitter, so agents cut off together do not return together.
		wait := backoff/2 + rand.N(backoff/2+1)
		cfg.Log.Info("reconnecting", "in", wait.Round(time.Millisecond), "err", err)
		cfg.OnStatus(Status{Key: i18n.Key("agent.reconnecting"), Args: i18n.Args{"seconds": fmt.Sprint(int(wait.Seconds() + 0.5))}})
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

type session struct {
	cfg           Config
	codec         *protocol.Codec
	everConnected bool
	http          *http.Client
	// usedResume says the last hello presented the resume token.
	usedResume bool
}

// upload sends one evidence file unless it already went (the outbox drops
// a file's bytes once the server confirmed them).
func (s *session) upload(ctx context.Context, token string, ref protocol.EvidenceRef) error {
	data, err := s.cfg.Outbox.Evidence(ref.ID)
	if err != nil {
		return err
	}
	if data == nil {
		return nil
	}
	u := s.cfg.Server.JoinPath("/v1/evidence", ref.ID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ref.MIME)
	req.Header.Set("X-Kuzet-SHA256", ref.SHA256)
	if s.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = s.cfg.TLS
		s.http = &http.Client{Timeout: 60 * time.Second, Transport: tr}
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var got protocol.EvidenceUpload
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("server answered %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&got); err != nil {
		return err
	}
	if got.SHA256 != ref.SHA256 {
		return fmt.Errorf("server stored SHA-256 %s, not %s", got.SHA256, ref.SHA256)
	}
	return s.cfg.Outbox.Uploaded(ref.ID)
}

// conn is one WebSocket with a mutex-guarded writer.
type conn struct {
	ws    *websocket.Conn
	codec *protocol.Codec
	mu    sync.Mutex
}

func (c *conn) send(m protocol.Message) error {
	frame, err := c.codec.Encode(m)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func wsURL(base *url.URL) string {
	u := *base
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/v1/agent"
	return u.String()
}

// serverError turns a received error message into a Go error, fatal when
// reconnecting cannot help.
func serverError(e *protocol.Error) error {
	if e.Code.Retryable() {
		return e
	}
	return &FatalError{Err: e}
}

// closeError reads why the server closed the connection.
func closeError(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if code, ok := protocol.CodeForClose(ce.Code); ok {
			return serverError(&protocol.Error{Code: code, Message: ce.Text})
		}
	}
	return err
}

// connectOnce runs one connection. connected reports whether the hello was
// accepted.
func (s *session) connectOnce(ctx context.Context, first bool) (connected bool, err error) {
	cfg := s.cfg
	dialer := cfg.Dialer
	if dialer == nil {
		dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment, TLSClientConfig: cfg.TLS}
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	ws, resp, err := dialer.DialContext(dctx, wsURL(cfg.Server), nil)
	cancel()
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
				return false, &busyError{status: resp.Status}
			}
			return false, fmt.Errorf("%s answered %s", cfg.Server.Host, resp.Status)
		}
		return false, err
	}
	ws.SetReadLimit(2 * protocol.MaxMessageBytes)
	c := &conn{ws: ws, codec: protocol.NewCodec(protocol.ServerToAgent, protocol.AgentToServer)}
	defer ws.Close()

	// The join token opens the sitting once; after that the resume token
	// the server gave back (kept in the outbox, so restarts keep it).
	token := cfg.Token
	resume, err := cfg.Outbox.ResumeToken()
	if err != nil {
		return false, err
	}
	s.usedResume = resume != ""
	if s.usedResume {
		token = resume
	}
	sent := time.Now()
	if err := c.send(&protocol.Hello{Versions: protocol.SupportedVersions(), Token: token,
		Agent: protocol.AgentInfo{Version: cfg.Version, OS: runtime.GOOS, Arch: runtime.GOARCH}, Lang: string(cfg.Lang)}); err != nil {
		return false, err
	}
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	welcome, err := s.readWelcome(c)
	if err != nil {
		return false, err
	}
	// Event times are put on the server's clock (see the outbox).
	offset := ClockOffset(sent, time.Now(), welcome.ServerTime)
	if err := cfg.Outbox.SetClockOffset(offset); err != nil {
		return true, fmt.Errorf("outbox: %w", err)
	}
	if offset.Abs() > ClockWarning {
		cfg.Log.Warn("the computer's clock is off; event times follow the server's", "offset", offset.Round(time.Second))
	}
	if welcome.ResumeToken != "" {
		if err := cfg.Outbox.SetResumeToken(welcome.ResumeToken); err != nil {
			return true, fmt.Errorf("outbox: %w", err)
		}
	}
	if err := cfg.Outbox.Base(welcome.LastSeq); err != nil {
		return true, fmt.Errorf("outbox: %w", err)
	}
	s.everConnected = true
	cfg.Log.Info("connected", "sitting", welcome.Sitting.ID)
	if cfg.OnWelcome != nil {
		cfg.OnWelcome(welcome, first)
	}
	return true, s.serve(ctx, c, welcome)
}

// ClockWarning is how far the computer's clock may be from the server's
// before the candidate is told to set it right.
const ClockWarning = 5 * time.Second

// ClockOffset estimates the server's clock minus this computer's from one
// exchange: the server read its clock (server) somewhere between the
// request leaving (sent) and the answer arriving (received), and half-way
// is the best guess, wrong by at most half the round trip. Wall clocks are
// compared, never the monotonic one.
func ClockOffset(sent, received, server time.Time) time.Duration {
	mid := sent.Round(0).Add(received.Sub(sent) / 2)
	return server.Round(0).Sub(mid)
}

func (s *session) readWelcome(c *conn) (*protocol.Welcome, error) {
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return nil, closeError(err)
	}
	m, err := s.codec.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("server's first message: %w", err)
	}
	switch m := m.(type) {
	case *protocol.Welcome:
		return m, nil
	case *protocol.Error:
		return nil, serverError(m)
	default:
		return nil, fmt.Errorf("server's first message was %s, not welcome", m.Type())
	}
}

// serve runs an accepted connection until it breaks.
func (s *session) serve(ctx context.Context, c *conn, w *protocol.Welcome) error {
	cfg := s.cfg
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type incoming struct {
		m   protocol.Message
		err error
	}
	in := make(chan incoming, 16)
	heartbeat := time.Duration(w.Policy.HeartbeatMS) * time.Millisecond
	readTimeout := 3*heartbeat + 5*time.Second
	var wg sync.WaitGroup
	defer wg.Wait()
	defer c.ws.Close() // unblocks the reader before wg.Wait
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			_ = c.ws.SetReadDeadline(time.Now().Add(readTimeout))
			_, data, err := c.ws.ReadMessage()
			if err != nil {
				select {
				case in <- incoming{err: closeError(err)}:
				case <-ctx.Done():
				}
				return
			}
			m, err := s.codec.Decode(data)
			select {
			case in <- incoming{m: m, err: err}:
			case <-ctx.Done():
				return
			}
		}
	}()

	var peer Peer
	var peerFailed <-chan struct{}
	restarted := false // the current peer already had an ICE restart
	defer func() {
		if peer != nil {
			peer.Close()
		}
	}()
	startMedia := func() error {
		if cfg.Media == nil {
			return nil
		}
		if peer != nil {
			peer.Close()
		}
		p, offer, err := cfg.Media.Connect(w.ICEServers)
		if err != nil {
			return fmt.Errorf("media: %w", err)
		}
		peer, peerFailed, restarted = p, p.Failed(), false
		return c.send(&protocol.Offer{SDP: offer})
	}
	mediaReady := cfg.MediaReady
	if mediaReady == nil {
		if err := startMedia(); err != nil {
			return err
		}
	}

	sent := map[uint64]bool{}
	flush := func() error {
		pending, err := cfg.Outbox.Pending()
		if err != nil {
			return err
		}
		for i := range pending {
			ev := &pending[i]
			if sent[ev.Seq] {
				continue
			}
			// The server refuses an event whose evidence it does not have,
			// so the files go first.
			for _, ref := range ev.Evidence {
				if err := s.upload(ctx, w.UploadToken, ref); err != nil {
					return fmt.Errorf("upload evidence %s: %w", ref.ID, err)
				}
			}
			if err := c.send(ev); err != nil {
				return err
			}
			sent[ev.Seq] = true
		}
		return nil
	}
	if err := flush(); err != nil {
		return err
	}
	hb := time.NewTicker(heartbeat)
	defer hb.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "agent stopping"), time.Now().Add(time.Second))
			return nil
		case <-hb.C:
			frames := uint64(0)
			if cfg.Frames != nil {
				frames = cfg.Frames()
			}
			if err := c.send(&protocol.Heartbeat{Time: time.Now().UTC(), Frames: frames}); err != nil {
				return err
			}
		case <-cfg.Outbox.Ready():
			if err := flush(); err != nil {
				return err
			}
		case <-mediaReady:
			mediaReady = nil
			if err := startMedia(); err != nil {
				return err
			}
		case <-peerFailed:
			peerFailed = nil
			// First an ICE restart on the same connection; if that fails
			// too, a new connection.
			if !restarted {
				if offer, err := peer.Restart(); err == nil {
					cfg.Log.Warn("media connection failed; restarting ICE")
					restarted = true
					peerFailed = peer.Failed()
					if err := c.send(&protocol.Offer{SDP: offer}); err != nil {
						return err
					}
					continue
				}
			}
			cfg.Log.Warn("media connection failed; starting a new one")
			if err := startMedia(); err != nil {
				return err
			}
		case msg := <-in:
			if msg.err != nil {
				var pe *protocol.Error
				if errors.As(msg.err, &pe) {
					return fmt.Errorf("bad message from server: %w", msg.err)
				}
				return msg.err
			}
			switch m := msg.m.(type) {
			case *protocol.Answer:
				if peer != nil {
					if err := peer.SetAnswer(m.SDP); err != nil {
						cfg.Log.Warn("media answer refused", "err", err)
					}
				}
			case *protocol.Candidate:
				if peer != nil {
					if err := peer.AddCandidate(*m); err != nil {
						cfg.Log.Debug("candidate refused", "err", err)
					}
				}
			case *protocol.Ack:
				if err := cfg.Outbox.Ack(m.Seq); err != nil {
					return err
				}
				delete(sent, m.Seq)
			case *protocol.Command:
				if cfg.OnCommand != nil {
					cfg.OnCommand(m)
				}
				if m.Kind == protocol.CommandEndSitting {
					return ErrEnded
				}
			case *protocol.Heartbeat:
			case *protocol.Error:
				return serverError(m)
			case *protocol.Welcome:
				return errors.New("server sent a second welcome")
			}
		}
	}
}

func isBusy(err error) bool {
	var b *busyError
	return errors.As(err, &b)
}
