package httpapi

import (
	"net/http"
	"strconv"

	"kuzet.kz/kuzet/server/calendar"
)

// certificatePDF is p.14: the certificate of a below-pass result of the
// legislation test (the form of Annex 6), in the candidate's cabinet, in
// the language asked (?lang=, Kazakh by default). It names the candidate
// by the sitting's PIN only: the document may be shown to others, and the
// cabinet holds no name or IIN to put on it.
func (m *Module) certificatePDF(w http.ResponseWriter, r *http.Request) error {
	c, err := m.e.BelowPassCertificate(r.Context(), bearer(r))
	if err != nil {
		return err
	}
	pdf, tr, lang, err := m.newPDF(r, "")
	if err != nil {
		return err
	}
	pdf.SetTitle(tr("cert.title"), true)
	pdf.AddPage()
	pdf.SetFontSize(9)
	pdf.MultiCell(0, 5, tr("cert.form"), "", "R", false)
	pdf.Ln(4)
	pdf.SetFontSize(14)
	pdf.MultiCell(0, 7, tr("cert.title"), "", "C", false)
	pdf.Ln(4)
	pdf.SetFontSize(11)
	for _, row := range [][2]string{
		{tr("cert.pin"), c.PIN},
		{tr("cert.program"), c.ProgramTitle.In(string(lang))},
		{tr("cert.date"), c.TestDate},
	} {
		pdf.CellFormat(62, 7, row[0], "", 0, "L", false, 0, "")
		pdf.MultiCell(0, 7, row[1], "", "L", false)
	}
	pdf.Ln(3)
	pdf.SetFontSize(10)
	pdf.SetFillColor(230, 234, 240)
	widths := []float64{95, 25, 35, 35}
	// row draws one line of the table, the cells as tall as the longest
	// text wrapped in its column (an act's title takes two lines).
	row := func(fill bool, cells ...string) {
		lines := 1
		for i, cell := range cells {
			lines = max(lines, len(pdf.SplitText(cell, widths[i]-2)))
		}
		x, y := pdf.GetXY()
		for i, cell := range cells {
			align := "C"
			if i == 0 && !fill {
				align = "L"
			}
			pdf.SetXY(x, y)
			n := len(pdf.SplitText(cell, widths[i]-2))
			// The cell's own lines, padded to the row's height.
			pdf.MultiCell(widths[i], 6*float64(lines)/float64(max(n, 1)), cell, "1", align, fill)
			x += widths[i]
		}
		left, _, _, _ := pdf.GetMargins()
		pdf.SetXY(left, y+6*float64(lines))
	}
	row(true, tr("cert.section"), tr("cert.questions"), tr("cert.correct"), tr("cert.min"))
	for _, s := range c.Sections {
		row(false, s.Title.In(string(lang)), strconv.Itoa(s.Questions), strconv.Itoa(s.Correct), strconv.Itoa(s.MinCorrect))
	}
	row(false, tr("cert.total"), strconv.Itoa(c.Questions), strconv.Itoa(c.Correct), strconv.Itoa(c.MinTotalCorrect))
	pdf.Ln(5)
	pdf.SetFontSize(11)
	pdf.MultiCell(0, 6, tr("cert.retest", "from", c.RetestFrom), "", "L", false)
	pdf.Ln(3)
	pdf.SetFontSize(9)
	now := m.e.Now()
	pdf.MultiCell(0, 5, tr("cert.issued", "time", now.In(calendar.Zone).Format("2006-01-02 15:04"), "entry", strconv.FormatInt(c.Entry, 10)), "", "L", false)
	b, err := pdfBytes(pdf)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="certificate-`+c.PIN+`-`+c.TestDate+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}
