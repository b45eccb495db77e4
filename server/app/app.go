// Package app assembles kuzet-server from its parts and runs it until its
// context ends, then shuts it down in order: stop taking requests, tell
// agents and browsers, close media, close the store.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"kuzet.kz/kuzet/proctor-ui"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/agentlink"
	"kuzet.kz/kuzet/server/config"
	"kuzet.kz/kuzet/server/demo"
	"kuzet.kz/kuzet/server/evidence"
	"kuzet.kz/kuzet/server/feed"
	"kuzet.kz/kuzet/server/hub"
	"kuzet.kz/kuzet/server/ingest"
	"kuzet.kz/kuzet/server/media"
	"kuzet.kz/kuzet/server/roster"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/web"
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
}

// Run starts the server and blocks until ctx ends and shutdown finished.
// ready, if set, is called once the server accepts connections.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, ready func(Ready)) error {
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

	var ros *roster.Roster
	h := hub.New(func(id protocol.SittingID) { ros.Changed(id) })
	ros = roster.New(st, h, log)
	sfu, err := media.New(media.Config{
		Host: cfg.RTCHost, Port: cfg.RTCPort, PublicIPs: cfg.RTCPublicIPs, Log: log.With("part", "media"),
		OnMedia: h.SetMedia,
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
	link := agentlink.New(agentlink.Config{
		Store: st, Hub: h, Roster: ros, SFU: sfu, Ingest: ingest.New(st, h, evid), Log: log.With("part", "agents"),
		PublicURL: cfg.PublicURL, Policy: policy, LostAfter: cfg.AgentLostAfter,
	})
	fd := feed.New(feed.Config{Store: st, Hub: h, Roster: ros, SFU: sfu, Log: log.With("part", "feed")})
	srv, err := web.New(web.Config{
		Store: st, Admin: adm, Feed: fd, Agents: link, Uploads: link, Evidence: evid, Catalogue: cat, UI: proctorui.Files(),
		Log: log.With("part", "web"), SecureCookies: false,
		Health: func() error { _, err := st.Sittings(); return err },
	})
	if err != nil {
		return err
	}
	if !proctorui.Built() {
		log.Warn("the web app is not built into this binary; build proctor-ui and rebuild (scripts/run does both)")
	}

	var creds *demo.Credentials
	if cfg.Demo {
		c, err := demo.Seed(adm, st, cfg.DataDir)
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		creds = &c
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
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
	url := "http://" + ln.Addr().String()
	log.Info("kuzet-server listening", "url", url, "rtc_port", sfu.Port(), "data", cfg.DataDir)
	if ready != nil {
		ready(Ready{URL: url, RTCPort: sfu.Port(), Demo: creds, Store: st, Link: link, SFU: sfu})
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
