// Package ruleset says under which rules a state body may run a competition
// on a date (p.1 of the temporary rules and their Annex 4).
//
// Rule sets are data files with a validity period, each listing, per
// period, the state bodies it applies to. Kuzet ships the temporary rules of
// Order No. 184 (data/temporary-2024.json: 2024-01-01 – 2025-12-31, the five
// periods of Annex 4) and the register of state bodies (data/bodies.json).
// The temporary rules ended on 2025-12-31: an operator adds the set that now
// applies (a prolongation order, the permanent rules) as a JSON file in the
// data directory's rulesets folder, without a code change; the demo writes a
// clearly marked demo set there for the current year (server/demo).
package ruleset

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"kuzet.kz/kuzet/server/calendar"
)

// Errors of the package.
var (
	// ErrData: a rule set or body file is malformed; the message names the
	// file and what is wrong.
	ErrData = errors.New("rule set data")
	// ErrNotCovered: no rule set lists the body for the date (p.1).
	ErrNotCovered = errors.New("p.1: no rule set covers this state body on this date")
	// ErrUnknownBody: the state body is not in the register.
	ErrUnknownBody = errors.New("unknown state body")
)

// Name is a text in kk, ru and en.
type Name = calendar.Name

// Body is a state body of the register.
type Body struct {
	// ID is the body's stable identifier, e.g. "min-justice" or
	// "akmola.executive" (a region's local executive bodies).
	ID   string `json:"id"`
	Name Name   `json:"name"`
}

// Period is a span of a rule set and the bodies it lists.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Bodies are the body ids listed, sorted.
	Bodies []string `json:"bodies"`
}

// Set is a rule set: the rules a competition runs under, valid for a span
// of dates, for the bodies its periods list.
type Set struct {
	ID    string `json:"id"`
	Title Name   `json:"title"`
	// Act names the legal act (or, for a demo set, says it is none).
	Act       string    `json:"act"`
	ValidFrom time.Time `json:"valid_from"`
	ValidTo   time.Time `json:"valid_to"`
	// Demo marks a set made for a demonstration: not a legal act.
	Demo    bool     `json:"demo"`
	Periods []Period `json:"periods"`
	// File is where the set was read from.
	File string `json:"file"`
}

// Match is the rule set and period under which a body may run a
// competition on a date.
type Match struct {
	Set    Set
	Period Period
}

// Registry holds the bodies and the rule sets. It is read-only after Load.
type Registry struct {
	bodies map[string]Body
	order  []string
	sets   []Set
}

//go:embed data/*.json
var shipped embed.FS

// Load reads the shipped register and rule sets, then, if dir is not empty
// and exists, the operator's files in it: bodies.json adds bodies (or
// renames them), every other *.json is a rule set. A set whose id is
// already loaded replaces it.
func Load(dir string) (*Registry, error) {
	r := &Registry{bodies: map[string]Body{}}
	if err := r.loadFS(shipped, "data"); err != nil {
		return nil, err
	}
	if dir != "" {
		if _, err := os.Stat(dir); err == nil {
			if err := r.loadFS(os.DirFS(dir), "."); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("rule sets: %w", err)
		}
	}
	sort.SliceStable(r.sets, func(i, j int) bool { return r.sets[i].ValidFrom.Before(r.sets[j].ValidFrom) })
	return r, nil
}

func (r *Registry) loadFS(fsys fs.FS, dir string) error {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("rule sets: list %s: %w", dir, err)
	}
	// The register first: the sets name its bodies.
	sort.SliceStable(names, func(i, j int) bool {
		return path.Base(names[i]) == "bodies.json" && path.Base(names[j]) != "bodies.json"
	})
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("rule sets: %w", err)
		}
		if path.Base(name) == "bodies.json" {
			if err := r.addBodies(name, raw); err != nil {
				return err
			}
			continue
		}
		set, err := r.parseSet(name, raw)
		if err != nil {
			return err
		}
		replaced := false
		for i := range r.sets {
			if r.sets[i].ID == set.ID {
				r.sets[i], replaced = set, true
			}
		}
		if !replaced {
			r.sets = append(r.sets, set)
		}
	}
	return nil
}

func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

type bodiesFile struct {
	Source  string `json:"source"`
	Central []Body `json:"central"`
	Regions []struct {
		ID   string `json:"id"`
		Name Name   `json:"name"`
	} `json:"regions"`
	RegionalKinds []struct {
		ID   string `json:"id"`
		Name Name   `json:"name"`
	} `json:"regional_kinds"`
}

func checkName(n Name) error {
	if strings.TrimSpace(n.KK) == "" || strings.TrimSpace(n.RU) == "" || strings.TrimSpace(n.EN) == "" {
		return errors.New("the name needs kk, ru and en")
	}
	return nil
}

