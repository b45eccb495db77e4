// Package config is kuzet-server's configuration: one documented struct,
// defaults, then environment variables, then command-line flags, then
// Validate with messages an operator can act on.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is everything kuzet-server can be told. Each field has a flag and an
// environment variable (KUZET_ + the flag name in upper case, dashes as
// underscores); flags win over the environment, the environment over defaults.
type Config struct {
	// Listen is the HTTP address (flag -listen, env KUZET_LISTEN).
	// Default "127.0.0.1:8080": only this machine, until TLS is set up.
	Listen string
	// PublicURL is the address people and agents reach the server at, used
	// in links the server hands out (candidate page). Default: derived from
	// Listen.
	PublicURL string
	// DataDir holds the bbolt store, evidence, recordings and keys
	// (flag -data, env KUZET_DATA). Default "./data".
	DataDir string
	// RTCPort is the single UDP port all WebRTC media uses (flag -rtc-port).
	// One port keeps firewalls simple and scales to many peers. 0 picks a
	// free port at start. Default 0.
	RTCPort int
	// RTCHost is the address media is bound to and announced at (flag
	// -rtc-host). Default "127.0.0.1"; set the server's reachable address
	// (or 0.0.0.0 with -rtc-public-ip) in deployments.
	RTCHost string
	// RTCPublicIPs are addresses to announce instead of the bound one, for
	// a server behind 1:1 NAT (flag -rtc-public-ip, comma-separated).
	RTCPublicIPs []string
	// TLSCert and TLSKey are the HTTPS certificate and key files (flags
	// -tls-cert, -tls-key). With them the server serves HTTPS only.
	TLSCert, TLSKey string
	// TLSSelfSigned serves HTTPS with a self-signed certificate made on
	// first start in DataDir/keys (flag -tls-self-signed); its SHA-256
	// fingerprint is logged for agents to pin (--pin-sha256).
	TLSSelfSigned bool
	// Demo seeds a demo competition, sitting and proctor account at start
	// and writes their credentials to DataDir/demo.json (flag -demo).
	Demo bool
	// ShutdownTimeout bounds graceful shutdown (flag -shutdown-timeout).
	// Default 10s.
	ShutdownTimeout time.Duration
	// HeartbeatInterval is how often agents send heartbeats (flag
	// -heartbeat). Default 2s.
	HeartbeatInterval time.Duration
	// AgentLostAfter is how long without a message from an agent before its
	// sitting is shown offline (flag -agent-lost). Default 6s.
	AgentLostAfter time.Duration
	// WorkflowTick is how often time takes the workflow's decisions:
	// deadlines (p.73), essays released after clean check results
	// (p.115), p.117 (flag -workflow-tick). Default 30s.
	WorkflowTick time.Duration
	// PDFFont is the TrueType font of the results PDF, which must have
	// the Kazakh and Russian letters (flag -pdf-font). Default Debian's
	// DejaVu Sans (package fonts-dejavu-core).
	PDFFont string
	// Retention is how long recordings and evidence are kept (flag
	// -retention). Deleting them at expiry is itself logged. Default 365
	// days (8760h).
	Retention time.Duration
	// PIIKey is the file of the key that seals personal data (names,
	// IINs, contacts, document scans) (flag -pii-key). Keep it apart
	// from the data directory in production (another disk, a secrets
	// mount): a copied kuzet.db without it reveals no name or IIN.
	// Default DataDir/keys/pii.key, created on first start.
	PIIKey string
	// AuditKeys is the directory of the audit log's signing key
	// (audit.key, audit.pub) (flag -audit-keys, env KUZET_AUDIT_KEYS).
	// Whoever holds the signing key can sign a rewritten log, so it must
	// not sit with the data: without -demo the server refuses to start
	// with it inside DataDir. Default DataDir/keys, allowed with -demo only.
	AuditKeys string
	// Calendars is the directory of the operator's working-day calendar
	// files (flag -calendars): YYYY.json adds a year. Default
	// DataDir/calendar.
	Calendars string
	// RuleSets is the directory of the operator's rule sets (flag
	// -rulesets): the next set after the temporary rules, bodies.json.
	// Default DataDir/rulesets.
	RuleSets string
	// TrustedProxies lists the reverse proxies (addresses or CIDR
	// prefixes, comma-separated; flag -trusted-proxies) whose
	// X-Forwarded-For and X-Forwarded-Proto the server believes: rate
	// limits then count the real client, and cookies are Secure when the
	// proxy says the client used HTTPS. Empty: the headers are ignored.
	TrustedProxies string
	// Now is the workflow's clock, for its deadlines and p.117 (time.Now
	// when nil). No flag: tests set a clock they move, to walk a
	// competition through its weeks in seconds.
	Now func() time.Time
	// CheckpointInterval is how often the audit log signs a checkpoint
	// (flag -checkpoint). Default 10s.
	CheckpointInterval time.Duration
	// DebugListen, if set, serves Go's profiler (net/http/pprof) on this
	// address (flag -debug-listen, e.g. 127.0.0.1:6060). Keep it on
	// loopback: it is not authenticated.
	DebugListen string
	// MinAgentVersion, if set, is the oldest kuzet-agent release (X.Y.Z)
	// a sitting accepts (flag -min-agent-version): an agent below it is
	// refused at hello — before its join token is used — with its
	// version, the minimum and AgentDownloadURL, in the candidate's
	// language. A build that is not a release ("dev") is refused too,
	// except with -demo, which runs the agent built from the checkout.
	// Default: none, every version is accepted.
	MinAgentVersion string
	// AgentDownloadURL is where candidates get the agent (flag
	// -agent-download-url), named in that refusal. Required with
	// -min-agent-version: a refusal must say where the new one is.
	AgentDownloadURL string
	// LogLevel is debug, info, warn or error (flag -log-level). Default info.
	LogLevel string
	// LogJSON writes logs as JSON lines (flag -log-json).
	LogJSON bool
}

