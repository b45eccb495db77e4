// Command kuzet-server is Kuzet's server: signalling, media forwarding, the
// event store and the web app, in one binary with an embedded bbolt store.
//
//	kuzet-server [-listen 127.0.0.1:8080] [-data ./data] [-demo] …
//	kuzet-server audit verify --data DIR
//	kuzet-server audit export --data DIR --sitting ID -o FILE
//	kuzet-server calendar [--data DIR] DATE +N | DATE -N | YEAR
//	kuzet-server accounts create|list|disable|enable|password --data DIR …
//	kuzet-server bank inspect [--json] FILE…
//
// Every flag can also be set in the environment as KUZET_<FLAG> (e.g.
// KUZET_DATA=/var/lib/kuzet). Run with -h for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"kuzet.kz/kuzet/server/accounts"
	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/config"
	"kuzet.kz/kuzet/server/qti"
)

func main() {
	os.Exit(run())
}

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "audit" {
		// Offline verification and export of the audit log (the server
		// must not be running on the same data directory).
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return audit.RunCommand(ctx, os.Args[2:], os.Stdout, os.Stderr)
	}
	if len(os.Args) > 1 && os.Args[1] == "calendar" {
		// Working-day arithmetic and a year's days off, to check the
		// calendar data against the official calendar.
		return calendar.RunCommand(os.Args[2:], os.Stdout, os.Stderr, os.Getenv)
	}
	if len(os.Args) > 1 && os.Args[1] == "accounts" {
		// Staff accounts while the server is stopped: the first
		// administrator of a fresh install, or a repair.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return accounts.RunCommand(ctx, os.Args[2:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	}
	if len(os.Args) > 1 && os.Args[1] == "bank" {
		// What a QTI 2.1 item bank holds and what the engine refuses,
		// before the bank is used for a test.
		return qti.RunCommand(os.Args[2:], os.Stdout, os.Stderr, os.Getenv)
	}
	cfg, err := config.Load(os.Args[1:], os.Getenv, func(fs *flag.FlagSet) {
		fmt.Fprintln(fs.Output(), "usage: kuzet-server [flags]\n\nEvery flag can also be set as KUZET_<FLAG> in the environment.\n\nflags:")
		fs.PrintDefaults()
	})
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kuzet-server: configuration:", err)
		return 2
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.DebugListen != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		dbg := &http.Server{Addr: cfg.DebugListen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := dbg.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				log.Warn("profiler", "err", err)
			}
		}()
		defer dbg.Close()
		log.Info("profiler listening", "addr", cfg.DebugListen)
	}
	if err := app.Run(ctx, cfg, log, func(r app.Ready) {
		if r.Demo != nil {
			log.Info("demo ready", "dashboard", r.URL, "proctor_user", r.Demo.ProctorUser, "pin", r.Demo.PIN)
		}
	}); err != nil {
		log.Error("kuzet-server stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
