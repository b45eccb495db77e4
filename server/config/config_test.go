package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadPrecedence(t *testing.T) {
	c, err := Load([]string{"-listen", "127.0.0.1:9000"}, env(map[string]string{
		"KUZET_LISTEN": "127.0.0.1:7000", "KUZET_DATA": "/tmp/k", "KUZET_HEARTBEAT": "1s",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9000" {
		t.Errorf("flag should win over env: listen = %s", c.Listen)
	}
	if c.DataDir != "/tmp/k" || c.HeartbeatInterval != time.Second {
		t.Errorf("env not applied: %+v", c)
	}
	if c.PublicURL != "http://127.0.0.1:9000" {
		t.Errorf("public url = %s", c.PublicURL)
	}
}

func TestValidateNamesTheProblem(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-listen", "8080"}, nil, "want host:port"},
		{[]string{"-public-url", "proctor.kz"}, nil, "absolute http(s) URL"},
		{[]string{"-rtc-host", "localhost"}, nil, "want an IP address"},
		{[]string{"-heartbeat", "5s", "-agent-lost", "6s"}, nil, "at least two heartbeats"},
		{[]string{"-log-level", "loud"}, nil, "debug, info, warn or error"},
		{nil, map[string]string{"KUZET_RTC_PORT": "many"}, "KUZET_RTC_PORT"},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		_, err := Load(tc.args, env(tc.env), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%v, %v) error = %v, want it to mention %q", tc.args, tc.env, err, tc.want)
		}
	}
}
