// Package calendar is Kuzet's one working-day calendar of Kazakhstan, used
// by the competition workflow (p.73's deadlines, p.115's grading day) and by
// the appeal period (server/replay).
//
// A working day is Monday to Friday that is not a day off. Days off are data,
// not code: the law's fixed holidays (data/holidays.json), and per year a
// file (data/2024.json, …) with the holidays whose date moves (Kurban ait)
// and the transfers the labour ministry orders each year (a Saturday made a
// working day, its day off moved to a weekday). From them the calendar
// applies the carry-over rule of the Law "On holidays" (art. 5): a holiday
// that falls on a Saturday or Sunday moves the day off to the next working
// day, except 7 January and the first day of Kurban ait (Labour Code art. 84
// p.5), which are never carried over.
//
// An operator adds a year, or corrects one, by dropping YYYY.json into the
// data directory's calendar folder (see Load); a year without a file is
// counted from the law's fixed holidays alone and reported as provisional
// (Known), since its Kurban ait and transfers are not known.
//
// Kazakhstan has one time zone, UTC+5, since 1 March 2024: dates are dates
// there.
package calendar

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"kuzet.kz/kuzet/protocol/i18n"
)

// ErrData means a calendar data file is malformed; the message names the
// file and the field.
var ErrData = errors.New("calendar data")

// Zone is UTC+5, Kazakhstan's single time zone since 1 March 2024.
var Zone = time.FixedZone("UTC+5", 5*60*60)

// Name is a text in the three languages of the catalogue.
type Name struct {
	KK string `json:"kk"`
	RU string `json:"ru"`
	EN string `json:"en"`
}

// In returns the text in lang ("kk", "ru" or "en"); other values give Kazakh.
func (n Name) In(lang string) string {
	switch lang {
	case "ru":
		return n.RU
	case "en":
		return n.EN
	}
	return n.KK
}

// Holiday is a public holiday of the law's list (Date "MM-DD") or of one
// year (Date "YYYY-MM-DD", e.g. Kurban ait).
type Holiday struct {
	Date string `json:"date"`
	// Carry says a holiday on a Saturday or Sunday moves its day off to
	// the next working day (false for 7 January and Kurban ait).
	Carry bool `json:"carry"`
	// From is the first year the holiday is a day off (0: always).
	From int  `json:"from,omitempty"`
	Name Name `json:"name"`
}

// Transfer is a day off moved by order: Working (a Saturday or Sunday)
// becomes a working day and Off (a weekday) a day off.
type Transfer struct {
	Working string `json:"working"`
	Off     string `json:"off"`
	Order   string `json:"order"`
}

// lawFile is data/holidays.json.
type lawFile struct {
	Source   string    `json:"source"`
	Holidays []Holiday `json:"holidays"`
}

// YearFile is one year's data (data/YYYY.json).
type YearFile struct {
	Year int `json:"year"`
	// Source names the orders and decisions the file follows.
	Source    string     `json:"source"`
	Moveable  []Holiday  `json:"moveable"`
	Transfers []Transfer `json:"transfers"`
}

// Kind says why a day is off.
type Kind string

// Kinds of days off.
const (
	// KindHoliday: a public holiday on a weekday.
	KindHoliday Kind = "holiday"
	// KindWeekendHoliday: a holiday on a Saturday or Sunday that is not
	// carried over (7 January, Kurban ait).
	KindWeekendHoliday Kind = "weekend-holiday"
	// KindCarried: the day off of a holiday that fell on a weekend.
	KindCarried Kind = "carried"
	// KindTransfer: a day off moved here by order from a weekend day.
	KindTransfer Kind = "transfer"
)

// DayOff is a day that is not a working day although it is not (only) a
// weekend, with the reason.
type DayOff struct {
	Date time.Time `json:"date"`
	Kind Kind      `json:"kind"`
	// Holiday is the holiday's name.
	Holiday Name `json:"holiday"`
	// From is the holiday's own date when it was carried over, or the
	// weekend day a transfer moved the day off from.
	From *time.Time `json:"from,omitempty"`
	// Order is the transfer's order, for KindTransfer.
	Order string `json:"order,omitempty"`
}

