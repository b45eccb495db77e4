package exam

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"kuzet.kz/kuzet/server/calendar"
)

// RetestDays is p.14's wait: retesting is allowed no earlier than three
// calendar days after the test date.
const RetestDays = 3

// ErrRetestTooEarly is wrapped by CanRetest's refusal (p.14).
var ErrRetestTooEarly = errors.New("p.14: retesting is allowed no earlier than three calendar days after the test date")

// TestDate is the calendar date of the test in Kazakhstan's time zone
// (calendar.Zone, UTC+5), at 00:00 there.
func TestDate(testTime time.Time) time.Time {
	t := testTime.In(calendar.Zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, calendar.Zone)
}

// RetestFrom enforces p.14 of the testing rules: retesting is allowed no
// earlier than three CALENDAR days (not working days: weekends and holidays
// count) after the test date. The test date is the calendar date of
// testTime in UTC+5; the result is 00:00 UTC+5 of the test date + 3 days.
// A test at 23:59 on 10 March may be retaken from 00:00 on 13 March, a test
// at 00:01 on 11 March from 00:00 on 14 March.
func RetestFrom(testTime time.Time) time.Time {
	return TestDate(testTime).AddDate(0, 0, RetestDays)
}

// CanRetest enforces p.14: it returns nil when a retest may start at now,
// and otherwise an error wrapping ErrRetestTooEarly that gives the test date
// and the moment the retest becomes allowed (UTC+5).
func CanRetest(testTime, now time.Time) error {
	from := RetestFrom(testTime)
	if now.Before(from) {
		return fmt.Errorf("%w (%s): a retest is allowed from %s 00:00 (UTC+5); choose that day or later",
			ErrRetestTooEarly, TestDate(testTime).Format(time.DateOnly), from.Format(time.DateOnly))
	}
	return nil
}

// BelowPass is the data of the certificate of a below-pass result of the
// legislation knowledge test (p.14; form of Annex 6 of the testing rules)
// that the candidate's personal cabinet shows. It holds the sitting's PIN,
// never a name or an IIN.
type BelowPass struct {
	// PIN is the sitting's personal identification number (8 digits, random).
	PIN string `json:"pin"`
	// Program and ProgramTitle name the testing program.
	Program      string `json:"program"`
	ProgramTitle Text   `json:"program_title"`
	// TestDate is the test date in UTC+5, YYYY-MM-DD.
	TestDate string `json:"test_date"`
	// Questions and Correct are the totals; MinTotalCorrect the pass value.
	Questions       int `json:"questions"`
	Correct         int `json:"correct"`
	MinTotalCorrect int `json:"min_total_correct"`
	// Sections are the counts per legal act with the pass value.
	Sections []BelowPassSection `json:"sections"`
	// Reasons are the unmet pass values (Result.Reasons).
	Reasons []string `json:"reasons"`
	// RetestFrom is the first day a retest is allowed (p.14), YYYY-MM-DD, UTC+5.
	RetestFrom string `json:"retest_from"`
}

// BelowPassSection is one section (legal act) of the certificate.
type BelowPassSection struct {
	Section    string `json:"section"`
	Title      Text   `json:"title"`
	Questions  int    `json:"questions"`
	Correct    int    `json:"correct"`
	MinCorrect int    `json:"min_correct"`
}

var pinPattern = regexp.MustCompile(`^[0-9]{8}$`)

// NewBelowPass makes the certificate's data from a graded result (p.14,
// Annex 6). It refuses a result that passed (there is no certificate to
// issue), a program without pass values, a result of another program and a
// PIN that is not 8 digits.
func NewBelowPass(pin string, p Program, r Result, testTime time.Time) (BelowPass, error) {
	if !pinPattern.MatchString(pin) {
		return BelowPass{}, fmt.Errorf("below-pass certificate: %q is not a PIN: a PIN is the sitting's 8 digits", pin)
	}
	if r.Program != p.ID {
		return BelowPass{}, fmt.Errorf("below-pass certificate: the result is of the program %q, not %q", r.Program, p.ID)
	}
	if p.Pass == nil {
		return BelowPass{}, fmt.Errorf("below-pass certificate: the program %s has no pass values, so no result is below them (p.14)", p.ID)
	}
	if r.Passed {
		return BelowPass{}, fmt.Errorf("below-pass certificate: the result %d correct meets the pass values of %s; the certificate is issued only below them (p.14)", r.Correct, p.ID)
	}
	c := BelowPass{
		PIN:             pin,
		Program:         p.ID,
		ProgramTitle:    p.Title,
		TestDate:        TestDate(testTime).Format(time.DateOnly),
		Questions:       r.Questions,
		Correct:         r.Correct,
		MinTotalCorrect: p.Pass.MinTotalCorrect,
		Sections:        make([]BelowPassSection, 0, len(r.Sections)),
		Reasons:         slices.Clone(r.Reasons),
		RetestFrom:      RetestFrom(testTime).Format(time.DateOnly),
	}
	if c.Reasons == nil {
		c.Reasons = []string{}
	}
	for _, sr := range r.Sections {
		s, ok := p.Section(sr.Section)
		if !ok {
			return BelowPass{}, fmt.Errorf("below-pass certificate: the result has the section %q, which the program %s does not", sr.Section, p.ID)
		}
		c.Sections = append(c.Sections, BelowPassSection{
			Section: sr.Section, Title: s.Title, Questions: sr.Questions, Correct: sr.Correct, MinCorrect: p.Pass.MinSectionCorrect,
		})
	}
	return c, nil
}
