package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/agent/probe/display"
	"kuzet.kz/kuzet/protocol"
)

// ScreenEvidence captures the rule 10.11 evidence kept during a stage: a
// screenshot of every display, downscaled to width pixels (JPEG of the
// given quality), and a JSON report with the foreground window's title.
// The title may name the candidate's documents, so it goes only into the
// evidence file, never into log lines or event texts.
func ScreenEvidence(ctx context.Context, width, quality int) (shot, report finding.Evidence, err error) {
	img, err := display.Screenshot(ctx, width, quality)
	if err != nil {
		return shot, report, fmt.Errorf("screen evidence: %w", err)
	}
	shot = finding.Evidence{Kind: protocol.EvidenceScreenshot, MIME: "image/jpeg", Data: img}
	title, terr := display.ForegroundTitle(ctx)
	r := map[string]any{"foreground_title": title}
	switch {
	case errors.Is(terr, display.ErrNoActiveWindow):
		r["foreground_title"] = nil
		r["foreground_note"] = "no foreground window"
	case terr != nil:
		r["foreground_title"] = nil
		r["foreground_note"] = terr.Error()
	}
	b, err := json.Marshal(r)
	if err != nil {
		return shot, report, fmt.Errorf("screen evidence report: %w", err)
	}
	report = finding.Evidence{Kind: protocol.EvidenceReport, MIME: "application/json", Data: b}
	return shot, report, nil
}
