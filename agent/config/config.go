// Package config is kuzet-agent's configuration for a stage: where the
// server is, the sitting token, which camera, which language, and where the
// outbox lives. Flags override KUZET_AGENT_* environment variables, which
// override the defaults; Validate says what to fix in the candidate's
// language (its errors carry catalogue keys).
package config

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"kuzet.kz/kuzet/agent/camera"
	"kuzet.kz/kuzet/agent/mic"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Config is what kuzet-agent is told.
type Config struct {
	// Server is the server's address (flag --server, env KUZET_AGENT_SERVER).
	Server string
	// Token is the sitting token for this stage (--token, KUZET_AGENT_TOKEN).
	Token string
	// Camera is auto, test, file:PATH or a device (--camera). Default auto.
	Camera string
	// Lang is kk, ru or en (--lang). Default: the system's language
	// (KUZET_AGENT_LANG, LC_ALL, LC_MESSAGES, LANG, then the desktop's own
	// setting on Windows and macOS), else Kazakh, the state language.
	Lang i18n.Lang
	// LangGuessed is true when no setting named a language we speak and
	// Lang is the Kazakh fallback: the agent then says how to switch.
	LangGuessed bool
	// DataDir holds the outbox (--data). Default: the user's cache directory.
	DataDir string
	// NoBrowser stops the agent opening the candidate page (--no-browser,
	// KUZET_AGENT_NO_BROWSER=1).
	NoBrowser bool
	// NoChecks turns the system checks of rules 10.9–10.11 off
	// (--no-checks), for test rigs that run many agents on one machine.
	// The proctor is told: each of those rules is reported unchecked.
	NoChecks bool
	// Width, Height and FPS are the capture size asked of the camera.
	Width, Height, FPS int
	// Mic is auto, test, none or file:PATH (--mic). Default auto.
	Mic string
	// Screen captures the screen for the proctor (--screen, default true;
	// --screen=false for machines where the screen must not be captured,
	// which the proctor sees as the screen track missing).
	Screen bool
	// ScreenFPS is the screen's frame rate (--screen-fps, default 1).
	ScreenFPS float64
	// MaxKbps caps the whole upload in kbit/s (--max-kbps, default 256).
	MaxKbps int
	// UplinkKbps, if set, puts the media on a simulated link of that rate
	// (--uplink-kbps): support staff reproduce a candidate's slow network.
	UplinkKbps int
	// CAFile is a PEM file of certificate authorities to trust for the
	// server (--ca-file), for private deployments; default the system's.
	CAFile string
	// PinSHA256 is the server certificate's SHA-256 fingerprint (hex,
	// --pin-sha256): the agent talks only to a server holding exactly that
	// certificate (a self-signed one, say). kuzet-server logs it.
	PinSHA256 string
	// CPUProfile, if set, writes a Go CPU profile of the run there
	// (--cpu-profile), for support staff chasing a slow laptop.
	CPUProfile string
	// LogLevel is debug, info, warn or error (--log-level). Default warn:
	// the terminal is for the candidate.
	LogLevel string

	// ServerURL is Server parsed.
	ServerURL *url.URL
	// CameraSpec is Camera parsed.
	CameraSpec camera.Spec
	// MicSpec is Mic parsed.
	MicSpec mic.Spec
	// TLS is the client TLS configuration built from CAFile and PinSHA256
	// (nil: the system's defaults).
	TLS *tls.Config
}

// Error is a configuration problem with its catalogue text.
type Error struct {
	Key  i18n.Key
	Args i18n.Args
}

func (e *Error) Error() string { return string(e.Key) + fmt.Sprint(e.Args) }

// Load parses args over the environment and defaults.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	return load(args, getenv, stderr, false)
}

