// Package app assembles kuzet-server from its parts and runs it until its
// context ends, then shuts it down in order: stop taking requests, tell
// agents and browsers, close media, close the store.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"kuzet.kz/kuzet/proctor-ui"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/accounts"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/agentlink"
	"kuzet.kz/kuzet/server/archive"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/config"
	"kuzet.kz/kuzet/server/consent"
	"kuzet.kz/kuzet/server/demo"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/feed"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/identity"
	"kuzet.kz/kuzet/server/ingest"
	"kuzet.kz/kuzet/server/media"
	"kuzet.kz/kuzet/server/pii"
	"kuzet.kz/kuzet/server/proctoring"
	"kuzet.kz/kuzet/server/replay"
	"kuzet.kz/kuzet/server/roster"
	"kuzet.kz/kuzet/server/ruleset"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/tlsconf"
	"kuzet.kz/kuzet/server/web"
	"kuzet.kz/kuzet/server/workflow"
	"kuzet.kz/kuzet/server/workflow/boltstore"
	"kuzet.kz/kuzet/server/workflow/httpapi"
	"kuzet.kz/kuzet/server/workflow/proctorport"
)

// Ready describes a started server.
type Ready struct {
	// URL is where the server listens.
	URL string
	// RTCPort is the UDP media port.
	RTCPort int
	// Demo holds the demo credentials when Config.Demo is set.
	Demo *demo.Credentials
	// Store is the open store, for tests that look inside.
	Store *store.Store
	// Link is the agent channel, for tests that send commands.
	Link *agentlink.Link
	// SFU is the media forwarder, for its statistics.
	SFU *media.SFU
	// Routes lists every route the web server serves.
	Routes []string
	// Workflow is the competition engine (tests run its Tick rather
	// than wait for the server's 30 s one).
	Workflow *workflow.Engine
}