// Default returns the defaults described on each field.
func Default() Config {
	return Config{
		Listen:             "127.0.0.1:8080",
		DataDir:            "./data",
		RTCHost:            "127.0.0.1",
		ShutdownTimeout:    10 * time.Second,
		HeartbeatInterval:  2 * time.Second,
		AgentLostAfter:     6 * time.Second,
		WorkflowTick:       30 * time.Second,
		PDFFont:            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
		Retention:          365 * 24 * time.Hour,
		CheckpointInterval: 10 * time.Second,
		LogLevel:           "info",
	}
}

// Load builds a Config from defaults, the environment (getenv) and args
// (without the program name). It returns flag.ErrHelp for -h.
func Load(args []string, getenv func(string) string, usage func(*flag.FlagSet)) (Config, error) {
	c := Default()
	fs := flag.NewFlagSet("kuzet-server", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	publicIPs := ""
	fs.StringVar(&c.Listen, "listen", c.Listen, "HTTP listen address")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "URL people and agents reach the server at (default: from -listen)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory: store, evidence, recordings, keys")
	fs.IntVar(&c.RTCPort, "rtc-port", c.RTCPort, "UDP port for all WebRTC media (0: any free port)")
	fs.StringVar(&c.RTCHost, "rtc-host", c.RTCHost, "address WebRTC media binds to")
	fs.StringVar(&publicIPs, "rtc-public-ip", "", "comma-separated addresses to announce for media (1:1 NAT)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "HTTPS certificate file (PEM)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "HTTPS private key file (PEM)")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", c.TLSSelfSigned, "serve HTTPS with a self-signed certificate kept in the data directory")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "seed a demo competition, sitting and proctor account")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long graceful shutdown may take")
	fs.DurationVar(&c.HeartbeatInterval, "heartbeat", c.HeartbeatInterval, "agent heartbeat interval")
	fs.DurationVar(&c.AgentLostAfter, "agent-lost", c.AgentLostAfter, "silence after which an agent counts as lost")
	fs.StringVar(&c.PDFFont, "pdf-font", c.PDFFont, "TrueType font with Kazakh and Russian letters for the results PDF")
	fs.DurationVar(&c.WorkflowTick, "workflow-tick", c.WorkflowTick, "how often the workflow takes the decisions time makes (deadlines, essays released after clean check results)")
	fs.DurationVar(&c.Retention, "retention", c.Retention, "how long recordings and evidence are kept")
	fs.DurationVar(&c.CheckpointInterval, "checkpoint", c.CheckpointInterval, "how often the audit log signs a checkpoint")
	fs.StringVar(&c.PIIKey, "pii-key", "", "file of the key sealing personal data (default DATA/keys/pii.key; keep it off the data disk)")
	fs.StringVar(&c.AuditKeys, "audit-keys", "", "directory of the audit log's signing key, outside the data directory (DATA/keys allowed only with -demo)")
	fs.StringVar(&c.Calendars, "calendars", "", "directory of working-day calendar files YYYY.json (default DATA/calendar)")
	fs.StringVar(&c.RuleSets, "rulesets", "", "directory of rule-set files (default DATA/rulesets)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "reverse proxies whose X-Forwarded-For/-Proto are believed: addresses or CIDR prefixes, comma-separated")
	fs.StringVar(&c.DebugListen, "debug-listen", "", "serve the Go profiler on this loopback address (support)")
	fs.StringVar(&c.MinAgentVersion, "min-agent-version", "", "refuse kuzet-agent releases below this version X.Y.Z (and dev builds, except with -demo)")
	fs.StringVar(&c.AgentDownloadURL, "agent-download-url", "", "where candidates download kuzet-agent, told to an agent below -min-agent-version")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	fs.BoolVar(&c.LogJSON, "log-json", c.LogJSON, "write logs as JSON lines")
	if usage != nil {
		fs.Usage = func() { usage(fs) }
	}

	// The environment first, through the flags themselves so parsing is the same.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "KUZET_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("environment variable %s=%q: %v", name, v, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (flags start with -; see -h)", fs.Arg(0))
	}
	if publicIPs != "" {
		for _, ip := range strings.Split(publicIPs, ",") {
			c.RTCPublicIPs = append(c.RTCPublicIPs, strings.TrimSpace(ip))
		}
	}
	if c.PublicURL == "" {
		scheme := "http://"
		if c.TLS() {
			scheme = "https://"
		}
		c.PublicURL = scheme + c.Listen
	}
	c = c.WithPaths()
	return c, c.Validate()
}

