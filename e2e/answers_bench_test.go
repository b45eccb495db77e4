package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/score"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow"
)

// benchBank is the bank the answer benchmarks and tests draw from: 45
// single-choice items of the category personal-qualities (the example
// program asks 40), whose correct choice is A.
const (
	benchBank      = "bench_pq"
	benchBankItems = 45
	pqQuestions    = 40
	pqKind         = string(workflow.StagePersonal)
)

// pqItem is the i-th item of benchBank.
func pqItem(i int) []byte {
	choices := ""
	for _, c := range []string{"A", "B", "C", "D"} {
		choices += fmt.Sprintf(`<simpleChoice identifier="%s">choice %s of statement %d</simpleChoice>`, c, c, i)
	}
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="bench-pq-%02d" title="bench %d" label="personal-qualities" adaptive="false" timeDependent="false">
<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse></responseDeclaration>
<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
<itemBody><p>Bench statement %d.</p><choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1"><prompt>Choose one.</prompt>%s</choiceInteraction></itemBody>
<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>`, i, i, i, choices)
}

// seedTestStage seeds a competition whose only stage is a
// personal-qualities test from start to end on benchBank (imported),
// with n admitted candidates whose agents joined, and returns their
// cabinet tokens.
func seedTestStage(tb testing.TB, st *store.Store, data string, n int, start, end time.Time) []string {
	e, tokens := seedCompetition(tb, st, data, n, workflow.Stage{Kind: workflow.StagePersonal, Starts: start, Ends: end, Bank: benchBank})
	for i := 1; i <= benchBankItems; i++ {
		if im, err := e.ImportBank(tb.Context(), "bench", benchBank, pqItem(i), fmt.Sprintf("bench-pq-%02d.xml", i)); err != nil || len(im.Refused) > 0 {
			tb.Fatalf("import item %d: %v %+v", i, err, im.Refused)
		}
	}
	return tokens
}

// testView is what the cabinet shows of a started test.
type testView struct {
	Deadline  time.Time `json:"deadline"`
	Questions []struct {
		Item    string `json:"item"`
		Choices []struct {
			ID string `json:"id"`
		} `json:"choices"`
	} `json:"questions"`
	Answers   []heldAnswer   `json:"answers"`
	Submitted *time.Time     `json:"submitted"`
	Auto      bool           `json:"auto"`
	Correct   *int           `json:"correct"`
	Score     *score.Decimal `json:"score"`
}

type heldAnswer struct {
	Item     string   `json:"item"`
	Response []string `json:"response"`
	Revision int64    `json:"revision"`
}

// answerOf is the answer a candidate gives to question q at revision r:
// the choices in turn, so that a newer revision changes the response.
func (v *testView) answerOf(q, r int) heldAnswer {
	cs := v.Questions[q].Choices
	return heldAnswer{Item: v.Questions[q].Item, Response: []string{cs[r%len(cs)].ID}, Revision: int64(r)}
}

// held is the answer the view holds to item.
func (v *testView) held(item string) (heldAnswer, bool) {
	i := slices.IndexFunc(v.Answers, func(a heldAnswer) bool { return a.Item == item })
	if i < 0 {
		return heldAnswer{}, false
	}
	return v.Answers[i], true
}

// expectedScore is Annex 3's T = 0.02 × S of a 40-question test with
// correct right answers: S = correct × 2.5 %, so T = 0.05 × correct.
func expectedScore(correct int) score.Decimal { return score.New(int64(5*correct), 2) }

// saveAnswer sends one answer and returns the acknowledged one.
func saveAnswer(cl *http.Client, url, token string, a heldAnswer) (heldAnswer, int, error) {
	var ack struct {
		Answer heldAnswer `json:"answer"`
	}
	code, err := cabinetCall(cl, http.MethodPut, url+"/api/cabinet/tests/"+pqKind+"/answers", token,
		map[string]any{"item": a.Item, "response": a.Response, "revision": a.Revision}, &ack)
	return ack.Answer, code, err
}

// BenchmarkTestAnswers1000Candidates: 1 000 candidates take a
// personal-qualities test (40 of 45 single-choice items) at once, each
// page saving every answer over HTTP to one kuzet-server (bbolt; an
// answer is acknowledged only after its commit is on disk, saves share
// commits). One iteration is a round in which every candidate answers
// one question (the next in turn, a newer revision of it once all were
// answered): "burst" sends all 1 000 at the same instant, "paced" one
// answer per candidate per second. Reported: answers per second and the
// acknowledgement latency (p50, p99). After each run every candidate's
// test is read back: the newest acknowledged answer of every item must be
// held at its revision with its response (acked_held counts them,
// acked_lost those missing; one missing fails the benchmark).
func BenchmarkTestAnswers1000Candidates(b *testing.B) {
	const candidates = 1000
	srv, data := benchServer(b)
	now := time.Now()
	tokens := seedTestStage(b, srv.ready.Store, data, candidates, now.Add(-30*time.Minute), now.Add(4*time.Hour))
	url := srv.ready.URL
	cl := benchClient(candidates)
	views := make([]testView, candidates)
	var wg sync.WaitGroup
	errs := make([]error, candidates)
	for i := range candidates {
		wg.Go(func() {
			code, err := cabinetCall(cl, http.MethodPost, url+"/api/cabinet/tests/"+pqKind+"/start", tokens[i], nil, &views[i])
			if err == nil && (code != http.StatusOK || len(views[i].Questions) != pqQuestions) {
				err = fmt.Errorf("start: %d, %d questions", code, len(views[i].Questions))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			b.Fatalf("candidate %d: %v", i, err)
		}
	}
	// acked[i] is candidate i's newest acknowledged answer to each item.
	acked := make([]map[string]heldAnswer, candidates)
	for i := range acked {
		acked[i] = map[string]heldAnswer{}
	}
	rev := 0
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			saveRounds(b, candidates, &rev, mode.gap, "answers/s", func(cl *http.Client, i, r int) error {
				a := views[i].answerOf((r-1)%pqQuestions, r)
				ack, code, err := saveAnswer(cl, url, tokens[i], a)
				if err != nil || code != http.StatusOK {
					return fmt.Errorf("%d %v", code, err)
				}
				if ack.Revision != a.Revision || !slices.Equal(ack.Response, a.Response) {
					return fmt.Errorf("saved %+v, acknowledged %+v", a, ack)
				}
				acked[i][a.Item] = ack
				return nil
			})
			held, lost := readBack(b, cl, url, tokens, acked)
			b.ReportMetric(float64(held), "acked_held")
			b.ReportMetric(float64(lost), "acked_lost")
		})
	}
}

// readBack reads every candidate's test and counts the acknowledged
// answers (the newest of each item) held at their revision with their
// response, and those not: each of these fails the benchmark.
func readBack(b *testing.B, cl *http.Client, url string, tokens []string, acked []map[string]heldAnswer) (held, lost int) {
	for i := range tokens {
		var v testView
		if code, err := cabinetCall(cl, http.MethodGet, url+"/api/cabinet/tests/"+pqKind, tokens[i], nil, &v); err != nil || code != http.StatusOK {
			b.Fatalf("candidate %d: read the test back: %d %v", i, code, err)
		}
		for item, a := range acked[i] {
			if h, ok := v.held(item); !ok || h.Revision != a.Revision || !slices.Equal(h.Response, a.Response) {
				lost++
				b.Errorf("candidate %d, item %s: acknowledged %+v, the server holds %+v", i, item, a, h)
			} else {
				held++
			}
		}
		if len(v.Answers) != len(acked[i]) {
			b.Errorf("candidate %d: %d answers held, %d acknowledged", i, len(v.Answers), len(acked[i]))
		}
	}
	if held < len(tokens) {
		b.Fatalf("only %d answers acknowledged and held", held)
	}
	return held, lost
}
