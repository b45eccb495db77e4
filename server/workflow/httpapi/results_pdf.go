package httpapi

import (
	"bytes"
	"net/http"
	"os"
	"strconv"

	"codeberg.org/go-pdf/fpdf"

	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/web"
	"kuzet.kz/kuzet/server/workflow"
)

// DefaultPDFFont is where Debian's fonts-dejavu-core puts a TrueType
// font with the Kazakh and Russian letters (flag -pdf-font).
const DefaultPDFFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

// translator gives a catalogue text in one language, args in pairs.
type translator func(key string, args ...string) string

// newPDF starts an A4 document in the language asked (?lang=, Kazakh by
// default) with the Unicode font (flag -pdf-font) and page numbers.
func (m *Module) newPDF(r *http.Request, title string) (*fpdf.Fpdf, translator, i18n.Lang, error) {
	lang := i18n.KK
	if q := r.URL.Query().Get("lang"); q != "" {
		l, err := i18n.ParseLang(q)
		if err != nil {
			return nil, nil, "", web.Errorf(http.StatusBadRequest, "invalid", "workflow.err.lang", "lang %q: lang may only be kk, ru or en", q)
		}
		lang = l
	}
	path := m.cfg.PDFFont
	if path == "" {
		path = DefaultPDFFont
	}
	font, err := os.ReadFile(path)
	if err != nil {
		m.cfg.Logger.Error("PDF: no font", "path", path, "err", err)
		return nil, nil, "", web.Errorf(http.StatusServiceUnavailable, "unavailable", "workflow.err.pdf_font", "could not make the PDF: the server has no Unicode font at %s; install fonts-dejavu-core or start it with -pdf-font", path)
	}
	tr := func(key string, args ...string) string {
		a := i18n.Args{}
		for i := 0; i+1 < len(args); i += 2 {
			a[args[i]] = args[i+1]
		}
		return m.cfg.Catalogue.Text(lang, i18n.Key(key), a)
	}
	now := m.e.Now()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetCreator("Kuzet", false)
	pdf.SetTitle(title, true)
	pdf.AddUTF8FontFromBytes("body", "", font)
	pdf.SetFont("body", "", 10)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.CellFormat(0, 6, tr("results.pdf.page", "page", strconv.Itoa(pdf.PageNo()), "pages", "{nb}"), "", 0, "C", false, 0, "")
	})
	return pdf, tr, lang, nil
}

// pdfBytes finishes a document.
func pdfBytes(pdf *fpdf.Fpdf) ([]byte, error) {
	var b bytes.Buffer
	err := pdf.Output(&b)
	return b.Bytes(), err
}

// resultsPDF is the final ranking as a PDF for the state body, in the
// language asked (?lang=, Kazakh by default), by PIN only (p.74-1).
func (m *Module) resultsPDF(w http.ResponseWriter, r *http.Request) error {
	c, list, err := m.ranking(r)
	if err != nil {
		return err
	}
	pdf, tr, lang, err := m.newPDF(r, "")
	if err != nil {
		return err
	}
	now := m.e.Now()
	pdf.SetTitle(tr("results.pdf.title")+" — "+c.Position, true)
	pdf.AddPage()
	pdf.SetFontSize(14)
	pdf.MultiCell(0, 7, tr("results.pdf.title"), "", "L", false)
	pdf.SetFontSize(11)
	body := c.Body
	if b, ok := m.e.Rules().Body(c.Body); ok {
		body = b.Name.In(string(lang))
	}
	pdf.MultiCell(0, 6, body+" — "+c.Position, "", "L", false)
	pdf.SetFontSize(9)
	pdf.MultiCell(0, 5, tr("results.pdf.meta", "id", c.ID, "status", tr("hr.status."+string(c.Status)), "time", now.In(calendar.Zone).Format("2006-01-02 15:04")), "", "L", false)
	pdf.Ln(3)
	type column struct {
		key string
		w   float64
	}
	cols := []column{{"results.pdf.rank", 12}, {"results.pdf.pin", 22}, {"results.pdf.personal", 20}, {"results.pdf.textual", 20}, {"results.pdf.essay", 16}, {"results.pdf.essay_state", 38}, {"results.pdf.interview", 22}, {"results.pdf.total", 18}, {"results.pdf.finalist", 22}}
	_, legislation := c.Stage(workflow.StageLegislation)
	if legislation {
		// The legislation test's pass or below-pass (p.14) takes its room
		// from the wide columns.
		cols[1].w, cols[5].w, cols[6].w, cols[8].w = 20, 28, 18, 14
		cols = append(cols, column{"results.pdf.legislation", 22})
	}
	pdf.SetFontSize(8)
	pdf.SetFillColor(230, 234, 240)
	for _, col := range cols {
		pdf.CellFormat(col.w, 7, tr(col.key), "1", 0, "C", true, 0, "")
	}
	pdf.Ln(-1)
	for _, res := range list {
		yes := tr("results.pdf.no")
		if res.Finalist {
			yes = tr("results.pdf.yes")
		}
		cells := []string{strconv.Itoa(res.Rank), res.PIN, decText(res.Personal), decText(res.Textual), decText(res.Essay), tr("results.pdf.state." + res.EssayState), decText(res.Interview), res.Total.String(), yes}
		if legislation {
			cells = append(cells, tr("results.pdf.legislation."+res.Legislation))
		}
		for i, col := range cols {
			align := "C"
			if i == 5 {
				align = "L"
			}
			pdf.CellFormat(col.w, 6, cells[i], "1", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.Ln(4)
	pdf.MultiCell(0, 5, tr("results.pdf.note"), "", "L", false)
	b, err := pdfBytes(pdf)
	if err != nil {
		return err
	}
	return download(w, c, now, "pdf", "application/pdf", b)
}