// TLS reports whether the server serves HTTPS.
func (c *Config) TLS() bool { return c.TLSSelfSigned || c.TLSCert != "" }

// Validate checks the configuration and says what to change.
func (c *Config) Validate() error {
	var errs []error
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("-listen %q: want host:port, e.g. 127.0.0.1:8080", c.Listen))
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		errs = append(errs, fmt.Errorf("-listen %q: port must be 0-65535", c.Listen))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("-public-url %q: want an absolute http(s) URL such as https://proctor.example.kz", c.PublicURL))
	}
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("-data is empty: give a directory for the store, e.g. ./data"))
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, err)
	}
	if c.RTCPort < 0 || c.RTCPort > 65535 {
		errs = append(errs, fmt.Errorf("-rtc-port %d: must be 0-65535", c.RTCPort))
	}
	if net.ParseIP(c.RTCHost) == nil {
		errs = append(errs, fmt.Errorf("-rtc-host %q: want an IP address such as 127.0.0.1 or 0.0.0.0", c.RTCHost))
	}
	for _, ip := range c.RTCPublicIPs {
		if net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("-rtc-public-ip %q: not an IP address", ip))
		}
	}
	if c.ShutdownTimeout < time.Second {
		errs = append(errs, fmt.Errorf("-shutdown-timeout %s: give at least 1s so connections can close", c.ShutdownTimeout))
	}
	if c.HeartbeatInterval < 100*time.Millisecond || c.HeartbeatInterval > time.Minute {
		errs = append(errs, fmt.Errorf("-heartbeat %s: must be between 100ms and 1m", c.HeartbeatInterval))
	}
	if c.WorkflowTick < 100*time.Millisecond || c.WorkflowTick > 10*time.Minute {
		errs = append(errs, fmt.Errorf("-workflow-tick %s: must be between 100ms and 10m", c.WorkflowTick))
	}
	if c.AgentLostAfter < 2*c.HeartbeatInterval {
		errs = append(errs, fmt.Errorf("-agent-lost %s: must be at least two heartbeats (%s) so one late heartbeat is not a loss", c.AgentLostAfter, 2*c.HeartbeatInterval))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("-tls-cert and -tls-key go together: give both files, or use -tls-self-signed"))
	}
	if c.TLSSelfSigned && c.TLSCert != "" {
		errs = append(errs, errors.New("-tls-self-signed and -tls-cert exclude each other: choose one"))
	}
	if c.Retention < 24*time.Hour {
		errs = append(errs, fmt.Errorf("-retention %s: keep evidence at least a day (24h); the default is a year (8760h)", c.Retention))
	}
	if c.CheckpointInterval < time.Second || c.CheckpointInterval > time.Hour {
		errs = append(errs, fmt.Errorf("-checkpoint %s: must be 1s to 1h", c.CheckpointInterval))
	}
	if c.DebugListen != "" {
		host, _, err := net.SplitHostPort(c.DebugListen)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			errs = append(errs, fmt.Errorf("-debug-listen %q: the profiler has no login, so it must be on a loopback address such as 127.0.0.1:6060", c.DebugListen))
		}
	}
	errs = append(errs, c.agentVersions()...)
	if err := c.auditKeysApart(); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("-log-level %q: use debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// releaseVersion is X.Y.Z, the form scripts/release stamps.
var releaseVersion = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// agentVersions checks -min-agent-version and -agent-download-url.
func (c *Config) agentVersions() []error {
	var errs []error
	if c.MinAgentVersion != "" && !releaseVersion.MatchString(c.MinAgentVersion) {
		errs = append(errs, fmt.Errorf("-min-agent-version %q: want a release version X.Y.Z such as 1.4.0", c.MinAgentVersion))
	}
	if c.AgentDownloadURL != "" {
		if u, err := url.Parse(c.AgentDownloadURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("-agent-download-url %q: want an absolute http(s) URL such as https://proctor.example.kz/download/", c.AgentDownloadURL))
		}
	} else if c.MinAgentVersion != "" {
		errs = append(errs, errors.New("-min-agent-version needs -agent-download-url: the refused candidate must be told where the new agent is"))
	}
	return errs
}