// load is Load, and with join LoadJoin: the one argument is the join link.
func load(args []string, getenv func(string) string, stderr io.Writer, join bool) (Config, error) {
	c := Config{Camera: "auto", Mic: "auto", Screen: true, ScreenFPS: 1, Width: 640, Height: 480, FPS: 15, MaxKbps: 256, LogLevel: "warn"}
	lang, guessed := systemLang(getenv, desktopLangs)
	// A flag error is told in the system's language too, not in a fixed one.
	c.Lang = i18n.Lang(lang)
	fs := flag.NewFlagSet("kuzet-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Server, "server", getenv("KUZET_AGENT_SERVER"), "server address, e.g. https://proctor.example.kz")
	fs.StringVar(&c.Token, "token", getenv("KUZET_AGENT_TOKEN"), "sitting token for this stage")
	fs.StringVar(&c.Camera, "camera", or(getenv("KUZET_AGENT_CAMERA"), c.Camera), "camera: auto, test, file:PATH or a device such as /dev/video0")
	fs.StringVar(&lang, "lang", lang, "language: kk, ru or en")
	fs.StringVar(&c.DataDir, "data", getenv("KUZET_AGENT_DATA"), "directory for the outbox (default: the user cache directory)")
	fs.BoolVar(&c.NoBrowser, "no-browser", getenv("KUZET_AGENT_NO_BROWSER") == "1", "do not open the candidate page in the browser (env KUZET_AGENT_NO_BROWSER=1)")
	fs.BoolVar(&c.NoChecks, "no-checks", false, "turn the system checks off (the proctor is told)")
	fs.IntVar(&c.Width, "width", c.Width, "capture width")
	fs.IntVar(&c.Height, "height", c.Height, "capture height")
	fs.IntVar(&c.FPS, "fps", c.FPS, "capture frames per second")
	fs.StringVar(&c.Mic, "mic", or(getenv("KUZET_AGENT_MIC"), c.Mic), "microphone: auto, test, none or file:PATH (WAV)")
	fs.BoolVar(&c.Screen, "screen", c.Screen, "send the screen to the proctor")
	fs.Float64Var(&c.ScreenFPS, "screen-fps", c.ScreenFPS, "screen frames per second")
	fs.IntVar(&c.MaxKbps, "max-kbps", c.MaxKbps, "upload budget for all media, kbit/s")
	fs.IntVar(&c.UplinkKbps, "uplink-kbps", 0, "simulate an uplink of this many kbit/s (support and tests)")
	fs.StringVar(&c.CAFile, "ca-file", getenv("KUZET_AGENT_CA_FILE"), "PEM file of certificate authorities to trust for the server")
	fs.StringVar(&c.PinSHA256, "pin-sha256", getenv("KUZET_AGENT_PIN_SHA256"), "trust only the server certificate with this SHA-256 fingerprint (hex)")
	fs.StringVar(&c.CPUProfile, "cpu-profile", "", "write a CPU profile of the run to this file (support)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return c, &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": err.Error()}}
	}
	l, err := i18n.ParseLang(lang)
	if err != nil {
		return c, &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": err.Error()}}
	}
	c.Lang = l
	// --lang kk names the language: only the fallback is a guess.
	fs.Visit(func(f *flag.Flag) { guessed = guessed && f.Name != "lang" })
	c.LangGuessed = guessed && l == i18n.KK
	if join {
		if fs.NArg() != 1 {
			return c, &Error{Key: i18n.Key("agent.join.missing")}
		}
		var named error
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "server" || f.Name == "token" {
				named = &Error{Key: i18n.Key("agent.join.flags")}
			}
		})
		if named != nil {
			return c, named
		}
		server, token, err := ParseJoinLink(fs.Arg(0))
		if err != nil {
			return c, err
		}
		c.Server, c.Token = server, token
	} else if fs.NArg() > 0 {
		return c, &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "unexpected argument " + fs.Arg(0)}}
	}
	return c, c.validate()
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (c *Config) validate() error {
	if strings.TrimSpace(c.Token) == "" {
		return &Error{Key: i18n.Key("agent.no_token")}
	}
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{Key: i18n.Key("agent.bad_server"), Args: i18n.Args{"server": c.Server}}
	}
	c.ServerURL = u
	spec, err := camera.ParseSpec(c.Camera)
	if err != nil {
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": err.Error()}}
	}
	c.CameraSpec = spec
	if c.Width < 160 || c.Height < 120 || c.Width > 3840 || c.Height > 2160 || c.FPS < 1 || c.FPS > 60 {
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "capture size must be 160×120 to 3840×2160 at 1–60 fps"}}
	}
	ms, err := mic.ParseSpec(c.Mic)
	if err != nil {
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": err.Error()}}
	}
	c.MicSpec = ms
	if c.ScreenFPS < 0.2 || c.ScreenFPS > 5 {
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "--screen-fps must be 0.2 to 5"}}
	}
	if c.MaxKbps < 100 || c.MaxKbps > 5000 {
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "--max-kbps must be 100 to 5000"}}
	}
	if c.UplinkKbps != 0 && (c.UplinkKbps < 50 || c.UplinkKbps > 100_000) {
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "--uplink-kbps must be 50 to 100000"}}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "--log-level must be debug, info, warn or error"}}
	}
	tc, err := trust(c.CAFile, c.PinSHA256)
	if err != nil {
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": err.Error()}}
	}
	c.TLS = tc
	if c.DataDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		c.DataDir = filepath.Join(base, "kuzet-agent")
	}
	return nil
}

// OutboxPath is the outbox file of this sitting: one per token, so two
// stages on one computer never mix their events.
func (c *Config) OutboxPath() string {
	h := sha256.Sum256([]byte(c.Token))
	return filepath.Join(c.DataDir, "outbox-"+hex.EncodeToString(h[:6])+".db")
}

// trust builds the client TLS configuration: extra CAs, or a pinned
// certificate (then chains and names are not checked: the pin is the
// whole trust, as for a self-signed server).
func trust(caFile, pin string) (*tls.Config, error) {
	if caFile == "" && pin == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	if pin != "" {
		want, err := hex.DecodeString(strings.ReplaceAll(strings.ToLower(pin), ":", ""))
		if err != nil || len(want) != sha256.Size {
			return nil, fmt.Errorf("--pin-sha256 %q: want the 64 hex digits kuzet-server prints", pin)
		}
		cfg.InsecureSkipVerify = true // replaced by the pin check below
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare(got[:], want) != 1 {
				return fmt.Errorf("the server's certificate (SHA-256 %x) is not the pinned one", got)
			}
			return nil
		}
	}
	return cfg, nil
}

// SystemLang is the candidate's language before any --lang (see
// systemLang); guessed is true when it is only the Kazakh fallback.
func SystemLang(getenv func(string) string) (lang i18n.Lang, guessed bool) {
	l, guessed := systemLang(getenv, desktopLangs)
	return i18n.Lang(l), guessed
}

// systemLang is the language the candidate's system is set to, or Kazakh
// (the state language) with guessed true when nothing names kk, ru or en:
// the environment first (as a terminal user set it), then the desktop's
// preferred languages in order.
func systemLang(getenv func(string) string, desktop func() []string) (string, bool) {
	for _, k := range []string{"KUZET_AGENT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if l, err := i18n.ParseLang(getenv(k)); err == nil {
			return string(l), false
		}
	}
	for _, s := range desktop() {
		if l, err := i18n.ParseLang(s); err == nil {
			return string(l), false
		}
	}
	return string(i18n.KK), true
}