// Run starts the server and blocks until ctx ends and shutdown finished.
// ready, if set, is called once the server accepts connections.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, ready func(Ready)) error {
	cfg = cfg.WithPaths()
	cat, err := i18n.Load()
	if err != nil {
		return fmt.Errorf("load text catalogue: %w", err)
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, "kuzet.db"))
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	adm := admin.New(st)
	keys, err := audit.LoadOrCreateKeys(cfg.AuditKeys)
	if err != nil {
		return fmt.Errorf("audit log keys: %w", err)
	}
	alog, err := audit.Open(st.DB(), keys, audit.Options{DataDir: cfg.DataDir, Logger: log.With("part", "audit")})
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	// Closed before the store (deferred after it, so it runs first).
	defer func() {
		if err := alog.Close(); err != nil {
			log.Error("close audit log", "err", err)
		}
	}()
	bg, stopBG := context.WithCancel(context.Background())
	var bgWG sync.WaitGroup
	defer bgWG.Wait()
	defer stopBG()
	bgWG.Add(3)
	go func() {
		defer bgWG.Done()
		expireSessions(bg, st, sessionSweep, log.With("part", "sessions"))
	}()
	go func() {
		defer bgWG.Done()
		if err := alog.Run(bg, cfg.CheckpointInterval); err != nil && bg.Err() == nil {
			log.Error("audit checkpoints stopped", "err", err)
		}
	}()
	go func() {
		defer bgWG.Done()
		retain(bg, alog, cfg.Retention, log.With("part", "retention"))
	}()

	var ros *roster.Roster
	h := hub.New(func(id protocol.SittingID) { ros.Changed(id) })
	ros = roster.New(st, h, log)
	var sfu *media.SFU
	arch := archive.New(archive.Config{DataDir: cfg.DataDir, Log: alog, Logger: log.With("part", "archive"),
		RequestKeyframe: func(id protocol.SittingID) { sfu.RequestKeyframe(id) }})
	defer arch.Close() // after the SFU stopped forwarding (see shutdown below)
	sfu, err = media.New(media.Config{
		Host: cfg.RTCHost, Port: cfg.RTCPort, PublicIPs: cfg.RTCPublicIPs, Log: log.With("part", "media"),
		OnMedia: h.SetMedia, Tap: arch.Tap, OnPublisherGone: arch.Stop,
	})
	if err != nil {
		return err
	}
	sfuClosed := false
	defer func() {
		if !sfuClosed {
			sfu.Close()
		}
	}()
	evid := evidence.New(cfg.DataDir)
	policy := protocol.Policy{HeartbeatMS: int(cfg.HeartbeatInterval / time.Millisecond), CameraLostMS: 2000}
	ing := ingest.New(st, h, evid, alog)
	link := agentlink.New(agentlink.Config{
		Store: st, Tokens: adm, Hub: h, Roster: ros, SFU: sfu, Ingest: ing, Log: log.With("part", "agents"),
		PublicURL: cfg.PublicURL, Policy: policy, LostAfter: cfg.AgentLostAfter,
		MinAgentVersion: cfg.MinAgentVersion, AllowDevAgents: cfg.Demo, AgentDownloadURL: cfg.AgentDownloadURL, Catalogue: cat,
	})
	cons := consent.New(consent.Config{Store: st, Ingest: ing, Agents: link, Retention: cfg.Retention, Log: log.With("part", "consent")})
	notice := cons.Notice()
	fd := feed.New(feed.Config{Store: st, Hub: h, Roster: ros, SFU: sfu, Log: log.With("part", "feed"), Notice: &notice})
	proc := proctoring.New(proctoring.Config{Store: st, Ingest: ing, Agents: link, Hub: h, Roster: ros, Evidence: ing,
		Reassigned: fd.Reassigned, Log: log.With("part", "proctoring")})
	if err := proc.Reconcile(); err != nil {
		return err
	}
	cal, err := calendar.Load(cfg.Calendars)
	if err != nil {
		return fmt.Errorf("working-day calendar: %w", err)
	}
	rep, err := replay.New(replay.Config{Store: st, Log: alog, DataDir: cfg.DataDir, AuditKeys: cfg.AuditKeys, Catalogue: cat, Calendar: cal, Logger: log.With("part", "replay")})
	if err != nil {
		return err
	}
	if cfg.Demo {
		if err := demo.RuleSets(cfg.RuleSets, time.Now()); err != nil {
			return fmt.Errorf("demo rule set: %w", err)
		}
	}
	rules, err := ruleset.Load(cfg.RuleSets)
	if err != nil {
		return fmt.Errorf("rule sets: %w", err)
	}
	piiKey, err := pii.LoadOrCreateKey(cfg.PIIKey)
	if err != nil {
		return fmt.Errorf("personal-data key: %w", err)
	}
	vault, err := pii.New(piiKey)
	if err != nil {
		return fmt.Errorf("personal-data key: %w", err)
	}
	wfStore, err := boltstore.New(st.DB())
	if err != nil {
		return err
	}
	port := proctorport.Port{Admin: adm, Store: st}
	engineAt := func(now func() time.Time) (*workflow.Engine, error) {
		return workflow.New(workflow.Config{Store: wfStore, Vault: vault, Calendar: cal, Rules: rules, Sittings: port,
			Documents: filepath.Join(cfg.DataDir, "documents"), Now: now, Logger: log.With("part", "workflow")})
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	engine, err := engineAt(now)
	if err != nil {
		return err
	}
	wf := httpapi.New(httpapi.Config{Engine: engine, Accounts: port, Store: st, Catalogue: cat, PublicURL: cfg.PublicURL, PDFFont: cfg.PDFFont, Logger: log.With("part", "workflow")})
	proxies, err := cfg.Proxies()
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{
		Store: st, Admin: adm, Feed: fd, Agents: link, Uploads: link, Evidence: evid, EvidenceLog: ing, Catalogue: cat, UI: proctorui.Files(),
		Log: log.With("part", "web"), SecureCookies: cfg.TLS(), TrustedProxies: proxies,
		Health: func() error { _, err := st.Sittings(); return err },
		Stats:  func() map[string]any { return map[string]any{"media": sfu.Stats()} },
	}, proc, rep, wf, accounts.New(st, adm, alog), identity.New(identity.Config{Store: st, Ingest: ing, Evidence: evid, Log: log.With("part", "identity")}), cons)
	if err != nil {
		return err
	}
	if !proctorui.Built() {
		log.Warn("the web app is not built into this binary; build proctor-ui and rebuild (scripts/run does both)")
	}

	var creds *demo.Credentials
	if cfg.Demo {
		c, err := demo.Seed(demo.Parts{Admin: adm, Store: st, DataDir: cfg.DataDir, Engine: engineAt, Accounts: port,
			Consent: func(id protocol.SittingID) error { return cons.Record(id, "demo", "en") }})
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		creds = &c
	}
	bgWG.Add(1)
	go func() {
		defer bgWG.Done()
		tick(bg, engine, cfg.WorkflowTick, log.With("part", "workflow"))
	}()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	scheme := "http://"
	if cfg.TLS() {
		var tcfg *tls.Config
		var fp string
		if cfg.TLSSelfSigned {
			host, _, _ := net.SplitHostPort(cfg.Listen)
			tcfg, fp, err = tlsconf.SelfSigned(filepath.Join(cfg.DataDir, "keys"), []string{host})
		} else {
			tcfg, fp, err = tlsconf.Config(cfg.TLSCert, cfg.TLSKey)
		}
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, tcfg)
		scheme = "https://"
		log.Info("serving HTTPS", "sha256", fp, "pin", "kuzet-agent --pin-sha256 "+fp)
	}
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	url := scheme + ln.Addr().String()
	log.Info("kuzet-server listening", "url", url, "rtc_port", sfu.Port(), "data", cfg.DataDir)
	if !cfg.TLS() && !loopback(ln.Addr()) {
		log.Warn("listening beyond this machine over plain HTTP: passwords, tokens and personal data cross the network readable; serve HTTPS (-tls-cert/-tls-key or -tls-self-signed) or put a TLS-terminating proxy in front and listen on loopback", "listen", cfg.Listen)
	}
	if ready != nil {
		ready(Ready{URL: url, RTCPort: sfu.Port(), Demo: creds, Store: st, Link: link, SFU: sfu, Routes: srv.Routes(), Workflow: engine})
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("http shutdown", "err", err)
	}
	link.Shutdown()
	fd.Shutdown()
	sfuClosed = true
	if err := sfu.Close(); err != nil {
		log.Warn("close media", "err", err)
	}
	<-serveErr
	log.Info("stopped")
	return nil
}

