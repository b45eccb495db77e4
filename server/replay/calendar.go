package replay

import (
	"fmt"
	"time"
)

// Calendar counts working days for the appeal period. Kazakhstan has one
// time zone (UTC+5) since 1 March 2024; a working day is Monday to Friday,
// not a public holiday and not a day the government moved a day off to.
type Calendar struct {
	// Zone is the zone whose dates count (default UTC+5).
	Zone *time.Location
	// Holidays are the fixed-date public holidays, as "MM-DD", each a day
	// off every year (default DefaultHolidays).
	Holidays []string
	// DaysOff are further days off of particular years, as "YYYY-MM-DD":
	// the first day of Kurban ait (it moves with the lunar calendar) and
	// the days the government moves a day off to. The operator adds them
	// each year, from the government's decree.
	DaysOff []string
}

// DefaultHolidays are Kazakhstan's public holidays that fall on the same
// date every year and are days off (Law "On holidays in the Republic of
// Kazakhstan", art. 1 and 2; Labour Code art. 84): New Year (1–2 January),
// Orthodox Christmas (7 January), International Women's Day (8 March),
// Nauryz (21–23 March), Unity Day (1 May), Defender of the Fatherland Day
// (7 May), Victory Day (9 May), Capital Day (6 July), Constitution Day
// (30 August), Republic Day (25 October), Independence Day (16 December).
func DefaultHolidays() []string {
	return []string{"01-01", "01-02", "01-07", "03-08", "03-21", "03-22", "03-23", "05-01", "05-07", "05-09", "07-06", "08-30", "10-25", "12-16"}
}

// kzZone is UTC+5, Kazakhstan's single zone since 1 March 2024.
func kzZone() *time.Location { return time.FixedZone("UTC+5", 5*60*60) }

// calendar is a Calendar ready to answer.
type calendar struct {
	zone     *time.Location
	holidays map[string]bool // "MM-DD"
	daysOff  map[string]bool // "YYYY-MM-DD"
}

// compile checks the calendar's dates and fills in the defaults.
func (c Calendar) compile() (calendar, error) {
	out := calendar{zone: c.Zone, holidays: map[string]bool{}, daysOff: map[string]bool{}}
	if out.zone == nil {
		out.zone = kzZone()
	}
	hol := c.Holidays
	if hol == nil {
		hol = DefaultHolidays()
	}
	for _, d := range hol {
		// 2024 is a leap year, so 02-29 parses.
		if _, err := time.Parse("2006-01-02", "2024-"+d); err != nil || len(d) != 5 {
			return calendar{}, fmt.Errorf("%w: holiday %q: write it as MM-DD, e.g. 03-22", ErrConfig, d)
		}
		out.holidays[d] = true
	}
	for _, d := range c.DaysOff {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return calendar{}, fmt.Errorf("%w: day off %q: write it as YYYY-MM-DD, e.g. 2026-05-27", ErrConfig, d)
		}
		out.daysOff[d] = true
	}
	return out, nil
}

// working reports whether the date of t (in the calendar's zone) is a
// working day.
func (c calendar) working(t time.Time) bool {
	t = t.In(c.zone)
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !c.holidays[t.Format("01-02")] && !c.daysOff[t.Format("2006-01-02")]
}

// deadline is the end of the n-th working day after the day of t: the
// day of the event does not count (a verdict published on Friday at noon
// with n = 3 can be appealed until the end of Wednesday). The end is the
// start of the next calendar day, in the calendar's zone.
func (c calendar) deadline(t time.Time, n int) time.Time {
	t = t.In(c.zone)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.zone)
	for counted := 0; counted < n; {
		day = day.AddDate(0, 0, 1)
		if c.working(day) {
			counted++
		}
	}
	return day.AddDate(0, 0, 1)
}
