package exam

import (
	"errors"
	"fmt"
	"slices"

	"kuzet.kz/kuzet/server/qti"
	"kuzet.kz/kuzet/server/score"
)

// ErrGrade wraps every refusal to grade a sitting.
var ErrGrade = errors.New("grade")

// Result is a graded sitting.
type Result struct {
	// Program is the program's id; Scoring its scoring.
	Program string  `json:"program"`
	Scoring Scoring `json:"scoring"`
	// Sections are the per-section counts, in the program's order.
	Sections []SectionResult `json:"sections"`
	// Questions and Correct are the totals.
	Questions int `json:"questions"`
	Correct   int `json:"correct"`
	// Pass is the program's pass values, or nil when it has none.
	Pass *PassRule `json:"pass,omitempty"`
	// Passed is whether the pass values are met; true when there are none.
	Passed bool `json:"passed"`
	// Reasons say why the result is below the pass values, one per unmet
	// value, citing the clause (p.14 for the legislation test); [] on a pass.
	Reasons []string `json:"reasons"`
	// Reliability is S of the personal-qualities formula, in percent
	// (see Grade); nil for the other scorings.
	Reliability *score.Decimal `json:"reliability,omitempty"`
	// Parts is T1, T2 and T of the textual/numerical formula; nil otherwise.
	Parts *score.TextualNumerical `json:"parts,omitempty"`
	// Score is the Annex 3 score T of the stage; nil for the legislation
	// test, which is pass/fail.
	Score *score.Decimal `json:"score,omitempty"`
}

// SectionResult is one section's count of correct answers.
type SectionResult struct {
	Section   string `json:"section"`
	Category  string `json:"category"`
	Questions int    `json:"questions"`
	Correct   int    `json:"correct"`
}

// Grade grades the candidate's responses (item identifier → response) to
// the variant. An answer is correct when IsCorrect says so: it scores at
// least what the item's own correct response scores (FullMarks). An
// unanswered question is wrong.
//
// The pass values (p.14 for the legislation test: at least MinTotalCorrect
// correct in all and at least MinSectionCorrect in each section, i.e. each
// legal act) are checked and every unmet one is a reason.
//
// Annex 3 scores: personal qualities T = 0.02 × S with S = correct ÷
// questions × 100, in percent, kept to 2 decimals rounded half up (87.5 %
// stays 87.5; 2 of 3 is 66.67 %), so T has at most 4 decimals and is
// exact from S; textual/numerical T = 0.1 × S1 + 0.1 × S2, S1 and S2 the
// correct answers of the sections "textual" and "numerical".
//
// Grade refuses (ErrGrade) a variant of another program or with another
// composition, an item missing from the bank or changed since the variant
// was drawn (its version differs: grade against the version the candidate
// saw), a response to an item not in the variant, and a response the item
// could not have been given.
func Grade(p Program, v Variant, bank []qti.Item, responses map[string]qti.Response) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	if v.Program != p.ID {
		return Result{}, fmt.Errorf("%w: the variant is of the program %q, not %q: grade it with its own program", ErrGrade, v.Program, p.ID)
	}
	byID := make(map[string]*qti.Item, len(bank))
	for i := range bank {
		byID[bank[i].Identifier] = &bank[i]
	}
	asked := map[string]bool{}
	perSection := map[string]*SectionResult{}
	r := Result{Program: p.ID, Scoring: p.Scoring, Sections: make([]SectionResult, len(p.Sections)), Reasons: []string{}}
	for i, s := range p.Sections {
		r.Sections[i] = SectionResult{Section: s.ID, Category: s.Category}
		perSection[s.ID] = &r.Sections[i]
	}
	for n, q := range v.Questions {
		sr := perSection[q.Section]
		if sr == nil {
			return Result{}, fmt.Errorf("%w: question %d of the variant is in the section %q, which the program %s does not have", ErrGrade, n+1, q.Section, p.ID)
		}
		if asked[q.Item] {
			return Result{}, fmt.Errorf("%w: the item %s is asked twice in the variant; a variant asks each item once", ErrGrade, q.Item)
		}
		asked[q.Item] = true
		it := byID[q.Item]
		if it == nil {
			return Result{}, fmt.Errorf("%w: the item %s of the variant is not in the bank: grade against the bank the variant was drawn from", ErrGrade, q.Item)
		}
		ver, err := it.Version()
		if err != nil {
			return Result{}, fmt.Errorf("%w: version of item %s: %v", ErrGrade, q.Item, err)
		}
		if ver != q.Version {
			return Result{}, fmt.Errorf("%w: the item %s was changed since the variant was drawn (version %s, the candidate saw %s): grade against the version the candidate saw", ErrGrade, q.Item, short(ver), short(q.Version))
		}
		ok, err := IsCorrect(it, responses[q.Item])
		if err != nil {
			return Result{}, fmt.Errorf("%w: the response to item %s: %v", ErrGrade, q.Item, err)
		}
		sr.Questions++
		r.Questions++
		if ok {
			sr.Correct++
			r.Correct++
		}
	}
	for i, s := range p.Sections {
		if got := r.Sections[i].Questions; got != s.Count {
			return Result{}, fmt.Errorf("%w: the variant has %d questions in the section %s, the program %s asks %d: grade it with the program it was drawn for", ErrGrade, got, s.ID, p.ID, s.Count)
		}
	}
	ids := make([]string, 0, len(responses))
	for id := range responses {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if !asked[id] {
			return Result{}, fmt.Errorf("%w: a response to the item %s, which the variant does not ask", ErrGrade, id)
		}
	}

	r.Passed = true
	if rule := p.Pass; rule != nil {
		c := *rule
		r.Pass = &c
		clause := p.clause()
		if r.Correct < rule.MinTotalCorrect {
			r.Passed = false
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s: %d correct, at least %d needed", clause, r.Correct, rule.MinTotalCorrect))
		}
		for _, sr := range r.Sections {
			if sr.Correct < rule.MinSectionCorrect {
				r.Passed = false
				r.Reasons = append(r.Reasons, fmt.Sprintf("%s: %d correct in section %s, at least %d needed", clause, sr.Correct, sr.Section, rule.MinSectionCorrect))
			}
		}
	}

	switch p.Scoring {
	case ScorePersonalQualities:
		s := percent(r.Correct, r.Questions)
		t, err := score.PersonalQualities(s)
		if err != nil {
			return Result{}, fmt.Errorf("%w: %v", ErrGrade, err)
		}
		r.Reliability, r.Score = &s, &t
	case ScoreTextualNumerical:
		parts, err := score.TextualNumericalScore(perSection[SectionTextual].Correct, perSection[SectionNumerical].Correct)
		if err != nil {
			return Result{}, fmt.Errorf("%w: %v", ErrGrade, err)
		}
		t := parts.T
		r.Parts, r.Score = &parts, &t
	}
	return r, nil
}

// clause is what a reason cites: p.14 of the testing rules for the
// legislation test, the program otherwise.
func (p Program) clause() string {
	if p.Stage == StageLegislation {
		return "p.14"
	}
	return "the pass values of the program " + p.ID
}

// percent is correct ÷ questions × 100, in percent, with 2 decimals,
// rounded half up (2 of 3 is 66.67, 1 of 8 is 12.5); 0 when there are no
// questions. It is computed in integers, never through float64.
func percent(correct, questions int) score.Decimal {
	if questions <= 0 || correct <= 0 {
		return score.Int(0)
	}
	// hundredths of a percent = round(10000 × correct / questions), half up.
	c, n := int64(correct), int64(questions)
	return score.New((20000*c+n)/(2*n), 2)
}

func short(v string) string {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}