// tick lets time take the workflow's decisions (deadlines, essays
// released after clean check results, p.117) every interval (-workflow-tick),
// and once at start.
func tick(ctx context.Context, e *workflow.Engine, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			log.Error("workflow tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sessionSweep is how often expired login sessions are deleted.
const sessionSweep = time.Hour

// expireSessions deletes expired login sessions at start and then every
// interval (an expired one no longer logs anyone in; this keeps the store
// from growing with them).
func expireSessions(ctx context.Context, st *store.Store, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := st.DeleteExpiredSessions(time.Now()); err != nil {
			log.Error("delete expired sessions", "err", err)
		} else if n > 0 {
			log.Info("expired sessions deleted", "sessions", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// retain deletes recordings and evidence past their retention period once
// a day (and at start), each deletion logged before it happens.
func retain(ctx context.Context, l *audit.Log, period time.Duration, log *slog.Logger) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		files, err := l.Expired(ctx, time.Now(), period)
		if err != nil {
			log.Error("find expired files", "err", err)
		} else if len(files) > 0 {
			if _, err := l.Retire(ctx, files, period, "system", time.Now()); err != nil {
				log.Error("retire expired files", "err", err)
			} else {
				log.Info("retention: files deleted", "files", len(files))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// loopback reports whether addr is only reachable from this machine.
func loopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
