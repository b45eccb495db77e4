package config

import (
	"io"
	"testing"

	"kuzet.kz/kuzet/protocol/i18n"
)

// Issue 16: the agent spoke Russian when the system had no locale; it
// follows the system's language and falls back to Kazakh, the state
// language, saying how to switch. Failed before: no locale gave ru.
func TestLanguageFollowsTheSystemThenKazakh(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	none := func() []string { return nil }
	for _, tc := range []struct {
		name    string
		env     map[string]string
		desktop []string
		want    string
		guessed bool
	}{
		{"no locale at all", nil, nil, "kk", true},
		{"the POSIX locale", map[string]string{"LANG": "C.UTF-8"}, nil, "kk", true},
		{"a language we do not speak", map[string]string{"LANG": "de_DE.UTF-8"}, nil, "kk", true},
		{"Russian in Kazakhstan", map[string]string{"LANG": "ru_KZ.UTF-8"}, nil, "ru", false},
		{"LC_ALL wins over LANG", map[string]string{"LC_ALL": "en_US.UTF-8", "LANG": "ru_RU.UTF-8"}, nil, "en", false},
		{"the agent's own setting first", map[string]string{"KUZET_AGENT_LANG": "kk", "LANG": "ru_RU.UTF-8"}, nil, "kk", false},
		{"the desktop's preferred languages", nil, []string{"de-DE", "ru-RU", "en-US"}, "ru", false},
		{"Kazakh on the desktop", nil, []string{"kk-KZ"}, "kk", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desktop := none
			if tc.desktop != nil {
				desktop = func() []string { return tc.desktop }
			}
			got, guessed := systemLang(env(tc.env), desktop)
			if got != tc.want || guessed != tc.guessed {
				t.Fatalf("systemLang = %s (guessed %v), want %s (guessed %v)", got, guessed, tc.want, tc.guessed)
			}
		})
	}
	// --lang overrides the guess, and then nothing was guessed.
	c, err := Load([]string{"--server", "http://127.0.0.1:1", "--token", "t", "--lang", "ru"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Lang != i18n.RU || c.LangGuessed {
		t.Fatalf("--lang ru: %s guessed %v", c.Lang, c.LangGuessed)
	}
	// --lang kk on a system without a locale is a choice, not the guess
	// (the agent printed the fallback notice in three languages anyway).
	c, err = Load([]string{"--server", "http://127.0.0.1:1", "--token", "t", "--lang", "kk"}, func(string) string { return "" }, io.Discard)
	if err != nil || c.Lang != i18n.KK || c.LangGuessed {
		t.Fatalf("--lang kk without a locale: %s guessed %v, %v", c.Lang, c.LangGuessed, err)
	}
	// A bad flag is told in the system's language: the fallback, not Russian.
	c, err = Load([]string{"--no-such-flag"}, func(string) string { return "" }, io.Discard)
	if err == nil || c.Lang != i18n.KK {
		t.Fatalf("bad flag without a locale: lang %q, err %v; want kk and an error", c.Lang, err)
	}
}
