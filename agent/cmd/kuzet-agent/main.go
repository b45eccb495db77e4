// Command kuzet-agent is the candidate's program for a proctored stage: it
// checks the computer, watches the camera, streams it to the server over
// WebRTC and reports rule events with evidence.
//
//	kuzet-agent --server URL --token TOKEN [--camera auto|test|file:PATH|DEVICE] [--lang kk|ru|en]
//	kuzet-agent join LINK [flags]     (the join link of the candidate's cabinet)
//	kuzet-agent --version | version   (the version and build, one line)
//	kuzet-agent check [--json]
//	kuzet-agent analyze [--json] [--room-scan] FILES…
//
// It prints, in the candidate's language, what it is doing and what to fix.
// If the server is unreachable or refuses the token it says so in one line
// and exits non-zero.
package main

import (
	"context"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/jezek/xgb"

	"kuzet.kz/kuzet/agent/analyze"
	"kuzet.kz/kuzet/agent/app"
	"kuzet.kz/kuzet/agent/camera"
	"kuzet.kz/kuzet/agent/config"
	"kuzet.kz/kuzet/agent/precheck"
	"kuzet.kz/kuzet/internal/buildinfo"
	"kuzet.kz/kuzet/protocol/i18n"
)

func main() { os.Exit(run()) }

// langArg takes --lang out of a subcommand's arguments; without it the
// language is the system's (KUZET_AGENT_LANG, the locale, the desktop's
// setting: config.SystemLang), else Kazakh, the state language (issue
// 16). An unknown language is reported and the system's used.
func langArg(args []string, getenv func(string) string) ([]string, i18n.Lang) {
	lang, _ := config.SystemLang(getenv)
	var rest []string
	set := func(v string) {
		if l, err := i18n.ParseLang(v); err == nil {
			lang = l
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "--lang" || a == "-lang") && i+1 < len(args):
			set(args[i+1])
			i++
		case strings.HasPrefix(a, "--lang=") || strings.HasPrefix(a, "-lang="):
			set(a[strings.Index(a, "=")+1:])
		default:
			rest = append(rest, a)
		}
	}
	return rest, lang
}

// checkCommand is `kuzet-agent check [--json] [--lang kk|ru|en]`: every
// system check once (rules 10.9–10.11), exit 0 only if all ran and passed.
func checkCommand(cat *i18n.Catalogue, args []string) int {
	rest, lang := langArg(args, os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return precheck.RunCommand(ctx, rest, os.Stdout, os.Stderr, cat, lang, log)
}

func run() int {
	if len(os.Args) == 2 {
		switch os.Args[1] {
		case "--version", "-version", "version":
			// Identifiers only, the same in every language (buildinfo).
			fmt.Println(buildinfo.Get().String("kuzet-agent"))
			return app.ExitOK
		}
	}
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kuzet-agent: text catalogue:", err)
		return app.ExitFailed
	}
	// Routed away from stderr: the X library complains there on machines
	// without an .Xauthority, which is normal.
	xgb.Logger = stdlog.New(io.Discard, "", 0)
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "check":
			return checkCommand(cat, os.Args[2:])
		case "analyze":
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			args, lang := langArg(os.Args[2:], os.Getenv)
			return analyze.RunCommand(ctx, args, os.Stdout, os.Stderr, cat, lang)
		}
	}
	load := config.Load
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "join" {
		// The join link of the cabinet: the server and token without typing.
		load, args = config.LoadJoin, args[1:]
	}
	cfg, err := load(args, os.Getenv, os.Stderr)
	lang := cfg.Lang
	if !lang.Valid() {
		lang, _ = config.SystemLang(os.Getenv)
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

	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			term.Say(i18n.Key("agent.bad_flag"), i18n.Args{"reason": err.Error()})
			return app.ExitUsage
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err == nil {
			defer pprof.StopCPUProfile()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.Run(ctx, cfg, cat, term, log, app.Hooks{Source: func(s camera.Source) { testHooks(ctx, s, log) }})
}