// Reason is the day's reason in lang, for people, from the catalogue.
func (d DayOff) Reason(cat *i18n.Catalogue, lang i18n.Lang) string {
	args := i18n.Args{"name": d.Holiday.In(string(lang)), "weekday": Weekday(cat, lang, d.Date), "order": d.Order}
	if d.From != nil {
		args["from"] = d.From.Format("2006-01-02")
		args["from_weekday"] = Weekday(cat, lang, *d.From)
	}
	switch d.Kind {
	case KindWeekendHoliday:
		return cat.Text(lang, i18n.Key("calendar.reason.weekend_holiday"), args)
	case KindCarried:
		return cat.Text(lang, i18n.Key("calendar.reason.carried"), args)
	case KindTransfer:
		return cat.Text(lang, i18n.Key("calendar.reason.transfer"), args)
	}
	return cat.Text(lang, i18n.Key("calendar.reason.holiday"), args)
}

// Weekday names the day of the week of t in lang.
func Weekday(cat *i18n.Catalogue, lang i18n.Lang, t time.Time) string {
	return cat.Text(lang, i18n.Key("calendar.weekday."+strings.ToLower(t.Weekday().String())), nil)
}

// WorkingWeekend is a Saturday or Sunday made a working day by order.
type WorkingWeekend struct {
	Date  time.Time `json:"date"`
	Order string    `json:"order"`
}

// year is one year compiled.
type year struct {
	known   bool
	source  string
	off     map[string]DayOff // "YYYY-MM-DD"
	working map[string]string // weekend days made working → order
}

// Calendar answers working-day questions. It is read-only after Load and
// safe for concurrent use.
type Calendar struct {
	mu    sync.Mutex // guards years
	law   lawFile
	files map[int]YearFile
	years map[int]*year
}

//go:embed data/*.json
var shipped embed.FS

var yearName = regexp.MustCompile(`^(\d{4})\.json$`)

// Load reads the shipped data (2024, 2025 and 2026), then, if dir is not empty and exists, the
// operator's files in it: holidays.json replaces the law's list, and a
// YYYY.json adds that year or replaces the shipped one. It refuses a file
// with a malformed date, naming the file and the date.
func Load(dir string) (*Calendar, error) {
	c := &Calendar{files: map[int]YearFile{}, years: map[int]*year{}}
	if err := c.loadFS(shipped, "data"); err != nil {
		return nil, err
	}
	if dir != "" {
		if _, err := os.Stat(dir); err == nil {
			if err := c.loadFS(os.DirFS(dir), "."); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("calendar: %w", err)
		}
	}
	for y := range c.files {
		if _, err := c.compile(y); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Calendar) loadFS(fsys fs.FS, dir string) error {
	names, err := fs.Glob(fsys, path(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("calendar: list %s: %w", dir, err)
	}
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("calendar: %w", err)
		}
		base := filepath.Base(name)
		switch m := yearName.FindStringSubmatch(base); {
		case base == "holidays.json":
			var f lawFile
			if err := strictJSON(raw, &f); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrData, name, err)
			}
			for _, h := range f.Holidays {
				if _, err := time.Parse("2006-01-02", "2024-"+h.Date); err != nil || len(h.Date) != 5 {
					return fmt.Errorf("%w: %s: holiday date %q: write it as MM-DD, e.g. 03-22", ErrData, name, h.Date)
				}
				if err := h.Name.check(); err != nil {
					return fmt.Errorf("%w: %s: holiday %s: %v", ErrData, name, h.Date, err)
				}
			}
			c.law = f
		case m != nil:
			var f YearFile
			if err := strictJSON(raw, &f); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrData, name, err)
			}
			if n, _ := strconv.Atoi(m[1]); f.Year != n {
				return fmt.Errorf("%w: %s: says year %d; name the file after its year", ErrData, name, f.Year)
			}
			if err := f.check(); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrData, name, err)
			}
			c.files[f.Year] = f
		default:
			return fmt.Errorf("%w: %s: unexpected file; a calendar folder holds holidays.json and YYYY.json files", ErrData, name)
		}
	}
	c.years = map[int]*year{}
	return nil
}

