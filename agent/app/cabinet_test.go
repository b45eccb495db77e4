package app

import (
	"net/url"
	"strings"
	"testing"

	"kuzet.kz/kuzet/protocol/i18n"
)

func TestCabinetURL(t *testing.T) {
	const tok = "kj1.AbC-_x.yz"
	for _, c := range []struct {
		page, want string
	}{
		{"https://kuzet.example.kz/candidate.html#t=page&lang=kk", "https://kuzet.example.kz/cabinet.html#lang=kk&t=kj1.AbC-_x.yz"},
		{"http://127.0.0.1:8080/exam/candidate.html#t=x", "http://127.0.0.1:8080/exam/cabinet.html#lang=kk&t=kj1.AbC-_x.yz"},
	} {
		got, ok := CabinetURL(c.page, tok, i18n.Lang("kk"))
		if !ok || got != c.want {
			t.Errorf("CabinetURL(%q) = %q, %v; want %q", c.page, got, ok, c.want)
		}
		// The token travels in the fragment, never in the part sent to the server.
		u, _ := url.Parse(got)
		if v, _ := url.ParseQuery(u.EscapedFragment()); v.Get("t") != tok || u.RawQuery != "" {
			t.Errorf("%q: token not (only) in the fragment", got)
		}
	}
	// A token with characters that need escaping survives the round trip
	// (the page reads the fragment with URLSearchParams, as ParseQuery does).
	got, _ := CabinetURL("https://h/candidate.html", "a+b/c=d&e", i18n.Lang("en"))
	_, frag, _ := strings.Cut(got, "#")
	if v, _ := url.ParseQuery(frag); v.Get("t") != "a+b/c=d&e" {
		t.Errorf("%q: token came back as %q", got, v.Get("t"))
	}
	for _, page := range []string{"", "not a url", "file:///tmp/candidate.html", "/candidate.html"} {
		if got, ok := CabinetURL(page, tok, i18n.Lang("en")); ok {
			t.Errorf("CabinetURL(%q) = %q, want none", page, got)
		}
	}
	if got, ok := CabinetURL("https://h/candidate.html", "", i18n.Lang("en")); ok {
		t.Errorf("without a join token: %q, want none", got)
	}
}
