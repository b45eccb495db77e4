package remote

import "errors"

// ErrNoSession: there is no desktop session to inspect.
var ErrNoSession = errors.New("no desktop session")

// Session says whether the agent's own desktop session is a remote one:
// shown to another computer over RDP, VNC or SSH (rule 10.9).
type Session struct {
	// Remote is true when the session is served to or controlled from
	// another computer.
	Remote bool
	// Kind names how: "rdp", "vnc", "ssh", "x11_forwarded",
	// "remote_control" (Windows shadowing), "screen_sharing" (macOS).
	Kind string
	// Detail holds machine facts for the proctor: the variable or
	// server process that showed it.
	Detail map[string]string
}

// Env reads an environment variable; os.Getenv in the agent.
type Env func(key string) string

// sessionFromEnv finds SSH and xrdp sessions from the variables their
// servers set in every process they start.
func sessionFromEnv(env Env) (Session, bool) {
	if v := env("XRDP_SESSION"); v != "" {
		return Session{Remote: true, Kind: "rdp", Detail: map[string]string{"variable": "XRDP_SESSION"}}, true
	}
	for _, k := range []string{"SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"} {
		if env(k) != "" {
			return Session{Remote: true, Kind: "ssh", Detail: map[string]string{"variable": k}}, true
		}
	}
	return Session{}, false
}