func path(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

func strictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (n Name) check() error {
	if strings.TrimSpace(n.KK) == "" || strings.TrimSpace(n.RU) == "" || strings.TrimSpace(n.EN) == "" {
		return errors.New("the name needs kk, ru and en")
	}
	return nil
}

func (f YearFile) check() error {
	inYear := func(what, s string) (time.Time, error) {
		d, err := ParseDate(s)
		if err != nil {
			return d, fmt.Errorf("%s %q: %v", what, s, err)
		}
		if d.Year() != f.Year {
			return d, fmt.Errorf("%s %s is not in %d", what, s, f.Year)
		}
		return d, nil
	}
	for _, h := range f.Moveable {
		if _, err := inYear("holiday date", h.Date); err != nil {
			return err
		}
		if err := h.Name.check(); err != nil {
			return fmt.Errorf("holiday %s: %v", h.Date, err)
		}
	}
	for _, t := range f.Transfers {
		w, err := inYear("transfer working day", t.Working)
		if err != nil {
			return err
		}
		o, err := inYear("transfer day off", t.Off)
		if err != nil {
			return err
		}
		if !weekend(w) {
			return fmt.Errorf("transfer working day %s is a %s: a transfer makes a Saturday or Sunday a working day", t.Working, w.Weekday())
		}
		if weekend(o) {
			return fmt.Errorf("transfer day off %s is a %s: the moved day off falls on a weekday", t.Off, o.Weekday())
		}
		if strings.TrimSpace(t.Order) == "" {
			return fmt.Errorf("transfer %s → %s: name the order that made it", t.Working, t.Off)
		}
	}
	return nil
}

// ParseDate reads a date written YYYY-MM-DD, in Kazakhstan's zone.
func ParseDate(s string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", s, Zone)
	if err != nil {
		return d, fmt.Errorf("not a date: write it as YYYY-MM-DD, e.g. 2026-03-23")
	}
	return d, nil
}

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

func day(t time.Time) time.Time {
	t = t.In(Zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Zone)
}

func key(d time.Time) string { return d.Format("2006-01-02") }

// compile works out one year's days off.
func (c *Calendar) compile(y int) (*year, error) {
	if yr, ok := c.years[y]; ok {
		return yr, nil
	}
	f, known := c.files[y]
	yr := &year{known: known, source: f.Source, off: map[string]DayOff{}, working: map[string]string{}}
	var hols []Holiday
	for _, h := range c.law.Holidays {
		if h.From == 0 || h.From <= y {
			hols = append(hols, Holiday{Date: fmt.Sprintf("%04d-%s", y, h.Date), Carry: h.Carry, Name: h.Name})
		}
	}
	hols = append(hols, f.Moveable...)
	sort.SliceStable(hols, func(i, j int) bool { return hols[i].Date < hols[j].Date })
	for _, t := range f.Transfers {
		w, _ := ParseDate(t.Working)
		yr.working[key(w)] = t.Order
	}
	holidayOn := map[string]bool{}
	for _, h := range hols {
		holidayOn[h.Date] = true
	}
	// Holidays on weekdays first, then the weekend ones carried over in
	// date order, each to the next weekday that is neither a holiday nor
	// already a day off.
	var carried []Holiday
	for _, h := range hols {
		d, err := ParseDate(h.Date)
		if err != nil {
			return nil, fmt.Errorf("%w: holiday %s: %v", ErrData, h.Date, err)
		}
		switch {
		case !weekend(d):
			yr.off[key(d)] = DayOff{Date: d, Kind: KindHoliday, Holiday: h.Name}
		case h.Carry:
			carried = append(carried, h)
		default:
			yr.off[key(d)] = DayOff{Date: d, Kind: KindWeekendHoliday, Holiday: h.Name}
		}
	}
	for _, h := range carried {
		from, _ := ParseDate(h.Date)
		d := from
		for {
			d = d.AddDate(0, 0, 1)
			if _, taken := yr.off[key(d)]; !weekend(d) && !holidayOn[key(d)] && !taken {
				break
			}
		}
		f := from
		yr.off[key(d)] = DayOff{Date: d, Kind: KindCarried, Holiday: h.Name, From: &f}
	}
	for _, t := range f.Transfers {
		o, _ := ParseDate(t.Off)
		w, _ := ParseDate(t.Working)
		if prev, taken := yr.off[key(o)]; taken {
			return nil, fmt.Errorf("%w: %d.json: transfer to %s, which is already a day off (%s)", ErrData, y, t.Off, prev.Holiday.EN)
		}
		yr.off[key(o)] = DayOff{Date: o, Kind: KindTransfer, From: &w, Order: t.Order,
			Holiday: Name{KK: "Ауыстырылған демалыс күні", RU: "Перенесённый выходной день", EN: "Transferred day off"}}
	}
	c.years[y] = yr
	return yr, nil
}

// yearOf is compile for use where the data was already checked by Load.
func (c *Calendar) yearOf(y int) *year {
	c.mu.Lock()
	defer c.mu.Unlock()
	yr, err := c.compile(y)
	if err != nil {
		// Load compiled every year with a file; a year without one has
		// only the law's holidays, which Load checked.
		return &year{off: map[string]DayOff{}, working: map[string]string{}}
	}
	return yr
}

// Known reports whether the calendar has a data file for the year; without
// one, its Kurban ait and its transfers are not counted.
func (c *Calendar) Known(y int) bool { _, ok := c.files[y]; return ok }

// Years lists the years with a data file.
func (c *Calendar) Years() []int {
	out := make([]int, 0, len(c.files))
	for y := range c.files {
		out = append(out, y)
	}
	sort.Ints(out)
	return out
}

// Source names the orders a year's data follows.
func (c *Calendar) Source(y int) string { return c.files[y].Source }

// Working reports whether the date of t (in Kazakhstan) is a working day.
func (c *Calendar) Working(t time.Time) bool {
	d := day(t)
	yr := c.yearOf(d.Year())
	if _, ok := yr.working[key(d)]; ok {
		return true
	}
	if weekend(d) {
		return false
	}
	_, off := yr.off[key(d)]
	return !off
}

// AddDays returns the date n working days after the date of t (n > 0) or
// before it (n < 0), not counting that date itself; n = 0 gives its date.
// The result is midnight in Kazakhstan.
func (c *Calendar) AddDays(t time.Time, n int) time.Time {
	d := day(t)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for counted := 0; counted < n; {
		d = d.AddDate(0, 0, step)
		if c.Working(d) {
			counted++
		}
	}
	return d
}

// Deadline is the end of the n-th working day after the day of t: the day
// of t does not count, so a decision taken on Friday at noon with n = 1 is
// due by the end of Monday. The end is the first instant of the next
// calendar day, in Kazakhstan.
func (c *Calendar) Deadline(t time.Time, n int) time.Time {
	return c.AddDays(t, n).AddDate(0, 0, 1)
}

// DaysOff lists a year's days off, oldest first.
func (c *Calendar) DaysOff(y int) []DayOff {
	yr := c.yearOf(y)
	out := make([]DayOff, 0, len(yr.off))
	for _, d := range yr.off {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// WorkingWeekends lists a year's Saturdays and Sundays made working days.
func (c *Calendar) WorkingWeekends(y int) []WorkingWeekend {
	yr := c.yearOf(y)
	out := make([]WorkingWeekend, 0, len(yr.working))
	for k, order := range yr.working {
		d, _ := ParseDate(k)
		out = append(out, WorkingWeekend{Date: d, Order: order})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}
