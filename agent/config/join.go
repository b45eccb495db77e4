package config

import (
	"io"
	"net/url"
	"strings"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// The join link is what the candidate's cabinet shows under "Join the
// stages" (server/workflow/httpapi, the inbox): the server's public address,
// the path /join, and the sitting's join token in the fragment, which a
// browser never sends to a server:
//
//	https://proctor.example.kz/join#token=kj1.…
//
// A server behind a path prefix keeps it: https://host/kuzet/join#token=….
// `kuzet-agent join LINK` takes the server and the token from it, so the
// candidate never types the token.

// ParseJoinLink returns the server address and the join token of a join
// link, or an *Error saying in the catalogue what is wrong with it. It is
// strict: anything but the shape above is refused, never guessed at. The
// errors never repeat the link: it holds the token.
func ParseJoinLink(link string) (server, token string, err error) {
	link = strings.TrimSpace(link)
	if link == "" {
		return "", "", &Error{Key: i18n.Key("agent.join.missing")}
	}
	// The fragment apart: a damaged token is a token problem, not a link one.
	addr, fragment, _ := strings.Cut(link, "#")
	u, perr := url.Parse(addr)
	if perr != nil {
		return "", "", &Error{Key: i18n.Key("agent.join.not_join")}
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", "", &Error{Key: i18n.Key("agent.join.scheme")}
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.ForceQuery || u.Port() == "" && strings.HasSuffix(u.Host, ":") {
		return "", "", &Error{Key: i18n.Key("agent.join.not_join")}
	}
	prefix, ok := strings.CutSuffix(u.Path, "/join")
	if !ok || strings.Contains(prefix, "//") || strings.HasSuffix(prefix, "/") {
		return "", "", &Error{Key: i18n.Key("agent.join.not_join")}
	}
	frag, ferr := url.ParseQuery(fragment)
	if ferr != nil {
		return "", "", &Error{Key: i18n.Key("agent.join.no_token")}
	}
	for k := range frag {
		if k != "token" {
			return "", "", &Error{Key: i18n.Key("agent.join.not_join")}
		}
	}
	if len(frag["token"]) != 1 || !tokenLike(frag["token"][0]) {
		return "", "", &Error{Key: i18n.Key("agent.join.no_token")}
	}
	base := url.URL{Scheme: u.Scheme, Host: u.Host, Path: prefix}
	return base.String(), frag["token"][0], nil
}

// tokenLike is a token as the server issues them: printable ASCII without
// spaces, at most protocol.MaxTokenLen.
func tokenLike(t string) bool {
	if t == "" || len(t) > protocol.MaxTokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return false
		}
	}
	return true
}

// LoadJoin is Load for `kuzet-agent join LINK [flags]` (or `join [flags]
// LINK`): the server and token come from the link, and --server or
// --token beside it are refused rather than silently one of them winning.
func LoadJoin(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append(append([]string{}, args[1:]...), args[0]) // the flags first, as the flag package wants
	}
	return load(args, getenv, stderr, true)
}
