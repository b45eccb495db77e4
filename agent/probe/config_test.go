package probe

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/probe/remote"
)

func TestDefaultConfigValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Interval != time.Second {
		t.Errorf("Interval = %s; rule 10.9 wants a new tool reported within 1 s", c.Interval)
	}
	for _, cat := range []remote.Category{remote.CategoryRemoteControl, remote.CategoryScreenSharing} {
		if c.action(cat) != ActionViolation {
			t.Errorf("%s is %s by default, want violation", cat, c.action(cat))
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"interval too short", func(c *Config) { c.Interval = time.Millisecond }, "Interval"},
		{"watched shorter than interval", func(c *Config) { c.WatchedInterval = 10 * time.Millisecond }, "WatchedInterval"},
		{"slow too long", func(c *Config) { c.SlowInterval = 2 * time.Hour }, "SlowInterval"},
		{"timeout zero", func(c *Config) { c.CheckTimeout = 0 }, "CheckTimeout"},
		{"vm action", func(c *Config) { c.VirtualMachine = "maybe" }, "VirtualMachine"},
		{"no display allowed", func(c *Config) { c.MaxDisplays = 0 }, "MaxDisplays"},
		{"screenshots too often", func(c *Config) { c.ScreenshotInterval = time.Millisecond }, "ScreenshotInterval"},
		{"screenshot width", func(c *Config) { c.ScreenshotWidth = 10 }, "ScreenshotWidth"},
		{"screenshot quality", func(c *Config) { c.ScreenshotQuality = 101 }, "ScreenshotQuality"},
		{"unknown category", func(c *Config) { c.Categories["spyware"] = ActionViolation }, "Categories"},
		{"bad category action", func(c *Config) { c.Categories[remote.CategoryVNC] = "warn" }, "Categories"},
		{"empty allow entry", func(c *Config) { c.Allow = []string{" "} }, "Allow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate = %v, want ErrConfig naming %s", err, tc.field)
			}
		})
	}
	c := DefaultConfig()
	c.ScreenshotInterval = 0
	if err := c.Validate(); err != nil {
		t.Errorf("screenshots off: %v", err)
	}
}
