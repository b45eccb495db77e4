// Command kuzet-agent is the candidate's program for a proctored stage: it
// checks the computer, watches the camera, streams it to the server over
// WebRTC and reports rule events with evidence.
//
//	kuzet-agent --server URL --token TOKEN [--camera auto|test|file:PATH|DEVICE] [--lang kk|ru|en]
//
// It prints, in the candidate's language, what it is doing and what to fix.
// If the server is unreachable or refuses the token it says so in one line
// and exits non-zero.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"kuzet.kz/kuzet/agent/app"
	"kuzet.kz/kuzet/agent/camera"
	"kuzet.kz/kuzet/agent/config"
	"kuzet.kz/kuzet/protocol/i18n"
)

func main() { os.Exit(run()) }

func run() int {
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kuzet-agent: text catalogue:", err)
		return app.ExitFailed
	}
	cfg, err := config.Load(os.Args[1:], os.Getenv, os.Stderr)
	lang := cfg.Lang
	if !lang.Valid() {
		lang = i18n.RU
	}
	term := app.NewTerminal(os.Stdout, cat, lang)
	if err != nil {
		if ce, ok := err.(*config.Error); ok {
			term.Say(ce.Key, ce.Args)
		} else {
			term.Say(i18n.Key("agent.bad_flag"), i18n.Args{"reason": err.Error()})
		}
		term.Say(i18n.Key("agent.usage"), nil)
		return app.ExitUsage
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.Run(ctx, cfg, cat, term, log, app.Hooks{Source: func(s camera.Source) { testHooks(ctx, s, log) }})
}
