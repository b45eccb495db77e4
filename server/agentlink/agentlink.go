// Package agentlink is the server's end of the agent channel (/v1/agent):
// the hello/welcome handshake with the sitting token, WebRTC signalling for
// the agent's tracks, heartbeats, and event ingest with acknowledgements.
// It also delivers the proctor's commands to a connected agent.
//
// One agent holds a sitting at a time. A second agent with the same token
// takes the sitting over (the candidate restarted the program) and the first
// is closed with sitting_closed.
package agentlink

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/internal/buildinfo"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/auth"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/media"
	"kuzet.kz/kuzet/server/roster"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/wsconn"
)

// ErrNotConnected is returned by Command when the sitting has no agent.
var ErrNotConnected = errors.New("the sitting's agent is not connected")

// Ingester stores an agent's event, or an action of the server, durably
// and returns its record.
type Ingester interface {
	Event(id protocol.SittingID, ev protocol.Event) (protocol.Record, bool, error)
	Action(id protocol.SittingID, a protocol.Action) (protocol.Record, error)
}

// Joiner swaps a join token for a resume token (server/admin).
type Joiner interface {
	Join(token string) (store.Sitting, string, error)
}

// Config wires a Link.
type Config struct {
	Store *store.Store
	// Tokens checks join tokens.
	Tokens Joiner
	Hub    *hub.Hub
	Roster *roster.Roster
	SFU    *media.SFU
	Ingest Ingester
	Log    *slog.Logger
	// PublicURL is the server's address, for the candidate page link.
	PublicURL string
	// Policy is the exam policy sent in Welcome.
	Policy protocol.Policy
	// LostAfter closes an agent that has been silent this long.
	LostAfter time.Duration
	// MinAgentVersion, if set, refuses agents whose hello version is below
	// it, or not a release, at hello (server/config MinAgentVersion).
	MinAgentVersion string
	// AllowDevAgents lets agents that are not a release ("dev") in despite
	// MinAgentVersion (-demo).
	AllowDevAgents bool
	// AgentDownloadURL is where the refused candidate gets the agent.
	AgentDownloadURL string
	// Catalogue words the refusal in the candidate's language.
	Catalogue *i18n.Catalogue
}

// Link serves agent connections.
type Link struct {
	cfg   Config
	log   *slog.Logger
	codec *protocol.Codec

	mu      sync.Mutex
	agents  map[protocol.SittingID]*agent
	uploads map[string]protocol.SittingID // upload token → sitting, while connected
	lost    map[protocol.SittingID]bool   // sittings whose agent was lost and has not come back
	closed  bool
	wg      sync.WaitGroup
}

type agent struct {
	conn        *wsconn.Conn
	sitting     store.Sitting
	uploadToken string
	// why is why the connection ended: "closed" (the agent said goodbye),
	// "silent" (no heartbeat within LostAfter), "broken" (the socket
	// failed), "refused" (a bad message), "ended" (the sitting ended).
	why string
}

// New returns a Link.
func New(cfg Config) *Link {
	return &Link{cfg: cfg, log: cfg.Log, codec: protocol.NewCodec(protocol.AgentToServer, protocol.ServerToAgent),
		agents: map[protocol.SittingID]*agent{}, uploads: map[string]protocol.SittingID{}, lost: map[protocol.SittingID]bool{}}
}

// ServeHTTP upgrades the request and runs the agent's session until it ends.
func (l *Link) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
		return
	}
	l.wg.Add(1)
	l.mu.Unlock()
	defer l.wg.Done()

	conn, err := wsconn.Accept(w, r, l.codec, wsconn.Options{ReadTimeout: 10 * time.Second, Log: l.log})
	if err != nil {
		l.log.Debug("agent upgrade failed", "err", err)
		return
	}
	defer conn.Wait()
	if err := l.session(conn); err != nil {
		conn.Fail(err)
	}
}