func (r *Registry) addBodies(file string, raw []byte) error {
	var f bodiesFile
	if err := strict(raw, &f); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrData, file, err)
	}
	add := func(b Body) error {
		if !validID.MatchString(strings.ReplaceAll(b.ID, ".", "-")) {
			return fmt.Errorf("%w: %s: body id %q: use lower-case letters, digits and dashes", ErrData, file, b.ID)
		}
		if err := checkName(b.Name); err != nil {
			return fmt.Errorf("%w: %s: body %s: %v", ErrData, file, b.ID, err)
		}
		if _, ok := r.bodies[b.ID]; !ok {
			r.order = append(r.order, b.ID)
		}
		r.bodies[b.ID] = b
		return nil
	}
	for _, b := range f.Central {
		if err := add(b); err != nil {
			return err
		}
	}
	kinds := f.RegionalKinds
	for _, reg := range f.Regions {
		for _, k := range kinds {
			fill := func(tmpl, region string) string { return strings.ReplaceAll(tmpl, "{region}", region) }
			b := Body{ID: reg.ID + "." + k.ID, Name: Name{KK: fill(k.Name.KK, reg.Name.KK), RU: fill(k.Name.RU, reg.Name.RU), EN: fill(k.Name.EN, reg.Name.EN)}}
			if err := add(b); err != nil {
				return err
			}
		}
	}
	return nil
}

type setFile struct {
	ID        string `json:"id"`
	Title     Name   `json:"title"`
	Act       string `json:"act"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"`
	Demo      bool   `json:"demo"`
	Periods   []struct {
		From   string   `json:"from"`
		To     string   `json:"to"`
		Bodies []string `json:"bodies"`
	} `json:"periods"`
}

func (r *Registry) parseSet(file string, raw []byte) (Set, error) {
	var f setFile
	if err := strict(raw, &f); err != nil {
		return Set{}, fmt.Errorf("%w: %s: %v", ErrData, file, err)
	}
	bad := func(format string, args ...any) (Set, error) {
		return Set{}, fmt.Errorf("%w: %s: %s", ErrData, file, fmt.Sprintf(format, args...))
	}
	if !validID.MatchString(f.ID) {
		return bad("id %q: use lower-case letters, digits and dashes, e.g. permanent-2026", f.ID)
	}
	if err := checkName(f.Title); err != nil {
		return bad("title: %v", err)
	}
	if strings.TrimSpace(f.Act) == "" {
		return bad("act: name the legal act the set follows (a demo set says it is none)")
	}
	from, err1 := calendar.ParseDate(f.ValidFrom)
	to, err2 := calendar.ParseDate(f.ValidTo)
	if err1 != nil || err2 != nil || to.Before(from) {
		return bad("valid_from %q and valid_to %q: give two dates YYYY-MM-DD, the first not after the second", f.ValidFrom, f.ValidTo)
	}
	set := Set{ID: f.ID, Title: f.Title, Act: f.Act, ValidFrom: from, ValidTo: to, Demo: f.Demo, File: file}
	if len(f.Periods) == 0 {
		return bad("no periods: list at least one period with its bodies")
	}
	for i, p := range f.Periods {
		pf, err1 := calendar.ParseDate(p.From)
		pt, err2 := calendar.ParseDate(p.To)
		switch {
		case err1 != nil || err2 != nil || pt.Before(pf):
			return bad("period %d: from %q and to %q: give two dates YYYY-MM-DD, the first not after the second", i+1, p.From, p.To)
		case pf.Before(from) || pt.After(to):
			return bad("period %d (%s – %s) lies outside the set's validity (%s – %s)", i+1, p.From, p.To, f.ValidFrom, f.ValidTo)
		case len(p.Bodies) == 0:
			return bad("period %d lists no bodies", i+1)
		}
		seen := map[string]bool{}
		for _, id := range p.Bodies {
			ids := []string{id}
			if region, ok := strings.CutSuffix(id, ".*"); ok {
				ids = nil
				for _, b := range r.order {
					if strings.HasPrefix(b, region+".") {
						ids = append(ids, b)
					}
				}
				if len(ids) == 0 {
					return bad("period %d: no region %q in the register", i+1, region)
				}
			}
			for _, b := range ids {
				if _, ok := r.bodies[b]; !ok {
					return bad("period %d: body %q is not in the register (bodies.json)", i+1, b)
				}
				seen[b] = true
			}
		}
		bodies := make([]string, 0, len(seen))
		for b := range seen {
			bodies = append(bodies, b)
		}
		sort.Strings(bodies)
		set.Periods = append(set.Periods, Period{From: pf, To: pt, Bodies: bodies})
	}
	return set, nil
}

