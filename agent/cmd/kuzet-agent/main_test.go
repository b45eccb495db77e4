package main

import (
	"testing"

	"kuzet.kz/kuzet/protocol/i18n"
)

// Issue 16: check and analyze spoke Russian on a system without a locale;
// they follow the system and fall back to Kazakh, the state language.
// Failed before: no locale gave ru.
func TestSubcommandLanguageFollowsTheSystemThenKazakh(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want i18n.Lang
		rest int
	}{
		{"no locale", []string{"--json"}, nil, i18n.KK, 1},
		{"the POSIX locale", nil, map[string]string{"LANG": "C"}, i18n.KK, 0},
		{"Russian locale", nil, map[string]string{"LANG": "ru_RU.UTF-8"}, i18n.RU, 0},
		{"--lang wins", []string{"--lang", "en", "a.y4m"}, map[string]string{"LANG": "ru_RU.UTF-8"}, i18n.EN, 1},
		{"--lang=kk", []string{"--lang=kk"}, map[string]string{"LC_ALL": "en_US.UTF-8"}, i18n.KK, 0},
		{"an unknown --lang keeps the system's", []string{"--lang", "de"}, map[string]string{"LANG": "en_GB.UTF-8"}, i18n.EN, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rest, lang := langArg(tc.args, env(tc.env))
			if lang != tc.want || len(rest) != tc.rest {
				t.Fatalf("langArg(%q) = %q %s, want %d arguments and %s", tc.args, rest, lang, tc.rest, tc.want)
			}
		})
	}
}
