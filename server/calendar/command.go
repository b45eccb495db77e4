package calendar

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/protocol/i18n"
)

const usage = `usage:
  kuzet-server calendar [--data DIR] [--json] [--lang kk|ru|en] DATE +N   the date N working days after DATE
  kuzet-server calendar [--data DIR] [--json] [--lang kk|ru|en] DATE -N   the date N working days before DATE
  kuzet-server calendar [--data DIR] [--json] [--lang kk|ru|en] YEAR      that year's days off, each with its reason

DATE is YYYY-MM-DD; DATE itself does not count. The shipped data covers
2024-2026; DIR/calendar/YYYY.json adds or corrects a year.
`

// RunCommand is "kuzet-server calendar": it prints working-day arithmetic
// and a year's days off, so an operator can check the data they loaded
// against the official calendar. It returns the exit code (2 for bad usage).
func RunCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("calendar", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	data := fs.String("data", getenv("KUZET_DATA"), "the server's data directory (its calendar folder is read)")
	asJSON := fs.Bool("json", false, "print JSON")
	langFlag := fs.String("lang", "", "language of the reasons: kk, ru or en (default: from LANG, else kk)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	lang := i18n.KK
	for _, s := range []string{*langFlag, getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG")} {
		if s == "" {
			continue
		}
		l, err := i18n.ParseLang(s)
		if err == nil {
			lang = l
			break
		}
		if s == *langFlag {
			fmt.Fprintln(stderr, "kuzet-server calendar:", err)
			return 2
		}
	}
	cat, err := i18n.Load()
	if err != nil {
		fmt.Fprintln(stderr, "kuzet-server calendar:", err)
		return 1
	}
	dir := ""
	if *data != "" {
		dir = filepath.Join(*data, "calendar")
	}
	c, err := Load(dir)
	if err != nil {
		fmt.Fprintln(stderr, "kuzet-server calendar:", err)
		return 1
	}
	rest := fs.Args()
	warn := func(y int) {
		if !c.Known(y) {
			fmt.Fprintln(stderr, "note:", cat.Text(lang, i18n.Key("calendar.provisional"), i18n.Args{"year": strconv.Itoa(y)}))
		}
	}
	switch {
	case len(rest) == 1 && len(rest[0]) == 4:
		y, err := strconv.Atoi(rest[0])
		if err != nil || y < 1992 || y > 2100 {
			fmt.Fprintf(stderr, "kuzet-server calendar: year %q: give a year such as 2026\n", rest[0])
			return 2
		}
		warn(y)
		return printYear(c, cat, lang, y, *asJSON, stdout)
	case len(rest) == 2:
		d, err := ParseDate(rest[0])
		if err != nil {
			fmt.Fprintf(stderr, "kuzet-server calendar: %q: %v\n", rest[0], err)
			return 2
		}
		n, err := strconv.Atoi(rest[1])
		if err != nil || (!strings.HasPrefix(rest[1], "+") && !strings.HasPrefix(rest[1], "-")) || n < -3660 || n > 3660 {
			fmt.Fprintf(stderr, "kuzet-server calendar: %q: give the number of working days with its sign, e.g. +3 or -1 (at most 3660)\n", rest[1])
			return 2
		}
		out := c.AddDays(d, n)
		warn(d.Year())
		if out.Year() != d.Year() {
			warn(out.Year())
		}
		if *asJSON {
			return writeJSON(stdout, map[string]any{"from": d.Format("2006-01-02"), "working_days": n, "date": out.Format("2006-01-02"), "weekday": out.Weekday().String()})
		}
		fmt.Fprintf(stdout, "%s (%s)\n", out.Format("2006-01-02"), Weekday(cat, lang, out))
		return 0
	}
	fs.Usage()
	return 2
}

func printYear(c *Calendar, cat *i18n.Catalogue, lang i18n.Lang, y int, asJSON bool, w io.Writer) int {
	days := c.DaysOff(y)
	ww := c.WorkingWeekends(y)
	if asJSON {
		type row struct {
			Date   string `json:"date"`
			Kind   Kind   `json:"kind"`
			Reason string `json:"reason"`
		}
		out := struct {
			Year            int    `json:"year"`
			Known           bool   `json:"known"`
			Source          string `json:"source"`
			DaysOff         []row  `json:"days_off"`
			WorkingWeekends []row  `json:"working_weekends"`
		}{Year: y, Known: c.Known(y), Source: c.Source(y), DaysOff: []row{}, WorkingWeekends: []row{}}
		for _, d := range days {
			out.DaysOff = append(out.DaysOff, row{Date: d.Date.Format("2006-01-02"), Kind: d.Kind, Reason: d.Reason(cat, lang)})
		}
		for _, d := range ww {
			out.WorkingWeekends = append(out.WorkingWeekends, row{Date: d.Date.Format("2006-01-02"), Kind: "working", Reason: d.Order})
		}
		return writeJSON(w, out)
	}
	for _, d := range days {
		fmt.Fprintf(w, "%s  %-12s %s\n", d.Date.Format("2006-01-02"), Weekday(cat, lang, d.Date), d.Reason(cat, lang))
	}
	for _, d := range ww {
		fmt.Fprintln(w, cat.Text(lang, i18n.Key("calendar.working_weekend"), i18n.Args{"date": d.Date.Format("2006-01-02"), "weekday": Weekday(cat, lang, d.Date), "order": d.Order}))
	}
	return 0
}

func writeJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "kuzet-server calendar:", err)
		return 1
	}
	return 0
}
