// Package exam runs the automatically scored tests of corps "B" selection as
// data: a test program (which sections, how many questions from which
// category of the item bank, the time limit, the pass values and the Annex 3
// scoring) is a JSON file, not code.
//
//   - Program, ParseProgram, Builtin: the programs. The legislation knowledge
//     test is shipped exactly as published (testing rules, p.14: 55 questions
//     in 55 minutes; Constitution 15, Law on Civil Service 15, Law on
//     Combating Corruption 15, Ethics Code 10; a pass needs at least 30
//     correct in all and at least 5 correct for each act). The
//     personal-qualities and textual/numerical programs are configurable
//     examples: their real sizes are not public.
//   - Draw: the candidate's variant, drawn from the bank with a seeded PRNG,
//     so the seed and the bank reproduce what the candidate saw for an appeal.
//   - Grade: correct answers per section, the pass/fail decision with the
//     reasons (p.14), and the Annex 3 score (personal qualities T = 0.02 × S;
//     textual and numerical information T = 0.1 × S1 + 0.1 × S2), exact
//     decimals from server/score, never float64.
//   - RetestFrom, CanRetest: p.14, retesting no earlier than three calendar
//     days after the test date; BelowPass: the data of the below-pass
//     certificate (Annex 6 of the testing rules) shown in the cabinet.
package exam

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrProgram wraps every refusal of a test program; the message names the
// field and says what to write instead.
var ErrProgram = errors.New("test program")

// Stage is the selection stage a program tests.
type Stage string

// The stages with an automatically scored test.
const (
	StagePersonalQualities Stage = "personal_qualities"
	StageTextualNumerical  Stage = "textual_numerical"
	StageLegislation       Stage = "legislation"
)

// Scoring is how a program turns correct answers into a result.
type Scoring string

// The scoring kinds.
const (
	// ScoreLegislation is pass/fail on the counts of correct answers (p.14);
	// it needs a pass rule.
	ScoreLegislation Scoring = "legislation"
	// ScorePersonalQualities is Annex 3's T = 0.02 × S, S = correct answers
	// in percent of the questions (see Grade for the rounding).
	ScorePersonalQualities Scoring = "personal_qualities"
	// ScoreTextualNumerical is Annex 3's T = 0.1 × S1 + 0.1 × S2, S1 the
	// correct answers of the section "textual", S2 of the section "numerical".
	ScoreTextualNumerical Scoring = "textual_numerical"
)

// The section ids Annex 3's textual/numerical formula reads.
const (
	SectionTextual   = "textual"
	SectionNumerical = "numerical"
)

// MaxQuestions is the most questions a program may ask in all; a larger
// number is a typing error, not a test.
const MaxQuestions = 1000

// MaxTimeLimit is the longest time limit a program may set.
const MaxTimeLimit = 8 * time.Hour

// Text is a text in the three languages of the portal.
type Text struct {
	KK string `json:"kk"`
	RU string `json:"ru"`
	EN string `json:"en"`
}

// In is the text in a language ("kk", "ru", "en"; Kazakh otherwise).
func (t Text) In(lang string) string {
	switch lang {
	case "ru":
		return t.RU
	case "en":
		return t.EN
	}
	return t.KK
}

// Duration is a time.Duration written in JSON as Go writes it ("55m",
// "1h30m").
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string such as "55m0s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a string such as "55m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"55m\" or \"1h30m\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration: write it such as \"55m\" or \"1h30m\"", s)
	}
	*d = Duration(v)
	return nil
}

// Program is a test program.
type Program struct {
	// ID names the program (lower-case letters, digits, '-' and '_').
	ID string `json:"id"`
	// Stage is the selection stage the program tests.
	Stage Stage `json:"stage"`
	// Title is the program's name for candidates and the commission.
	Title Text `json:"title"`
	// Description says what the program is (and, for an example, that it is one).
	Description string `json:"description"`
	// Source is where the program's numbers come from.
	Source string `json:"source"`
	// TimeLimit is the time the candidate has for the whole test.
	TimeLimit Duration `json:"time_limit"`
	// Scoring is how correct answers become the result.
	Scoring Scoring `json:"scoring"`
	// Sections are drawn and shown in this order.
	Sections []Section `json:"sections"`
	// Pass is the pass values, or nil when the program has none.
	Pass *PassRule `json:"pass,omitempty"`
}