// Shutdown tells every connected agent the server is going away, and
// waits for their sessions to end.
func (l *Link) Shutdown() {
	l.mu.Lock()
	l.closed = true
	for _, a := range l.agents {
		a.conn.Fail(protocol.Errorf(protocol.ErrShuttingDown, "the server is restarting; the agent reconnects by itself"))
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// Connected reports whether sitting id has an agent connected.
func (l *Link) Connected(id protocol.SittingID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.agents[id]
	return ok
}

// UploadSitting returns the sitting whose connected agent holds the upload
// token; tokens die with their connection.
func (l *Link) UploadSitting(token string) (protocol.SittingID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.uploads[token]
	return id, ok && token != ""
}

// Command sends a command to the sitting's agent.
func (l *Link) Command(id protocol.SittingID, cmd *protocol.Command) error {
	l.mu.Lock()
	a, ok := l.agents[id]
	l.mu.Unlock()
	if !ok {
		return ErrNotConnected
	}
	return a.conn.Send(cmd)
}

// End closes the sitting's agent channel because the sitting ended: the
// agent gets what was queued for it (the end command), then
// sitting_closed with the reason, and its upload token dies with the
// connection. A sitting without an agent is left as it is.
func (l *Link) End(id protocol.SittingID) {
	l.mu.Lock()
	a, ok := l.agents[id]
	if ok {
		a.why = "ended"
		delete(l.uploads, a.uploadToken) // no upload after the end
	}
	l.mu.Unlock()
	if ok {
		a.conn.Fail(protocol.Errorf(protocol.ErrSittingClosed, "the sitting has ended: the proctor ended it, and events after the end are not accepted"))
	}
}

// session runs one agent connection. It returns the error to send the
// agent, or nil when the connection simply ended.
func (l *Link) session(conn *wsconn.Conn) error {
	first, ok := <-conn.In()
	if !ok {
		return nil
	}
	if first.Err != nil {
		if wsconn.IsClosed(first.Err) {
			return nil
		}
		return first.Err
	}
	hello, ok := first.Msg.(*protocol.Hello)
	if !ok {
		return protocol.Errorf(protocol.ErrUnexpected, "the first message must be hello, not %s", first.Msg.Type())
	}
	version, err := protocol.Negotiate(hello.Versions)
	if err != nil {
		return err
	}
	// Before the join token: a refused agent keeps it for the new one.
	if err := l.outdated(hello); err != nil {
		return err
	}
	// A join token opens the sitting once and is swapped for a resume
	// token; every later connection presents that.
	var st store.Sitting
	var resume string
	if strings.HasPrefix(hello.Token, auth.JoinPrefix) {
		st, resume, err = l.cfg.Tokens.Join(hello.Token)
		switch {
		case errors.Is(err, admin.ErrSittingEnded):
			return l.refusal(hello, protocol.ErrSittingClosed, err)
		case errors.Is(err, admin.ErrTokenInvalid), errors.Is(err, admin.ErrTokenUsed), errors.Is(err, admin.ErrTokenExpired):
			return l.refusal(hello, protocol.ErrUnauthorized, err)
		case err != nil:
			return fmt.Errorf("join: %w", err)
		}
	} else {
		st, err = l.cfg.Store.SittingByTokenHash(auth.TokenHash(hello.Token))
		if errors.Is(err, store.ErrNotFound) {
			return l.refusal(hello, protocol.ErrUnauthorized, admin.ErrTokenInvalid)
		}
		if err != nil {
			return fmt.Errorf("look up sitting token: %w", err)
		}
		if st.State == protocol.StateEnded {
			return l.refusal(hello, protocol.ErrSittingClosed, admin.ErrSittingEnded)
		}
	}
	log := l.log.With("sitting", st.ID)

	pageToken, err := auth.NewToken()
	if err != nil {
		return err
	}
	uploadToken, err := auth.NewToken()
	if err != nil {
		return err
	}
	st, err = l.cfg.Store.UpdateSitting(st.ID, func(s *store.Sitting) error {
		s.PageTokenHash = auth.TokenHash(pageToken)
		if s.State != protocol.StateEnded {
			s.State = protocol.StateLive
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update sitting: %w", err)
	}
	lastSeq, _, err := l.cfg.Store.Counters(st.ID)
	if err != nil {
		return fmt.Errorf("read sitting counters: %w", err)
	}
	welcome := &protocol.Welcome{
		Version:      version,
		Sitting:      l.cfg.Roster.Info(st),
		Policy:       l.cfg.Policy,
		LastSeq:      lastSeq,
		CandidateURL: l.cfg.PublicURL + "/candidate.html#" + url.Values{"t": {pageToken}, "lang": {hello.Lang}}.Encode(),
		ServerTime:   time.Now().UTC(),
		UploadToken:  uploadToken,
		ResumeToken:  resume,
		Consent:      st.ConsentState(),
	}
	a := &agent{conn: conn, sitting: st, uploadToken: uploadToken, why: "broken"}
	back, err := l.register(a)
	if err != nil {
		return err
	}
	defer l.unregister(a)
	if err := conn.Send(welcome); err != nil {
		return err
	}
	if back {
		l.system(st.ID, protocol.ActionAgentBack, "")
	}
	log.Info("agent connected", "agent_version", hello.Agent.Version, "os", hello.Agent.OS)
	l.cfg.Hub.SetConnected(st.ID, true, time.Now())

	var peer *media.Peer
	defer func() {
		if peer != nil {
			peer.Close()
		}
	}()
	conn.SetReadTimeout(l.cfg.LostAfter)
	for in := range conn.In() {
		if in.Err != nil {
			if wsconn.IsClosed(in.Err) {
				a.why = closeReason(in.Err)
				log.Info("agent disconnected", "reason", a.why, "err", in.Err.Error())
				return nil
			}
			a.why = "refused"
			log.Warn("bad message from agent", "err", in.Err)
			return in.Err
		}
		l.cfg.Hub.Seen(st.ID, time.Now())
		switch m := in.Msg.(type) {
		case *protocol.Offer:
			// No capture before consent: an agent publishes only once the
			// candidate agreed in the page (server/consent).
			if cur, err := l.cfg.Store.Sitting(st.ID); err != nil {
				return fmt.Errorf("read sitting: %w", err)
			} else if cur.Consent == nil || !cur.Consent.Given {
				a.why = "refused"
				return protocol.Errorf(protocol.ErrUnexpected, "media before the candidate's consent: the agent waits until the candidate agrees in the page (update the agent if it did not)")
			}
			var answer string
			if peer != nil && peer.SameSession(m.SDP) {
				answer, err = peer.Renegotiate(m.SDP)
			} else {
				// A new peer connection (the agent's media failed and it
				// started over) replaces the old one.
				peer, answer, err = l.cfg.SFU.Publish(st.ID, m.SDP)
			}
			if errors.Is(err, media.ErrBadSDP) {
				return protocol.Errorf(protocol.ErrInvalid, "offer refused: %v", err)
			}
			if err != nil {
				return fmt.Errorf("publish: %w", err)
			}
			if err := conn.Send(&protocol.Answer{SDP: answer}); err != nil {
				return nil
			}
		case *protocol.Candidate:
			if peer == nil {
				return protocol.Errorf(protocol.ErrUnexpected, "candidate before offer: send the offer first")
			}
			if err := peer.AddCandidate(*m); err != nil {
				return protocol.Errorf(protocol.ErrInvalid, "%v", err)
			}
		case *protocol.Heartbeat:
			if err := conn.Send(&protocol.Heartbeat{Time: time.Now().UTC()}); err != nil {
				return nil
			}
		case *protocol.Event:
			if _, _, err := l.cfg.Ingest.Event(st.ID, *m); err != nil {
				return err
			}
			if err := conn.Send(&protocol.Ack{Seq: m.Seq}); err != nil {
				return nil
			}
		case *protocol.Hello:
			return protocol.Errorf(protocol.ErrUnexpected, "hello was already received on this connection")
		default:
			return protocol.Errorf(protocol.ErrUnexpected, "%s is not expected from an agent", m.Type())
		}
	}
	return nil
}

// register makes a the sitting's agent. back reports that the sitting's
// agent had been lost and this one is its return.
func (l *Link) register(a *agent) (back bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false, protocol.Errorf(protocol.ErrShuttingDown, "the server is restarting; try again shortly")
	}
	if old, ok := l.agents[a.sitting.ID]; ok {
		old.why = "replaced"
		old.conn.Fail(protocol.Errorf(protocol.ErrSittingClosed, "another agent connected with this sitting's token; this one is closed"))
	}
	l.agents[a.sitting.ID] = a
	l.uploads[a.uploadToken] = a.sitting.ID
	back = l.lost[a.sitting.ID]
	delete(l.lost, a.sitting.ID)
	return back, nil
}

// outdated refuses an agent below MinAgentVersion (or not a release, unless
// AllowDevAgents). The message is already in the candidate's language
// (hello.Lang), from the catalogue: the agent being refused is an old one,
// which prints a refusal's message as it comes and cannot know a newer key.
func (l *Link) outdated(h *protocol.Hello) error {
	min, v := l.cfg.MinAgentVersion, h.Agent.Version
	switch {
	case min == "":
		return nil
	case !buildinfo.Release(v):
		if l.cfg.AllowDevAgents {
			return nil
		}
		if v == "" {
			v = buildinfo.Dev
		}
	case buildinfo.Compare(v, min) >= 0:
		return nil
	}
	l.log.Info("agent refused: below the minimum version", "agent_version", v, "minimum", min, "os", h.Agent.OS)
	text := l.cfg.Catalogue.Text(i18n.Lang(h.Lang), i18n.Key("agent.outdated"), i18n.Args{"version": v, "minimum": min, "url": l.cfg.AgentDownloadURL})
	return &protocol.Error{Code: protocol.ErrUnsupportedVersion, Message: text}
}

// refusalKeys word the join refusals, each with what to do next, in the
// candidate's language; the agent prints a refusal's message as it comes.
var refusalKeys = map[error]i18n.Key{
	admin.ErrTokenInvalid: "agent.err.token_invalid",
	admin.ErrTokenUsed:    "agent.err.token_used",
	admin.ErrTokenExpired: "agent.err.token_expired",
	admin.ErrSittingEnded: "agent.err.sitting_ended",
}

// refusal is the error an agent gets for a refused join, in hello.Lang.
func (l *Link) refusal(h *protocol.Hello, code protocol.ErrorCode, err error) error {
	for e, key := range refusalKeys {
		if errors.Is(err, e) && l.cfg.Catalogue != nil {
			if lang, perr := i18n.ParseLang(h.Lang); perr == nil {
				return &protocol.Error{Code: code, Message: l.cfg.Catalogue.Text(lang, key, nil)}
			}
		}
	}
	return protocol.Errorf(code, "%v", err)
}

// closeReason names why an agent's socket ended.
func closeReason(err error) string {
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "silent"
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway):
		return "closed"
	}
	return "broken"
}

// system records an action the server itself takes on a sitting.
func (l *Link) system(id protocol.SittingID, kind protocol.ActionKind, note string) {
	aid, err := auth.NewID("x-")
	if err != nil {
		l.log.Error("action id", "err", err)
		return
	}
	if _, err := l.cfg.Ingest.Action(id, protocol.Action{ID: aid, Kind: kind, Time: time.Now().UTC(), Actor: "system", Note: note}); err != nil {
		l.log.Error("record action", "sitting", id, "kind", kind, "err", err)
	}
}

func (l *Link) unregister(a *agent) {
	l.mu.Lock()
	delete(l.uploads, a.uploadToken)
	current := l.agents[a.sitting.ID] == a
	if current {
		delete(l.agents, a.sitting.ID)
	}
	// An agent that vanishes (not at server shutdown, not replaced by a
	// new one) is a gap the proctor must see: the time until it comes back
	// is unwatched.
	lost := current && !l.closed && a.why != "replaced" && a.why != "ended"
	l.mu.Unlock()
	if !current {
		return
	}
	id := a.sitting.ID
	st, err := l.cfg.Store.UpdateSitting(id, func(s *store.Sitting) error {
		if s.State == protocol.StateLive {
			s.State = protocol.StateOffline
		}
		return nil
	})
	if err != nil {
		l.log.Error("mark sitting offline", "sitting", id, "err", err)
	}
	if lost && st.State != protocol.StateEnded {
		l.mu.Lock()
		l.lost[id] = true
		l.mu.Unlock()
		l.system(id, protocol.ActionAgentLost, a.why)
	}
	l.cfg.Hub.SetConnected(id, false, time.Now())
}
