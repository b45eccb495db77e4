package config

import (
	"errors"
	"io"
	"strings"
	"testing"

	"kuzet.kz/kuzet/protocol/i18n"
)

const tok = "kj1.eyJzIjoiczEifQ.c2lnbmF0dXJl"

// Issue 13: the link the cabinet shows (server/workflow/httpapi: PUBLIC_URL
// + "/join#token=" + the join token) gives the agent its server and token;
// anything else is refused with what to do, never guessed at.
func TestParseJoinLink(t *testing.T) {
	for _, tc := range []struct {
		link, server string
	}{
		{"https://proctor.example.kz/join#token=" + tok, "https://proctor.example.kz"},
		{"  https://proctor.example.kz/join#token=" + tok + "\n", "https://proctor.example.kz"}, // pasted with spaces
		{"http://127.0.0.1:8080/join#token=" + tok, "http://127.0.0.1:8080"},
		{"https://gov.kz/kuzet/join#token=" + tok, "https://gov.kz/kuzet"}, // behind a path prefix
		{"https://[::1]:8443/join#token=" + tok, "https://[::1]:8443"},
	} {
		server, token, err := ParseJoinLink(tc.link)
		if err != nil || server != tc.server || token != tok {
			t.Errorf("ParseJoinLink(%q) = %q, %q, %v; want %q and the token", tc.link, server, token, err, tc.server)
		}
	}
	for _, tc := range []struct {
		link string
		key  i18n.Key
	}{
		{"", "agent.join.missing"},
		{"   ", "agent.join.missing"},
		{"proctor.example.kz/join#token=" + tok, "agent.join.scheme"},
		{"ftp://proctor.example.kz/join#token=" + tok, "agent.join.scheme"},
		{"javascript:alert(1)//join#token=" + tok, "agent.join.scheme"},
		{"file:///join#token=" + tok, "agent.join.scheme"},
		{"https:///join#token=" + tok, "agent.join.not_join"},
		{"https://user:pw@proctor.example.kz/join#token=" + tok, "agent.join.not_join"},
		{"https://proctor.example.kz/cabinet.html#inbox=" + tok, "agent.join.not_join"}, // the cabinet link itself
		{"https://proctor.example.kz/candidate.html#t=" + tok, "agent.join.not_join"},   // the candidate page
		{"https://proctor.example.kz/join?token=" + tok, "agent.join.not_join"},         // sent to the server: not ours
		{"https://proctor.example.kz/join?x=1#token=" + tok, "agent.join.not_join"},
		{"https://proctor.example.kz/join/#token=" + tok, "agent.join.not_join"},
		{"https://proctor.example.kz/rejoin#token=" + tok, "agent.join.not_join"},
		{"https://proctor.example.kz//join#token=" + tok, "agent.join.not_join"},
		{"https://proctor.example.kz/join#token=" + tok + "&lang=kk", "agent.join.not_join"},
		{"https://proctor.example.kz:/join#token=" + tok, "agent.join.not_join"},
		{"https://proctor.example.kz/join", "agent.join.no_token"},
		{"https://proctor.example.kz/join#", "agent.join.no_token"},
		{"https://proctor.example.kz/join#token=", "agent.join.no_token"},
		{"https://proctor.example.kz/join#token=" + tok + "&token=" + tok, "agent.join.no_token"},
		{"https://proctor.example.kz/join#token=kj1.abc%20def", "agent.join.no_token"}, // a space inside
		{"https://proctor.example.kz/join#token=%zz", "agent.join.no_token"},
		{"https://proctor.example.kz/join#token=" + strings.Repeat("a", 513), "agent.join.no_token"},
		{"https://proctor.example.kz/join#token=абв", "agent.join.no_token"},
		{"https://proc tor.example.kz/join#token=" + tok, "agent.join.not_join"},
	} {
		_, _, err := ParseJoinLink(tc.link)
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != tc.key {
			t.Errorf("ParseJoinLink(%q) error %v, want %s", tc.link, err, tc.key)
		}
		if err != nil && strings.Contains(err.Error(), tok) {
			t.Errorf("ParseJoinLink(%q): the error repeats the token: %v", tc.link, err)
		}
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []i18n.Key{"agent.join.missing", "agent.join.scheme", "agent.join.not_join", "agent.join.no_token", "agent.join.flags"} {
		for _, l := range i18n.Langs() {
			if !cat.Has(key) || cat.Text(l, key, nil) == string(key) {
				t.Errorf("%s has no %s text", key, l)
			}
		}
	}
}

// FuzzParseJoinLink: no input panics; what is accepted is an http(s)
// server and a token that make the same link again.
func FuzzParseJoinLink(f *testing.F) {
	for _, s := range []string{"https://proctor.example.kz/join#token=" + tok, "http://[::1]:1/p/join#token=a", "https://h/join#token=a&token=b", "%", "https://h/join#token=%2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		server, token, err := ParseJoinLink(link)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || !strings.HasPrefix(string(ce.Key), "agent.join.") {
				t.Fatalf("%q: error %v is not a join text of the catalogue", link, err)
			}
			return
		}
		if !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://") {
			t.Fatalf("%q: server %q", link, server)
		}
		s2, t2, err := ParseJoinLink(server + "/join#token=" + token)
		if err != nil || s2 != server || t2 != token {
			t.Fatalf("%q: %q %q does not round-trip: %q %q %v", link, server, token, s2, t2, err)
		}
	})
}

// The join subcommand: the link in any place among the flags, the
// server and token from it, --server or --token beside it refused, and
// KUZET_AGENT_NO_BROWSER=1 as --no-browser.
func TestLoadJoin(t *testing.T) {
	link := "https://proctor.example.kz/join#token=" + tok
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, args := range [][]string{{link}, {link, "--camera", "test"}, {"--camera", "test", link}} {
		c, err := LoadJoin(args, env(map[string]string{"KUZET_AGENT_SERVER": "https://other.kz", "KUZET_AGENT_TOKEN": "old"}), io.Discard)
		if err != nil || c.ServerURL.String() != "https://proctor.example.kz" || c.Token != tok || c.NoBrowser {
			t.Errorf("LoadJoin(%q) = %v %q browser-off %v, %v", args, c.ServerURL, c.Token, c.NoBrowser, err)
		}
	}
	c, err := LoadJoin([]string{link}, env(map[string]string{"KUZET_AGENT_NO_BROWSER": "1"}), io.Discard)
	if err != nil || !c.NoBrowser {
		t.Errorf("KUZET_AGENT_NO_BROWSER=1: no-browser %v, %v", c.NoBrowser, err)
	}
	for args, key := range map[string]i18n.Key{
		"":                              "agent.join.missing",
		"--server https://x.kz":         "agent.join.missing",
		link + " --token t":             "agent.join.flags",
		"--server https://x.kz " + link: "agent.join.flags",
		link + " " + link:               "agent.join.missing",
		"https://x.kz/join":             "agent.join.no_token",
	} {
		_, err := LoadJoin(strings.Fields(args), env(nil), io.Discard)
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("LoadJoin(%q): %v, want %s", args, err, key)
		}
	}
	// An error of join is told in the language asked for.
	if c, _ := LoadJoin([]string{"--lang", "en", "nope"}, env(nil), io.Discard); c.Lang != "en" {
		t.Errorf("lang %q", c.Lang)
	}
}