// Section is a part of a program: Count questions drawn from the items of
// the bank whose categories include Category.
type Section struct {
	// ID names the section within the program.
	ID string `json:"id"`
	// Title names the section (for the legislation test: the legal act).
	Title Text `json:"title"`
	// Category is the item category (qti.Item.Categories) drawn from.
	Category string `json:"category"`
	// Count is how many questions are drawn.
	Count int `json:"count"`
}

// PassRule is the pass values of a program.
type PassRule struct {
	// MinTotalCorrect is the fewest correct answers in all for a pass.
	MinTotalCorrect int `json:"min_total_correct"`
	// MinSectionCorrect is the fewest correct answers in each section.
	MinSectionCorrect int `json:"min_section_correct"`
}

// Questions is the number of questions of the program.
func (p Program) Questions() int {
	n := 0
	for _, s := range p.Sections {
		n += s.Count
	}
	return n
}

// Section returns the section with the id.
func (p Program) Section(id string) (Section, bool) {
	for _, s := range p.Sections {
		if s.ID == id {
			return s, true
		}
	}
	return Section{}, false
}

// ParseProgram reads a program from JSON, strictly: an unknown field, a
// second JSON value or a missing required field is refused, and the program
// is validated (see Program.Validate).
func ParseProgram(data []byte) (Program, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Program
	if err := dec.Decode(&p); err != nil {
		return Program{}, fmt.Errorf("%w: not a program: %v; write one JSON object with the fields id, stage, title, description, source, time_limit, scoring, sections and optionally pass", ErrProgram, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Program{}, fmt.Errorf("%w: there is more after the program's JSON object: keep one program in a file", ErrProgram)
	}
	if p.Sections == nil {
		p.Sections = []Section{}
	}
	if err := p.Validate(); err != nil {
		return Program{}, err
	}
	return p, nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Validate checks the program; the error names the field that is wrong.
func (p Program) Validate() error {
	bad := func(field, format string, args ...any) error {
		name := p.ID
		if name == "" {
			name = "(no id)"
		}
		return fmt.Errorf("%w %s: %s: %s", ErrProgram, name, field, fmt.Sprintf(format, args...))
	}
	if !idPattern.MatchString(p.ID) {
		return bad("id", "%q is not an id: use 1 to 64 lower-case letters, digits, '-' and '_', starting with a letter or digit", p.ID)
	}
	switch p.Stage {
	case StagePersonalQualities, StageTextualNumerical, StageLegislation:
	default:
		return bad("stage", "%q is not a stage: write %s, %s or %s", p.Stage, StagePersonalQualities, StageTextualNumerical, StageLegislation)
	}
	if err := p.Title.check(); err != "" {
		return bad("title", "%s", err)
	}
	if strings.TrimSpace(p.Source) == "" {
		return bad("source", "say where the program's numbers come from (the clause, the published page), or that they are an example")
	}
	if d := p.TimeLimit.Std(); d < time.Minute || d > MaxTimeLimit {
		return bad("time_limit", "%s is not a time limit: write one from 1m to %s, such as \"55m\"", d, MaxTimeLimit)
	}
	if len(p.Sections) == 0 {
		return bad("sections", "the program has no sections: add at least one with an id, a title, a category and a count")
	}
	ids := map[string]bool{}
	total := 0
	for i, s := range p.Sections {
		field := fmt.Sprintf("sections[%d]", i)
		if !idPattern.MatchString(s.ID) {
			return bad(field+".id", "%q is not an id: use 1 to 64 lower-case letters, digits, '-' and '_'", s.ID)
		}
		field = fmt.Sprintf("sections[%d] (%s)", i, s.ID)
		if ids[s.ID] {
			return bad(field+".id", "a second section with the id %q: give each section its own id", s.ID)
		}
		ids[s.ID] = true
		if err := s.Title.check(); err != "" {
			return bad(field+".title", "%s", err)
		}
		if strings.TrimSpace(s.Category) == "" || strings.TrimSpace(s.Category) != s.Category {
			return bad(field+".category", "%q is not a category: write the item category (the QTI keyword or label) without surrounding spaces", s.Category)
		}
		if s.Count < 1 || s.Count > MaxQuestions {
			return bad(field+".count", "%d is not a number of questions: write 1 to %d", s.Count, MaxQuestions)
		}
		total += s.Count
	}
	if total > MaxQuestions {
		return bad("sections", "%d questions in all, more than %d", total, MaxQuestions)
	}
	switch p.Scoring {
	case ScoreLegislation:
		if p.Pass == nil {
			return bad("pass", "the scoring %q is pass/fail on the counts of correct answers and needs the pass values (min_total_correct, min_section_correct)", p.Scoring)
		}
	case ScorePersonalQualities:
	case ScoreTextualNumerical:
		if len(p.Sections) != 2 || !ids[SectionTextual] || !ids[SectionNumerical] {
			return bad("sections", "the scoring %q (Annex 3: T = 0.1 × S1 + 0.1 × S2) needs exactly two sections, with the ids %q and %q", p.Scoring, SectionTextual, SectionNumerical)
		}
	default:
		return bad("scoring", "%q is not a scoring: write %s, %s or %s", p.Scoring, ScoreLegislation, ScorePersonalQualities, ScoreTextualNumerical)
	}
	if r := p.Pass; r != nil {
		if r.MinTotalCorrect < 0 || r.MinTotalCorrect > total {
			return bad("pass.min_total_correct", "%d cannot be reached: write 0 to %d, the program's questions", r.MinTotalCorrect, total)
		}
		for i, s := range p.Sections {
			if r.MinSectionCorrect < 0 || r.MinSectionCorrect > s.Count {
				return bad("pass.min_section_correct", "%d cannot be reached in sections[%d] (%s), which has %d questions: write 0 to %d", r.MinSectionCorrect, i, s.ID, s.Count, s.Count)
			}
		}
		if r.MinTotalCorrect == 0 && r.MinSectionCorrect == 0 {
			return bad("pass", "a pass rule of 0 correct in all and 0 per section passes everyone: set a minimum or leave pass out")
		}
	}
	return nil
}

func (t Text) check() string {
	if strings.TrimSpace(t.KK) == "" || strings.TrimSpace(t.RU) == "" || strings.TrimSpace(t.EN) == "" {
		return "write it in kk, ru and en"
	}
	return ""
}

// clone returns p with its own slices, so a caller cannot change another's.
func (p Program) clone() Program {
	p.Sections = slices.Clone(p.Sections)
	if p.Sections == nil {
		p.Sections = []Section{}
	}
	if p.Pass != nil {
		r := *p.Pass
		p.Pass = &r
	}
	return p
}

//go:embed programs/*.json
var shipped embed.FS

var builtin = sync.OnceValues(func() ([]Program, error) {
	names, err := fs.Glob(shipped, "programs/*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := []Program{}
	for _, name := range names {
		raw, err := shipped.ReadFile(name)
		if err != nil {
			return nil, err
		}
		p, err := ParseProgram(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
		out = append(out, p)
	}
	return out, nil
})

// Builtin returns the shipped programs (programs/*.json), sorted by file
// name: the legislation knowledge test as published (p.14) and the
// personal-qualities and textual/numerical examples. Each call returns
// copies the caller may change. A shipped file that does not parse is a
// build error, caught by the package's tests; Builtin panics on it.
func Builtin() []Program {
	ps, err := builtin()
	if err != nil {
		panic("exam: shipped program: " + err.Error())
	}
	out := make([]Program, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.clone())
	}
	return out
}

// BuiltinProgram returns the shipped program with the id.
func BuiltinProgram(id string) (Program, bool) {
	for _, p := range Builtin() {
		if p.ID == id {
			return p, true
		}
	}
	return Program{}, false
}

// The ids of the shipped programs.
const (
	LegislationProgram       = "legislation-corps-b"
	PersonalQualitiesExample = "personal-qualities-example"
	TextualNumericalExample  = "textual-numerical-example"
)
