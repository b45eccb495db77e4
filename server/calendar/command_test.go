package calendar_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/calendar"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := calendar.RunCommand(args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestCommandAddsWorkingDays(t *testing.T) {
	code, out, _ := run(t, nil, "--lang", "en", "2024-05-03", "+1")
	if code != 0 || out != "2024-05-04 (Saturday)\n" {
		t.Fatalf("exit %d, %q", code, out)
	}
	code, out, _ = run(t, nil, "2026-12-07", "-1")
	if code != 0 || out != "2026-12-04 (жұма)\n" {
		t.Fatalf("Kazakh by default: exit %d, %q", code, out)
	}
	code, out, _ = run(t, map[string]string{"LANG": "ru_KZ.UTF-8"}, "--json", "2026-03-20", "+1")
	var got struct{ Date string }
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Date != "2026-03-26" {
		t.Fatalf("json: exit %d, %q", code, out)
	}
}

func TestCommandListsAYearWithReasons(t *testing.T) {
	code, out, _ := run(t, nil, "--lang", "en", "2024")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"2024-03-25  Monday       Nauryz (2024-03-23, a Saturday, carried over",
		"2024-05-08  Wednesday    day off moved from 2024-05-04",
		"2024-06-16  Sunday       Kurban ait (first day) (Sunday; not carried over",
		"2024-05-04 (a Saturday) is a working day",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	code, out, _ = run(t, nil, "--json", "2026")
	var y struct {
		Known           bool
		DaysOff         []struct{ Date, Reason string } `json:"days_off"`
		WorkingWeekends []any                           `json:"working_weekends"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &y) != nil || !y.Known || len(y.DaysOff) != 15 || y.WorkingWeekends == nil {
		t.Fatalf("json 2026: exit %d, %s", code, out)
	}
}

func TestCommandSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"2026-13-01", "+1"}, "YYYY-MM-DD"},
		{[]string{"2026-12-01", "3"}, "with its sign"},
		{[]string{"20x6"}, "give a year"},
		{[]string{"--lang", "de", "2026"}, "use kk, ru or en"},
		{[]string{}, "usage"},
	} {
		code, _, errs := run(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
	// A year without data is counted, with a note saying what is missing.
	_, _, errs := run(t, nil, "--lang", "en", "2027-01-04", "+1")
	if !strings.Contains(errs, "2027 has no data file") {
		t.Errorf("no provisional note: %q", errs)
	}
}

func TestCommandReadsTheOperatorsFolder(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "calendar"), 0o700); err != nil {
		t.Fatal(err)
	}
	file := `{"year": 2026, "source": "test", "moveable": [{"date": "2026-05-27", "carry": false, "name": {"kk": "Құрбан айт", "ru": "Курбан айт", "en": "Kurban ait"}}],
		"transfers": [{"working": "2026-12-19", "off": "2026-12-18", "order": "test order"}]}`
	if err := os.WriteFile(filepath.Join(data, "calendar", "2026.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, map[string]string{"KUZET_DATA": data}, "--lang", "en", "2026-12-17", "+1")
	if code != 0 || out != "2026-12-19 (Saturday)\n" {
		t.Fatalf("exit %d, %q", code, out)
	}
}
