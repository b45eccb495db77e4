package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"kuzet.kz/kuzet/server/authz"
	"kuzet.kz/kuzet/server/web"
	"kuzet.kz/kuzet/server/workflow"
)

// testRoutes are the item banks (HR imports QTI 2.1) and the test stages
// taken in the cabinet: personal qualities and textual/numerical
// information, scored by Annex 3.
func (m *Module) testRoutes(r *web.Router) {
	r.Staff("POST /api/banks/{bank}/import", m.wrap(m.importBank))
	r.Staff("GET /api/banks/{bank}", m.wrap(m.bank))
	r.Staff("GET /api/test-programs", m.wrap(m.testPrograms))
	r.Staff("POST /api/test-programs", m.wrap(m.defineProgram))
	r.API("POST /api/cabinet/tests/{kind}/start", authz.Candidate, m.wrap(m.startTest))
	r.API("GET /api/cabinet/tests/{kind}", authz.Candidate, m.wrap(m.cabinetTest))
	r.API("PUT /api/cabinet/tests/{kind}/answers", authz.Candidate, m.wrap(m.saveAnswer))
	r.API("POST /api/cabinet/tests/{kind}/submit", authz.Candidate, m.wrap(m.submitTest))
	r.API("GET /api/cabinet/certificate.pdf", authz.Candidate, m.wrap(m.certificatePDF))
	r.API("GET /api/cabinet/tests/{kind}/assets/{item}/{path}", authz.Candidate, m.wrap(m.testImage))
	r.Staff("GET /api/competitions/{id}/tests", m.wrap(m.attempts))
}

// bankTypes are the content types of a bank import.
var bankTypes = map[string]bool{"application/xml": true, "text/xml": true, "application/zip": true, "application/x-zip-compressed": true}

// importBank takes the raw file as the body: one assessmentItem
// (application/xml, text/xml) or a content package (application/zip).
func (m *Module) importBank(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !bankTypes[mt] {
		return web.Errorf(http.StatusUnsupportedMediaType, "invalid", "workflow.err.bank_type", "send the file as application/xml or application/zip")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, workflow.BankImportMaxBytes+1))
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "invalid", "", "the upload was cut off: send the file again")
	}
	name := r.URL.Query().Get("filename")
	if name == "" && (mt == "application/zip" || mt == "application/x-zip-compressed") {
		name = "package.zip"
	}
	res, err := m.e.ImportBank(r.Context(), actor(r), r.PathValue("bank"), data, name)
	return answer(w, res, err)
}

func (m *Module) bank(w http.ResponseWriter, r *http.Request) error {
	list, err := m.e.Bank(r.Context(), r.PathValue("bank"))
	return answer(w, list, err)
}

func (m *Module) testPrograms(w http.ResponseWriter, r *http.Request) error {
	list, err := m.e.TestPrograms(r.Context())
	return answer(w, list, err)
}

// defineProgram takes a test program's JSON (server/exam's format) as
// the body: read strictly, stored once, never changed.
func (m *Module) defineProgram(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return web.Errorf(http.StatusUnsupportedMediaType, "invalid", "workflow.err.program_type", "send the program as application/json")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, workflow.ProgramMaxBytes+1))
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "invalid", "", "the upload was cut off: send the program again")
	}
	p, err := m.e.DefineProgram(r.Context(), actor(r), data)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, p)
	return nil
}

func kind(r *http.Request) workflow.StageKind { return workflow.StageKind(r.PathValue("kind")) }

// testView answers the page with the attempt as it shows it.
func (m *Module) testView(w http.ResponseWriter, r *http.Request) error {
	v, err := m.e.TestQuestions(r.Context(), bearer(r), kind(r))
	return answer(w, v, err)
}

func (m *Module) startTest(w http.ResponseWriter, r *http.Request) error {
	if _, err := m.e.StartTest(r.Context(), bearer(r), kind(r)); err != nil {
		return err
	}
	return m.testView(w, r)
}

func (m *Module) cabinetTest(w http.ResponseWriter, r *http.Request) error {
	return m.testView(w, r)
}

// answerMaxBody bounds a save: at most 100 values, a typed answer of at
// most 1000 bytes, with room for JSON escapes.
const answerMaxBody = 64 << 10

// answerView acknowledges a save: the answer the server holds (an older
// revision sent changes nothing and gets the held one) and its clock.
type answerView struct {
	Answer workflow.Answer `json:"answer"`
	Now    time.Time       `json:"now"`
}

func (m *Module) saveAnswer(w http.ResponseWriter, r *http.Request) error {
	// The cabinet token first: nobody else learns what the body should be.
	if _, _, _, err := m.e.Cabinet(r.Context(), bearer(r)); err != nil {
		return err
	}
	// Over the cap the reader's error would be a 400 without a key: the
	// save is too large to send, so it is refused 413 like an essay's.
	if r.ContentLength > answerMaxBody {
		return web.Errorf(http.StatusRequestEntityTooLarge, "too_large", "workflow.err.answer_body_large", "the answer is too long to send (over %d bytes); shorten it", answerMaxBody)
	}
	r.Body = http.MaxBytesReader(w, r.Body, answerMaxBody)
	var in workflow.AnswerIn
	if err := web.Decode(r, &in); err != nil {
		return err
	}
	a, err := m.e.SaveAnswer(r.Context(), bearer(r), kind(r), in.Item, in.Response, in.Revision)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, answerView{Answer: a, Now: m.e.Now().UTC()})
	return nil
}

func (m *Module) submitTest(w http.ResponseWriter, r *http.Request) error {
	if _, err := m.e.SubmitTest(r.Context(), bearer(r), kind(r)); err != nil {
		return err
	}
	return m.testView(w, r)
}

// testImage sends a picture of one of the candidate's questions; {path}
// is the picture's path in the item's package, escaped as one segment
// (img%2Fmap.png), as the question's images give it. The picture is not
// kept anywhere on the way: it is part of a question.
func (m *Module) testImage(w http.ResponseWriter, r *http.Request) error {
	img, err := m.e.TestImage(r.Context(), bearer(r), kind(r), r.PathValue("item"), r.PathValue("path"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", img.Type)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(img.Data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(img.Data)
	return nil
}

func (m *Module) attempts(w http.ResponseWriter, r *http.Request) error {
	list, err := m.e.Attempts(r.Context(), r.PathValue("id"))
	return answer(w, list, err)
}
