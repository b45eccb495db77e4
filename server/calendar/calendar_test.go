package calendar_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/calendar"
)

func shipped(t *testing.T) *calendar.Calendar {
	t.Helper()
	c, err := calendar.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The non-working days of a five-day week as published for 2024, 2025 and
// 2026 (../shared/domain/workflow-facts.md): the calendar computed from the
// law's holidays, the carry-over rule and each year's file must give
// exactly these.
func TestDaysOffMatchThePublishedCalendars(t *testing.T) {
	c := shipped(t)
	want := map[int]string{
		2024: "01-01 01-02 01-07 03-08 03-21 03-22 03-25 05-01 05-07 05-08 05-09 06-16 07-08 08-30 10-25 12-16",
		2025: "01-01 01-02 01-03 01-07 03-10 03-21 03-24 03-25 05-01 05-07 05-09 06-06 07-07 09-01 10-27 12-16",
		2026: "01-01 01-02 01-07 03-09 03-23 03-24 03-25 05-01 05-07 05-11 05-27 07-06 08-31 10-26 12-16",
	}
	for y, w := range want {
		var got []string
		for _, d := range c.DaysOff(y) {
			got = append(got, d.Date.Format("01-02"))
		}
		if g := strings.Join(got, " "); g != w {
			t.Errorf("%d days off:\n got %s\nwant %s", y, g, w)
		}
		if !c.Known(y) {
			t.Errorf("%d has no data file", y)
		}
	}
}

func TestWorkingDaysOnRealDates(t *testing.T) {
	c := shipped(t)
	for _, tc := range []struct {
		from string
		n    int
		want string
		why  string
	}{
		{"2026-12-04", 1, "2026-12-07", "Friday +1 is Monday"},
		{"2026-12-04", 3, "2026-12-09", "Friday +3 is Wednesday"},
		{"2026-12-15", 1, "2026-12-17", "16 December, Independence Day, is off"},
		{"2024-05-03", 1, "2024-05-04", "Saturday 4 May 2024 was a working day by order"},
		{"2024-05-07", 1, "2024-05-10", "8 May 2024 took the day off of 4 May; 9 May is Victory Day"},
		{"2024-03-20", 1, "2024-03-26", "Nauryz 21-22, weekend, 25 March carried from Saturday the 23rd"},
		{"2025-01-02", 1, "2025-01-05", "3 January 2025 is off and Sunday 5 January a working day"},
		{"2025-03-07", 1, "2025-03-11", "8 March 2025 was a Saturday: the day off moved to Monday the 10th"},
		{"2025-06-05", 1, "2025-06-09", "Kurban ait 2025 on Friday 6 June"},
		{"2026-03-20", 1, "2026-03-26", "Nauryz 2026: Monday 23 and both weekend days carried to 24 and 25"},
		{"2026-05-26", 1, "2026-05-28", "Kurban ait 2026 on Wednesday 27 May"},
		{"2024-06-14", 1, "2024-06-17", "Kurban ait 2024 fell on Sunday and is not carried"},
		{"2026-12-07", -1, "2026-12-04", "Monday -1 is Friday"},
		{"2026-03-26", -1, "2026-03-20", "back over Nauryz 2026"},
		{"2024-05-06", -1, "2024-05-04", "back to the working Saturday"},
		{"2026-12-09", 0, "2026-12-09", "0 is the date itself"},
	} {
		got := c.AddDays(date(t, tc.from), tc.n).Format("2006-01-02")
		if got != tc.want {
			t.Errorf("%s %+d = %s, want %s (%s)", tc.from, tc.n, got, tc.want, tc.why)
		}
	}
}

func TestDeadlineIsTheEndOfTheDayInAstana(t *testing.T) {
	c := shipped(t)
	// 20:30 UTC on Thursday 3 December 2026 is 01:30 on Friday in Astana:
	// the next working day is Monday, which ends at midnight on Tuesday.
	got := c.Deadline(time.Date(2026, 12, 3, 20, 30, 0, 0, time.UTC), 1)
	want := time.Date(2026, 12, 8, 0, 0, 0, 0, calendar.Zone)
	if !got.Equal(want) {
		t.Fatalf("deadline %s, want %s", got, want)
	}
	if c.Working(date(t, "2026-12-16")) || !c.Working(date(t, "2024-05-04")) || c.Working(date(t, "2026-12-05")) {
		t.Fatal("Working disagrees with the calendar")
	}
}

func TestReasonsInEveryLanguage(t *testing.T) {
	c := shipped(t)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[calendar.Kind]bool{}
	for _, y := range []int{2024, 2025, 2026} {
		for _, d := range c.DaysOff(y) {
			kinds[d.Kind] = true
			for _, l := range i18n.Langs() {
				r := d.Reason(cat, l)
				if r == "" || strings.Contains(r, "[") || strings.Contains(r, "{") {
					t.Errorf("%s in %s: reason %q", d.Date.Format("2006-01-02"), l, r)
				}
			}
		}
	}
	for _, k := range []calendar.Kind{calendar.KindHoliday, calendar.KindWeekendHoliday, calendar.KindCarried, calendar.KindTransfer} {
		if !kinds[k] {
			t.Errorf("no day of kind %s in 2024-2026", k)
		}
	}
	var carried calendar.DayOff
	for _, d := range c.DaysOff(2025) {
		if d.Date.Format("01-02") == "09-01" {
			carried = d
		}
	}
	if r := carried.Reason(cat, i18n.EN); !strings.Contains(r, "Constitution Day") || !strings.Contains(r, "2025-08-30") {
		t.Fatalf("1 September 2025: %q", r)
	}
}

func TestOperatorAddsAYearWithoutACodeChange(t *testing.T) {
	dir := t.TempDir()
	c := shipped(t)
	if c.Known(2027) {
		t.Fatal("2027 is not shipped")
	}
	// Without its file, 2027 counts only the law's holidays.
	if !c.Working(date(t, "2027-05-17")) {
		t.Fatal("17 May 2027 has no holiday in the law's list")
	}
	file := `{"year": 2027, "source": "test order", "moveable": [{"date": "2027-05-17", "carry": false,
		"name": {"kk": "Құрбан айт", "ru": "Курбан айт", "en": "Kurban ait"}}],
		"transfers": [{"working": "2027-01-09", "off": "2027-01-08", "order": "test order No. 1"}]}`
	if err := os.WriteFile(filepath.Join(dir, "2027.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := calendar.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Known(2027) || c.Working(date(t, "2027-05-17")) || c.Working(date(t, "2027-01-08")) || !c.Working(date(t, "2027-01-09")) {
		t.Fatal("the operator's 2027 file was not applied")
	}
	if ww := c.WorkingWeekends(2027); len(ww) != 1 || ww[0].Order != "test order No. 1" {
		t.Fatalf("working weekends %+v", ww)
	}
}

func TestBadDataIsRefusedWithTheFileAndTheDate(t *testing.T) {
	for name, tc := range map[string]struct{ file, body, want string }{
		"bad date":        {"2027.json", `{"year": 2027, "moveable": [{"date": "2027-13-01", "name": {"kk": "a", "ru": "a", "en": "a"}}]}`, "2027-13-01"},
		"wrong year":      {"2027.json", `{"year": 2028}`, "says year 2028"},
		"weekday working": {"2027.json", `{"year": 2027, "transfers": [{"working": "2027-01-06", "off": "2027-01-08", "order": "x"}]}`, "is a Wednesday"},
		"no order":        {"2027.json", `{"year": 2027, "transfers": [{"working": "2027-01-09", "off": "2027-01-08", "order": ""}]}`, "name the order"},
		"unknown field":   {"2027.json", `{"year": 2027, "holiday": []}`, "unknown field"},
		"stray file":      {"notes.json", `{}`, "unexpected file"},
		"missing name":    {"holidays.json", `{"holidays": [{"date": "01-01", "name": {"kk": "", "ru": "a", "en": "a"}}]}`, "kk, ru and en"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := calendar.Load(dir)
			if !errors.Is(err, calendar.ErrData) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("got %v, want ErrData naming %s and %q", err, tc.file, tc.want)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	c := shipped(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := 2027; y < 2040; y++ {
				c.Working(time.Date(y, time.Month(1+i), 1, 12, 0, 0, 0, calendar.Zone))
			}
		}()
	}
	wg.Wait()
}