// WithPaths returns c with the paths that default to places in DataDir
// filled in (PIIKey, Calendars, RuleSets) where they are empty.
func (c Config) WithPaths() Config {
	if c.PIIKey == "" {
		c.PIIKey = filepath.Join(c.DataDir, "keys", "pii.key")
	}
	if c.AuditKeys == "" {
		c.AuditKeys = filepath.Join(c.DataDir, "keys")
	}
	if c.Calendars == "" {
		c.Calendars = filepath.Join(c.DataDir, "calendar")
	}
	if c.RuleSets == "" {
		c.RuleSets = filepath.Join(c.DataDir, "rulesets")
	}
	return c
}

// Proxies parses TrustedProxies: each item an address (one host) or a
// CIDR prefix.
func (c *Config) Proxies() ([]netip.Prefix, error) {
	out := []netip.Prefix{}
	for _, item := range strings.Split(c.TrustedProxies, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("-trusted-proxies: %q is neither an address nor a CIDR prefix; write e.g. 10.0.0.5 or 10.0.0.0/24", item)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// auditKeysApart refuses an audit signing key inside the data directory
// outside demo mode: whoever copies or holds the data directory could
// otherwise rebuild the log and sign it as the server would.
func (c *Config) auditKeysApart() error {
	if c.Demo || strings.TrimSpace(c.DataDir) == "" {
		return nil
	}
	keys := c.AuditKeys
	if keys == "" {
		keys = filepath.Join(c.DataDir, "keys")
	}
	if !inside(keys, c.DataDir) {
		return nil
	}
	ak, ap := filepath.Join(keys, "audit.key"), filepath.Join(keys, "audit.pub")
	return fmt.Errorf("-audit-keys %s is inside the data directory %s: whoever holds the data could sign a rewritten audit log with it. "+
		"Move the audit key out (only it: the personal-data and TLS keys stay) and point the server at it, e.g. "+
		"`mkdir -p -m 700 /etc/kuzet/audit-keys && mv %s %s /etc/kuzet/audit-keys/` (on a fresh install there is nothing to move), "+
		"then start with -audit-keys /etc/kuzet/audit-keys (or KUZET_AUDIT_KEYS=/etc/kuzet/audit-keys); "+
		"only -demo may keep it in DATA/keys", keys, c.DataDir, ak, ap)
}

// inside reports whether path is dir or under it, comparing absolute
// paths with symbolic links resolved where they exist.
func inside(path, dir string) bool {
	p, d := resolve(path), resolve(dir)
	rel, err := filepath.Rel(d, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

// resolve makes path absolute and resolves symbolic links in the longest
// part of it that exists.
func resolve(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
