package exam

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/calendar"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Zone)
	if err != nil {
		panic(err)
	}
	return t
}

func TestP14_RetestAfterThreeCalendarDays(t *testing.T) {
	cases := []struct {
		name string
		test time.Time
		from string // YYYY-MM-DD, 00:00 UTC+5
	}{
		{"23:59 UTC+5 counts as its own day", at("2026-03-10 23:59"), "2026-03-13"},
		{"00:01 UTC+5 is the next day", at("2026-03-11 00:01"), "2026-03-14"},
		{"00:00 UTC+5", at("2026-03-11 00:00"), "2026-03-14"},
		{"23:59 UTC+5 given in UTC", time.Date(2026, 3, 10, 18, 59, 0, 0, time.UTC), "2026-03-13"},
		{"00:01 UTC+5 given in UTC (still the 10th in UTC)", time.Date(2026, 3, 10, 19, 1, 0, 0, time.UTC), "2026-03-14"},
		{"across a month end", at("2026-03-30 12:00"), "2026-04-02"},
		{"across February (not leap)", at("2026-02-27 09:00"), "2026-03-02"},
		{"across February (leap)", at("2028-02-27 09:00"), "2028-03-01"},
		{"across a year end", at("2025-12-30 15:00"), "2026-01-02"},
		{"on 31 December at 23:59", at("2025-12-31 23:59"), "2026-01-03"},
		{"over a weekend and a holiday: calendar, not working days", at("2026-03-20 10:00"), "2026-03-23"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := time.ParseInLocation(time.DateOnly, c.from, calendar.Zone)
			if err != nil {
				t.Fatal(err)
			}
			got := RetestFrom(c.test)
			if !got.Equal(want) {
				t.Fatalf("RetestFrom(%s) = %s, want %s 00:00 UTC+5", c.test, got, c.from)
			}
			if err := CanRetest(c.test, want.Add(-time.Nanosecond)); !errors.Is(err, ErrRetestTooEarly) {
				t.Errorf("a retest just before %s is allowed: %v", c.from, err)
			} else if !strings.Contains(err.Error(), "p.14") || !strings.Contains(err.Error(), "allowed from "+c.from) {
				t.Errorf("the refusal does not cite p.14 and the date: %v", err)
			}
			if err := CanRetest(c.test, want); err != nil {
				t.Errorf("a retest at %s 00:00 UTC+5 is refused: %v", c.from, err)
			}
			if err := CanRetest(c.test, c.test); err == nil {
				t.Error("a retest at the moment of the test is allowed")
			}
		})
	}
}

func TestBelowPassCertificate(t *testing.T) {
	p := mustProgram(t, LegislationProgram)
	bank := legislationBank(t)
	v, err := Draw(p, bank, 6)
	if err != nil {
		t.Fatal(err)
	}
	test := at("2026-03-10 16:30")
	fail, err := Grade(p, v, bank, answers(v, map[string]int{"constitution": 15, "civil-service": 10, "anti-corruption": 4, "ethics": 2}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewBelowPass("12345678", p, fail, test)
	if err != nil {
		t.Fatal(err)
	}
	if c.TestDate != "2026-03-10" || c.RetestFrom != "2026-03-13" || c.Correct != 31 || c.Questions != 55 || c.MinTotalCorrect != 30 {
		t.Errorf("certificate %+v", c)
	}
	if len(c.Sections) != 4 || c.Sections[2].Correct != 4 || c.Sections[2].MinCorrect != 5 || c.Sections[2].Title.EN != "Law on Combating Corruption" {
		t.Errorf("sections %+v", c.Sections)
	}
	if len(c.Reasons) != 2 {
		t.Errorf("reasons %q, want the two acts below 5", c.Reasons)
	}
	raw, _ := json.Marshal(c)
	if strings.Contains(string(raw), "null") {
		t.Errorf("null in %s", raw)
	}

	pass, err := Grade(p, v, bank, answers(v, map[string]int{"constitution": 15, "civil-service": 15, "anti-corruption": 5, "ethics": 5}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewBelowPass("12345678", p, pass, test); err == nil || !strings.Contains(err.Error(), "p.14") {
		t.Errorf("a certificate for a pass: %v", err)
	}
	if _, err := NewBelowPass("1234567", p, fail, test); err == nil {
		t.Error("a 7-digit PIN is accepted")
	}
	if _, err := NewBelowPass("12345678", mustProgram(t, PersonalQualitiesExample), fail, test); err == nil {
		t.Error("a certificate against another program is made")
	}
}
