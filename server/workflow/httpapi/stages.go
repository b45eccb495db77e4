package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/score"
	"kuzet.kz/kuzet/server/web"
	"kuzet.kz/kuzet/server/workflow"
)

// stageRoutes are the essay (p.115), the signed grades, the interview
// (p.120, p.130) and the results.
func (m *Module) stageRoutes(r *web.Router) {
	r.API("GET /api/cabinet/essay", authz.Candidate, m.wrap(m.cabinetEssay))
	r.API("PUT /api/cabinet/essay", authz.Candidate, m.wrap(m.saveEssay))
	r.API("POST /api/cabinet/essay/submit", authz.Candidate, m.wrap(m.submitEssay))
	r.Staff("GET /api/me/signing-key", m.wrap(m.signingKey))
	r.Staff("POST /api/me/signing-key", m.wrap(m.registerKey))
	r.Staff("GET /api/grading/essays", m.wrap(m.graderEssays))
	r.Staff("GET /api/grading/interviews", m.wrap(m.memberInterviews))
	r.Staff("GET /api/grading/essays/{app}", m.wrap(m.graderEssay))
	r.Staff("POST /api/grading/essays/{app}/payload", m.wrap(m.essayPayload))
	r.Staff("POST /api/grading/essays/{app}/grade", m.wrap(m.gradeEssay))
	r.Staff("GET /api/competitions/{id}/essays", m.wrap(m.essays))
	r.Staff("GET /api/competitions/{id}/standings", m.wrap(m.standings))
	r.Staff("POST /api/competitions/{id}/interview/select", m.wrap(m.selectInterview))
	r.Staff("POST /api/competitions/{id}/interview/{app}/payload", m.wrap(m.interviewPayload))
	r.Staff("POST /api/competitions/{id}/interview/{app}/score", m.wrap(m.scoreInterview))
	r.Staff("GET /api/competitions/{id}/results", m.wrap(m.results))
	r.Staff("GET /api/competitions/{id}/results.csv", m.wrap(m.resultsCSV))
	r.Staff("GET /api/competitions/{id}/results.pdf", m.wrap(m.resultsPDF))
	m.testRoutes(r)
}

