// Package app assembles kuzet-agent for a stage: camera capture with the
// rule 10.6 watch, the durable outbox, the VP8 publisher and the session
// with the server, and the candidate's terminal and page.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"kuzet.kz/kuzet/agent/camera"
	"kuzet.kz/kuzet/agent/config"
	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/outbox"
	"kuzet.kz/kuzet/agent/precheck"
	"kuzet.kz/kuzet/agent/publish"
	"kuzet.kz/kuzet/agent/session"
	"kuzet.kz/kuzet/agent/uplink"
	"kuzet.kz/kuzet/internal/buildinfo"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Version is the agent's version, reported in hello (Hello.Agent.Version):
// the release version scripts/release stamps, else "dev" (internal/buildinfo).
func Version() string { return buildinfo.Get().Version }

// Exit codes of the agent.
const (
	ExitOK          = 0
	ExitFailed      = 1 // could not start, or the server is unreachable
	ExitRefused     = 3 // the server refused the token or the sitting is closed
	ExitUsage       = 2
	ExitCameraError = 4
)

// Terminal prints catalogue texts for the candidate, one line each.
type Terminal struct {
	mu   sync.Mutex
	w    io.Writer
	cat  *i18n.Catalogue
	lang i18n.Lang
}

// NewTerminal writes to w in lang.
func NewTerminal(w io.Writer, cat *i18n.Catalogue, lang i18n.Lang) *Terminal {
	return &Terminal{w: w, cat: cat, lang: lang}
}

// Say prints one text.
func (t *Terminal) Say(key i18n.Key, args i18n.Args) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(t.w, t.cat.Text(t.lang, key, args))
}

// SayAll prints one text in every language, Kazakh first: for what must
// reach a candidate whose language the agent could only guess.
func (t *Terminal) SayAll(key i18n.Key, args i18n.Args) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range i18n.Langs() {
		fmt.Fprintln(t.w, t.cat.Text(l, key, args))
	}
}

// Report prints the pre-check's report.
func (t *Terminal) Report(rep precheck.Report) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = precheck.Render(t.w, rep, t.cat)
}

// Event prints a rule event the way the candidate should read it: the
// rule, its title and what happened or what to do.
func (t *Terminal) Event(rule protocol.RuleID, key i18n.Key, args i18n.Args) {
	t.Say(i18n.Key("agent.event"), i18n.Args{
		"rule":  string(rule),
		"title": t.cat.Text(t.lang, i18n.Key("rule."+string(rule)+".title"), nil),
		"text":  t.cat.Text(t.lang, key, args),
	})
}

// Hooks let tests and demos reach inside a running agent.
type Hooks struct {
	// Source, if set, receives the opened camera source.
	Source func(camera.Source)
	// Media, if set, receives the publisher (its bitrate shares).
	Media func(*publish.Publisher)
	// Outbox, if set, receives the opened outbox.
	Outbox func(*outbox.Outbox)
	// Uplink, if set, receives the simulated link (--uplink-kbps).
	Uplink func(*uplink.Conn)
	// Page, if set, receives the candidate page's link from the first
	// welcome (tests consent there as the candidate would).
	Page func(url string)
	// Version, if set, is the version the agent reports in hello instead
	// of its build's: tests play an old or a dev agent with it.
	Version string
}