// Body returns a body of the register.
func (r *Registry) Body(id string) (Body, bool) { b, ok := r.bodies[id]; return b, ok }

// Bodies lists the register in its order.
func (r *Registry) Bodies() []Body {
	out := make([]Body, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.bodies[id])
	}
	return out
}

// Sets lists the rule sets, oldest first.
func (r *Registry) Sets() []Set { return append([]Set(nil), r.sets...) }

// Set returns a rule set by id.
func (r *Registry) Set(id string) (Set, bool) {
	for _, s := range r.sets {
		if s.ID == id {
			return s, true
		}
	}
	return Set{}, false
}

func lists(p Period, body string) bool {
	i := sort.SearchStrings(p.Bodies, body)
	return i < len(p.Bodies) && p.Bodies[i] == body
}

// NotCovered is the refusal of p.1, with what was looked for.
type NotCovered struct {
	Body Body
	Date time.Time
	// Looked are the sets searched, each with its validity and the
	// periods in which it lists the body (none if it never does).
	Looked []Looked
}

// Looked is one rule set searched for a NotCovered refusal.
type Looked struct {
	Set   Set
	Spans []Period
}

func (e *NotCovered) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "p.1: state body %q (%s) is not listed for %s in any rule set; looked in:", e.Body.Name.EN, e.Body.ID, e.Date.Format("2006-01-02"))
	for _, l := range e.Looked {
		fmt.Fprintf(&b, " %s (%s, valid %s – %s; ", l.Set.ID, l.Set.File, l.Set.ValidFrom.Format("2006-01-02"), l.Set.ValidTo.Format("2006-01-02"))
		if len(l.Spans) == 0 {
			b.WriteString("does not list this body)")
		} else {
			b.WriteString("lists this body")
			for i, p := range l.Spans {
				if i > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, " %s – %s", p.From.Format("2006-01-02"), p.To.Format("2006-01-02"))
			}
			b.WriteString(")")
		}
		b.WriteString(";")
	}
	if len(e.Looked) == 0 {
		b.WriteString(" no rule sets are loaded;")
	}
	b.WriteString(" an operator adds the rule set that now applies (a prolongation order or the permanent rules) as a JSON file in DATA/rulesets")
	return b.String()
}

// Unwrap makes errors.Is(err, ErrNotCovered) true.
func (e *NotCovered) Unwrap() error { return ErrNotCovered }

// Find returns the rule set and period under which body may run a
// competition on the date of t (p.1: the body must be listed for a period
// containing the date). A non-demo set is preferred to a demo one. It
// fails with ErrUnknownBody or a *NotCovered that says which sets were
// searched and which dates they cover.
func (r *Registry) Find(body string, t time.Time) (Match, error) {
	b, ok := r.bodies[body]
	if !ok {
		return Match{}, fmt.Errorf("%w %q: choose a body from the register (GET /api/bodies)", ErrUnknownBody, body)
	}
	d := t.In(calendar.Zone)
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, calendar.Zone)
	var found []Match
	nc := &NotCovered{Body: b, Date: d}
	for _, s := range r.sets {
		l := Looked{Set: s}
		for _, p := range s.Periods {
			if !lists(p, body) {
				continue
			}
			l.Spans = append(l.Spans, p)
			if !d.Before(p.From) && !d.After(p.To) {
				found = append(found, Match{Set: s, Period: p})
			}
		}
		nc.Looked = append(nc.Looked, l)
	}
	sort.SliceStable(found, func(i, j int) bool { return !found[i].Set.Demo && found[j].Set.Demo })
	if len(found) == 0 {
		return Match{}, nc
	}
	return found[0], nil
}

// DemoSet is the rule set the demo writes for year: every body of the
// register for the whole year, marked demo and named as not a legal act.
func (r *Registry) DemoSet(year int) ([]byte, error) {
	ids := make([]string, len(r.order))
	copy(ids, r.order)
	y := fmt.Sprint(year)
	f := map[string]any{
		"id": "demo-" + y,
		"title": Name{
			KK: "ДЕМО: " + y + " жылға арналған үлгі ереже жиынтығы — нормативтік акт емес",
			RU: "ДЕМО: учебный набор правил на " + y + " год — не нормативный акт",
			EN: "DEMO: sample rule set for " + y + " — not a legal act",
		},
		"act":        "none: written by kuzet-server -demo so the demo can run competitions after the temporary rules ended on 2025-12-31; delete this file in production",
		"valid_from": y + "-01-01",
		"valid_to":   y + "-12-31",
		"demo":       true,
		"periods":    []map[string]any{{"from": y + "-01-01", "to": y + "-12-31", "bodies": ids}},
	}
	return json.MarshalIndent(f, "", " ")
}