// answer writes v as the 200 JSON answer, or returns err.
func answer[T any](w http.ResponseWriter, v T, err error) error {
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

// essayView is the essay as the candidate page shows it: the text the
// server holds, its revision (the page's acknowledgement), the words and
// the limit, and the end of the essay time on the server's clock.
type essayView struct {
	Text      string     `json:"text"`
	Words     int        `json:"words"`
	Limit     int        `json:"limit"`
	Revision  int64      `json:"revision"`
	Saved     *time.Time `json:"saved,omitempty"`
	Submitted *time.Time `json:"submitted,omitempty"`
	SHA256    string     `json:"sha256,omitempty"`
	Starts    *time.Time `json:"starts,omitempty"`
	Ends      *time.Time `json:"ends,omitempty"`
	// Now is the server's clock, so the page counts down the server's time.
	Now time.Time `json:"now"`
}

func (m *Module) essayView(r *http.Request, es workflow.Essay) (essayView, error) {
	_, c, _, err := m.e.Cabinet(r.Context(), bearer(r))
	if err != nil {
		return essayView{}, err
	}
	v := essayView{Text: es.Text, Words: es.Words, Limit: workflow.EssayWordLimit, Revision: es.Revision, Submitted: es.Submitted, SHA256: es.SHA256, Now: m.e.Now().UTC()}
	if !es.Saved.IsZero() {
		v.Saved = &es.Saved
	}
	if st, ok := c.Stage(workflow.StageEssay); ok {
		v.Starts, v.Ends = &st.Starts, &st.Ends
	}
	return v, nil
}

func (m *Module) cabinetEssay(w http.ResponseWriter, r *http.Request) error {
	es, err := m.e.CabinetEssay(r.Context(), bearer(r))
	if err != nil {
		return err
	}
	v, err := m.essayView(r, es)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (m *Module) writeEssay(w http.ResponseWriter, r *http.Request, submit bool) error {
	// The cabinet token first: nobody else learns what the body should be.
	if _, _, _, err := m.e.Cabinet(r.Context(), bearer(r)); err != nil {
		return err
	}
	// JSON escapes can double the text; past that the text is too long.
	if r.ContentLength > workflow.EssayMaxBytes*2 {
		return web.Errorf(http.StatusRequestEntityTooLarge, "too_large", "workflow.err.essay_body_large", "the essay is too long to send (over %d bytes of text); shorten it", workflow.EssayMaxBytes)
	}
	r.Body = http.MaxBytesReader(w, r.Body, workflow.EssayMaxBytes*2)
	var d workflow.EssayDraft
	if err := web.Decode(r, &d); err != nil {
		return err
	}
	var es workflow.Essay
	var err error
	if submit {
		es, err = m.e.SubmitEssay(r.Context(), bearer(r), d)
	} else {
		es, err = m.e.SaveEssay(r.Context(), bearer(r), d)
	}
	if err != nil {
		return err
	}
	v, err := m.essayView(r, es)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (m *Module) saveEssay(w http.ResponseWriter, r *http.Request) error {
	return m.writeEssay(w, r, false)
}

func (m *Module) submitEssay(w http.ResponseWriter, r *http.Request) error {
	return m.writeEssay(w, r, true)
}

type keyIn struct {
	// Format is "spki" or "raw", as WebCrypto's exportKey names them.
	Format string `json:"format"`
	// Key is the exported public key, base64.
	Key string `json:"key"`
}

type keyView struct {
	Format      string    `json:"format"`
	Fingerprint string    `json:"fingerprint"`
	Registered  time.Time `json:"registered"`
}

func (m *Module) signingKey(w http.ResponseWriter, r *http.Request) error {
	k, err := m.e.Key(r.Context(), actor(r))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, keyView{Format: k.Format, Fingerprint: k.Fingerprint, Registered: k.Registered})
	return nil
}

func (m *Module) registerKey(w http.ResponseWriter, r *http.Request) error {
	var in keyIn
	if err := web.Decode(r, &in); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(in.Key)
	if err != nil || len(raw) == 0 || len(raw) > 1024 {
		return web.Errorf(http.StatusBadRequest, "invalid", "workflow.err.key_base64", "p.115: the signing key must be sent as base64 of at most 1024 bytes")
	}
	k, err := m.e.RegisterKey(r.Context(), actor(r), in.Format, raw)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, keyView{Format: k.Format, Fingerprint: k.Fingerprint, Registered: k.Registered})
	return nil
}

func (m *Module) graderEssays(w http.ResponseWriter, r *http.Request) error {
	list, err := m.e.GraderEssays(r.Context(), actor(r))
	return answer(w, list, err)
}

func (m *Module) memberInterviews(w http.ResponseWriter, r *http.Request) error {
	list, err := m.e.MemberInterviews(r.Context(), actor(r))
	return answer(w, list, err)
}

func (m *Module) graderEssay(w http.ResponseWriter, r *http.Request) error {
	es, err := m.e.GraderEssay(r.Context(), actor(r), r.PathValue("app"))
	return answer(w, es, err)
}

type scoreIn struct {
	Score int `json:"score"`
}

func (m *Module) essayPayload(w http.ResponseWriter, r *http.Request) error {
	var in scoreIn
	if err := web.Decode(r, &in); err != nil {
		return err
	}
	p, err := m.e.EssayPayload(r.Context(), actor(r), r.PathValue("app"), in.Score)
	return answer(w, p, err)
}

func (m *Module) gradeEssay(w http.ResponseWriter, r *http.Request) error {
	var in workflow.Signed
	if err := web.Decode(r, &in); err != nil {
		return err
	}
	es, err := m.e.GradeEssay(r.Context(), actor(r), r.PathValue("app"), in)
	return answer(w, es, err)
}

func (m *Module) essays(w http.ResponseWriter, r *http.Request) error {
	list, err := m.e.Essays(r.Context(), r.PathValue("id"))
	return answer(w, list, err)
}

func (m *Module) standings(w http.ResponseWriter, r *http.Request) error {
	list, err := m.e.Standings(r.Context(), r.PathValue("id"))
	return answer(w, list, err)
}

func (m *Module) selectInterview(w http.ResponseWriter, r *http.Request) error {
	c, err := m.e.SelectInterview(r.Context(), actor(r), r.PathValue("id"))
	return m.reply(w, r, http.StatusOK, c, err)
}

func (m *Module) interviewPayload(w http.ResponseWriter, r *http.Request) error {
	var in scoreIn
	if err := web.Decode(r, &in); err != nil {
		return err
	}
	p, err := m.e.InterviewPayload(r.Context(), actor(r), r.PathValue("id"), r.PathValue("app"), in.Score)
	return answer(w, p, err)
}

func (m *Module) scoreInterview(w http.ResponseWriter, r *http.Request) error {
	var in workflow.Signed
	if err := web.Decode(r, &in); err != nil {
		return err
	}
	c, err := m.e.ScoreInterview(r.Context(), actor(r), r.PathValue("id"), r.PathValue("app"), in)
	return m.reply(w, r, http.StatusOK, c, err)
}

func (m *Module) results(w http.ResponseWriter, r *http.Request) error {
	list, err := m.e.Results(r.Context(), r.PathValue("id"))
	return answer(w, list, err)
}

// resultsCSV is the final ranking for the state body: one line per
// candidate, by PIN, with every stage's score; decimals as computed.
func (m *Module) resultsCSV(w http.ResponseWriter, r *http.Request) error {
	c, list, err := m.ranking(r)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"rank", "pin", "personal_qualities", "textual_numerical", "essay", "essay_state", "interview", "total", "finalist", "legislation"})
	for _, res := range list {
		_ = cw.Write([]string{strconv.Itoa(res.Rank), res.PIN, decText(res.Personal), decText(res.Textual), decText(res.Essay), res.EssayState, decText(res.Interview), res.Total.String(), strconv.FormatBool(res.Finalist), res.Legislation})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return download(w, c, m.e.Now(), "csv", "text/csv; charset=utf-8", b.Bytes())
}

// ranking loads the competition of the route and its final ranking.
func (m *Module) ranking(r *http.Request) (workflow.Competition, []workflow.Result, error) {
	id := r.PathValue("id")
	c, err := m.e.Competition(r.Context(), id)
	if err != nil {
		return c, nil, err
	}
	list, err := m.e.Results(r.Context(), id)
	return c, list, err
}

// download sends a file of c's results for the state body, named by the
// competition and the day in Kazakhstan it was made.
func download(w http.ResponseWriter, c workflow.Competition, at time.Time, ext, ctype string, body []byte) error {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="results-`+c.ID+`-`+at.In(calendar.Zone).Format("20060102")+`.`+ext+`"`)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

func decText(d *score.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}