// Run runs the agent until ctx ends or the session ends, and returns the
// process exit code.
func Run(ctx context.Context, cfg config.Config, cat *i18n.Catalogue, term *Terminal, log *slog.Logger, hooks Hooks) int {
	if cfg.LangGuessed {
		term.SayAll(i18n.Key("agent.lang_fallback"), nil)
	}
	term.Say(i18n.Key("agent.connecting"), i18n.Args{"server": cfg.ServerURL.Redacted()})
	ob, err := outbox.Open(cfg.OutboxPath())
	if err != nil {
		term.Say(i18n.Key("agent.refused"), i18n.Args{"reason": err.Error()})
		return ExitFailed
	}
	defer ob.Close()
	if hooks.Outbox != nil {
		hooks.Outbox(ob)
	}
	if n, err := ob.CloseOpen(time.Now()); err != nil {
		log.Error("close spans of an earlier run", "err", err)
	} else if n > 0 {
		log.Info("closed spans left open by an earlier run", "spans", n)
	}

	emit := func(t finding.Transition) {
		ev, added, err := ob.Add(t)
		if err != nil {
			log.Error("outbox", "err", err)
			return
		}
		// The pre-check's own report was printed whole; its events are for
		// the proctor.
		if added && (ev.Severity != protocol.SeverityInfo || ev.Kind == protocol.KindEnd) && !strings.HasPrefix(ev.Subject, "precheck:") {
			term.Event(t.Rule, t.Key, t.Args)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	// Where the candidate will see the published results and can appeal,
	// known once the server has answered.
	var cabinet atomic.Pointer[string]
	// The capture, once the candidate consented; the session publishes it
	// when ready is closed.
	var live atomic.Pointer[media]
	ready := make(chan struct{})
	// The candidate's decisions on the consent notice, from the welcome
	// and from the server's consent commands.
	decisions := make(chan bool, 8)
	decide := func(given bool) {
		select {
		case decisions <- given:
		default:
		}
	}
	var welcome atomic.Pointer[protocol.Welcome]
	version := hooks.Version
	if version == "" {
		version = Version()
	}
	sessErr := make(chan error, 1)
	go func() {
		sessErr <- session.Run(ctx, session.Config{
			Server: cfg.ServerURL, Token: cfg.Token, Lang: cfg.Lang, Version: version, TLS: cfg.TLS,
			Outbox: ob, Media: lazyMedia{&live}, MediaReady: ready, Log: log,
			Frames: func() uint64 {
				if m := live.Load(); m != nil {
					return m.camera.Frames()
				}
				return 0
			},
			OnWelcome: func(wl *protocol.Welcome, first bool) {
				term.Say(i18n.Key("agent.connected"), i18n.Args{"pin": wl.Sitting.PIN, "stage": wl.Sitting.Stage})
				if u, ok := CabinetURL(wl.CandidateURL, cfg.Token, cfg.Lang); ok {
					cabinet.Store(&u)
				}
				if off := ob.ClockOffset(); first && off.Abs() > session.ClockWarning {
					term.Say(i18n.Key("agent.clock_off"), i18n.Args{"seconds": strconv.Itoa(int(off.Abs().Seconds()))})
				}
				if first {
					welcome.Store(wl)
					term.Say(i18n.Key("agent.page"), i18n.Args{"url": wl.CandidateURL})
					if !cfg.NoBrowser {
						// Not waited for: a browser may keep the opener running.
						go func(u string) {
							if err := OpenBrowser(u); err != nil {
								log.Info("could not open the browser", "err", err)
								term.Say(i18n.Key("agent.browser_failed"), i18n.Args{"url": u})
							}
						}(wl.CandidateURL)
					}
					if hooks.Page != nil {
						hooks.Page(wl.CandidateURL)
					}
				}
				switch {
				case wl.Consent.Given:
					decide(true)
				case wl.Consent.Declined:
					decide(false)
				case first:
					term.Say(i18n.Key("agent.consent_wait"), i18n.Args{"url": wl.CandidateURL})
				}
			},
			OnCommand: func(c *protocol.Command) {
				switch c.Kind {
				case protocol.CommandConsent:
					decide(c.Args["given"] == "true")
				case protocol.CommandRoomScan:
					term.Say(i18n.Key("roomscan.start"), nil)
					if m := live.Load(); m != nil {
						m.eyes.RoomScan(time.Now())
					}
				case protocol.CommandMessage:
					term.Say(i18n.Key("agent.message"), i18n.Args{"text": commandText(cat, cfg.Lang, c)})
				case protocol.CommandWarning:
					term.Say(i18n.Key("agent.warning"), i18n.Args{"rule": string(c.Rule), "text": commandText(cat, cfg.Lang, c)})
				}
			},
			OnStatus: func(s session.Status) { term.Say(s.Key, s.Args) },
		})
	}()
	finish := func(err error) int {
		var fatal *session.FatalError
		var unreachable *session.UnreachableError
		tellCabinet := func() {
			if u := cabinet.Load(); u != nil {
				term.Say(i18n.Key("agent.cabinet"), i18n.Args{"url": *u})
			}
		}
		switch {
		case err == nil:
			term.Say(i18n.Key("agent.stopped"), nil)
			tellCabinet()
			return ExitOK
		case errors.Is(err, session.ErrEnded):
			term.Say(i18n.Key("agent.ended"), nil)
			tellCabinet()
			return ExitOK
		case errors.As(err, &fatal):
			term.Say(i18n.Key("agent.refused"), i18n.Args{"reason": fatal.Err.Message})
			return ExitRefused
		case errors.As(err, &unreachable):
			term.Say(i18n.Key("agent.unreachable"), i18n.Args{"server": cfg.ServerURL.Host, "reason": unreachable.Err.Error()})
			return ExitFailed
		default:
			term.Say(i18n.Key("agent.refused"), i18n.Args{"reason": err.Error()})
			return ExitFailed
		}
	}

	// No consent, no capture: the camera, the microphone, the screen and
	// the system checks start only once the candidate agreed in the page.
	declined := false
	for given := false; !given; {
		select {
		case err := <-sessErr:
			return finish(err)
		case given = <-decisions:
			if !given && !declined {
				term.Say(i18n.Key("agent.consent_declined"), nil)
			}
			declined = !given
		}
	}
	term.Say(i18n.Key("agent.consent_given"), nil)
	m, code := startCapture(cfg, hooks, emit, log, term)
	if m == nil {
		cancel()
		<-sessErr
		return code
	}
	// The encoders' goroutines end before the media closes (media.Close).
	defer func() {
		cancel()
		wg.Wait()
		m.Close()
	}()
	live.Store(m)
	close(ready)
	wl := welcome.Load()
	m.speech.configure(wl.Policy.Speech)
	wg.Add(4)
	go func() {
		defer wg.Done()
		m.camera.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		m.eyes.run(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := m.pub.Run(ctx); err != nil {
			log.Error("encoder stopped", "err", err)
		}
	}()
	// The ID-document photo of rule 10.1, once, shortly after the start.
	go func() {
		defer wg.Done()
		const wait = 10
		term.Say(i18n.Key("agent.id_prompt"), i18n.Args{"seconds": fmt.Sprint(wait)})
		emit(finding.Transition{Rule: protocol.Rule10_1, Subject: "idphoto:prompt", Kind: protocol.KindInstant, At: time.Now(),
			Severity: protocol.SeverityInfo, Key: i18n.Key("agent.id_prompt"), Args: i18n.Args{"seconds": fmt.Sprint(wait)}})
		select {
		case <-ctx.Done():
		case <-time.After(wait * time.Second):
			m.eyes.IDPhoto()
		}
	}()
	// The encoders block in Read while a source is stalled; closing the
	// sources on the way out unblocks them.
	go func() {
		<-ctx.Done()
		m.CloseSources()
	}()
	if cfg.NoChecks {
		for _, r := range []protocol.RuleID{protocol.Rule10_9, protocol.Rule10_10, protocol.Rule10_11} {
			emit(finding.Transition{Rule: r, Subject: "checks:disabled", Kind: protocol.KindInstant, At: time.Now(),
				Severity: protocol.SeverityUnchecked, Key: i18n.Key("agent.checks_disabled")})
		}
	} else {
		// The system checks follow the policy, which came with the first
		// welcome; they run until the agent stops.
		wg.Add(1)
		go func() {
			defer wg.Done()
			runChecks(ctx, wl.Policy.Checks, cat, cfg.Lang, emit, term.Report, log)
		}()
	}
	err = <-sessErr
	cancel()
	return finish(err)
}

// startCapture opens the camera and builds the media around it, once the
// candidate consented. On failure it says why and returns the exit code.
func startCapture(cfg config.Config, hooks Hooks, emit func(finding.Transition), log *slog.Logger, term *Terminal) (*media, int) {
	opts := camera.Options{Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS}
	open := func() (camera.Source, error) { return openCamera(cfg.CameraSpec, opts) }
	src, err := open()
	if errors.Is(err, camera.ErrNoCamera) {
		term.Say(i18n.Key("camera.none"), nil)
		return nil, ExitCameraError
	}
	if err != nil {
		term.Say(cameraErrorKey(err), i18n.Args{"device": cfg.Camera, "reason": err.Error()})
		return nil, ExitCameraError
	}
	if hooks.Source != nil {
		hooks.Source(src)
	}
	if sw := cfg.CameraSpec; sw.Kind == "test" || sw.Kind == "file" {
		open = nil // a synthetic or recorded source does not come back by reopening
	}
	m, err := buildMedia(src, open, mediaOptions{Mic: cfg.MicSpec, Screen: cfg.Screen, ScreenFPS: cfg.ScreenFPS,
		UplinkKbps: cfg.UplinkKbps, MaxKbps: cfg.MaxKbps}, emit, log)
	if err != nil {
		term.Say(i18n.Key("camera.open_failed"), i18n.Args{"device": src.Name(), "reason": err.Error()})
		src.Close()
		return nil, ExitCameraError
	}
	if hooks.Media != nil {
		hooks.Media(m.pub)
	}
	if u, ok := m.conn.(*uplink.Conn); ok && hooks.Uplink != nil {
		hooks.Uplink(u)
	}
	eyes, err := newEyes(src.FPS(), emit, log)
	if err != nil {
		term.Say(i18n.Key("camera.open_failed"), i18n.Args{"device": src.Name(), "reason": err.Error()})
		m.Close()
		return nil, ExitCameraError
	}
	m.eyes = eyes
	m.camera.AddTap(eyes.tap)
	eyes.ScanCamera(time.Now(), src.Name())
	return m, ExitOK
}

// cameraErrorKey words a camera that would not open with what to do: in
// use by another program, permission refused, or the general case.
func cameraErrorKey(err error) i18n.Key {
	switch {
	case errors.Is(err, syscall.EBUSY):
		return "camera.busy"
	case errors.Is(err, fs.ErrPermission):
		return "camera.denied"
	}
	return "camera.open_failed"
}

// lazyMedia gives the session the publisher's peers once capture started
// (the session waits for MediaReady before it asks).
type lazyMedia struct{ m *atomic.Pointer[media] }

func (l lazyMedia) Connect(ice []protocol.ICEServer) (session.Peer, string, error) {
	m := l.m.Load()
	if m == nil {
		return nil, "", errors.New("no capture before consent")
	}
	return m.pub.NewPeer(ice)
}

// CabinetURL is the candidate's cabinet for this sitting (p.115's published
// results and the appeal), on the server that served candidateURL: the join
// token is the cabinet's credential and travels in the fragment, which the
// browser never sends to the server (docs/replay.md). ok is false without a
// join token (an agent resumed from its outbox) or a usable page address.
func CabinetURL(candidateURL, token string, lang i18n.Lang) (string, bool) {
	u, err := url.Parse(candidateURL)
	if err != nil || token == "" || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	dir := u.Path[:strings.LastIndex(u.Path, "/")+1]
	if dir == "" {
		dir = "/"
	}
	base := url.URL{Scheme: u.Scheme, Host: u.Host, Path: dir + "cabinet.html"}
	return base.String() + "#" + url.Values{"t": {token}, "lang": {string(lang)}}.Encode(), true
}

func commandText(cat *i18n.Catalogue, lang i18n.Lang, c *protocol.Command) string {
	if c.Text != "" {
		return c.Text
	}
	args := i18n.Args{}
	for k, v := range c.Args {
		args[k] = v
	}
	return cat.Text(lang, i18n.Key(c.Key), args)
}

func openCamera(spec camera.Spec, o camera.Options) (camera.Source, error) {
	switch spec.Kind {
	case "test":
		return camera.NewSynthetic(o), nil
	case "file":
		return camera.OpenFile(spec.Path, o)
	case "device":
		return camera.OpenDevice(spec.Path, o)
	default:
		return camera.OpenDevice("", o)
	}
}

// OpenBrowser opens url in the default browser and returns when the
// system's opener has (xdg-open, open, or url.dll on Windows); an error
// means the candidate must open the page by hand (the agent says so). A
// variable so that tests see which page would open, without a display.
var OpenBrowser = func(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	return cmd.Run()
}
