// Package config is kuzet-agent's configuration for a stage: where the
// server is, the sitting token, which camera, which language, and where the
// outbox lives. Flags override KUZET_AGENT_* environment variables, which
// override the defaults; Validate says what to fix in the candidate's
// language (its errors carry catalogue keys).
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"kuzet.kz/kuzet/agent/camera"
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
	// Lang is kk, ru or en (--lang). Default: from the system locale, else ru.
	Lang i18n.Lang
	// DataDir holds the outbox (--data). Default: the user's cache directory.
	DataDir string
	// NoBrowser stops the agent opening the candidate page (--no-browser).
	NoBrowser bool
	// NoChecks turns the system checks of rules 10.9–10.11 off
	// (--no-checks), for test rigs that run many agents on one machine.
	// The proctor is told: each of those rules is reported unchecked.
	NoChecks bool
	// Width, Height and FPS are the capture size asked of the camera.
	Width, Height, FPS int
	// BitRate is the camera's target bitrate in bit/s (--bitrate).
	BitRate int
	// LogLevel is debug, info, warn or error (--log-level). Default warn:
	// the terminal is for the candidate.
	LogLevel string

	// ServerURL is Server parsed.
	ServerURL *url.URL
	// CameraSpec is Camera parsed.
	CameraSpec camera.Spec
}

// Error is a configuration problem with its catalogue text.
type Error struct {
	Key  i18n.Key
	Args i18n.Args
}

func (e *Error) Error() string { return string(e.Key) + fmt.Sprint(e.Args) }

// Load parses args over the environment and defaults.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Config{Camera: "auto", Width: 640, Height: 480, FPS: 15, BitRate: 200_000, LogLevel: "warn"}
	lang := ""
	for _, k := range []string{"KUZET_AGENT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if l, err := i18n.ParseLang(getenv(k)); err == nil {
			lang = string(l)
			break
		}
	}
	if lang == "" {
		lang = string(i18n.RU)
	}
	fs := flag.NewFlagSet("kuzet-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Server, "server", getenv("KUZET_AGENT_SERVER"), "server address, e.g. https://proctor.example.kz")
	fs.StringVar(&c.Token, "token", getenv("KUZET_AGENT_TOKEN"), "sitting token for this stage")
	fs.StringVar(&c.Camera, "camera", or(getenv("KUZET_AGENT_CAMERA"), c.Camera), "camera: auto, test, file:PATH or a device such as /dev/video0")
	fs.StringVar(&lang, "lang", lang, "language: kk, ru or en")
	fs.StringVar(&c.DataDir, "data", getenv("KUZET_AGENT_DATA"), "directory for the outbox (default: the user cache directory)")
	fs.BoolVar(&c.NoBrowser, "no-browser", false, "do not open the candidate page in the browser")
	fs.BoolVar(&c.NoChecks, "no-checks", false, "turn the system checks off (the proctor is told)")
	fs.IntVar(&c.Width, "width", c.Width, "capture width")
	fs.IntVar(&c.Height, "height", c.Height, "capture height")
	fs.IntVar(&c.FPS, "fps", c.FPS, "capture frames per second")
	fs.IntVar(&c.BitRate, "bitrate", c.BitRate, "camera bitrate in bit/s")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return c, &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": err.Error()}}
	}
	if fs.NArg() > 0 {
		return c, &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "unexpected argument " + fs.Arg(0)}}
	}
	l, err := i18n.ParseLang(lang)
	if err != nil {
		return c, &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": err.Error()}}
	}
	c.Lang = l
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
	if c.BitRate < 30_000 || c.BitRate > 5_000_000 {
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "--bitrate must be 30000 to 5000000 bit/s"}}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &Error{Key: i18n.Key("agent.bad_flag"), Args: i18n.Args{"reason": "--log-level must be debug, info, warn or error"}}
	}
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
