package vision

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
)

// Snapshot encodes img, shrunk to fit within maxW×maxH, as a JPEG of the
// given quality: the evidence attached to camera events. It checks the frame
// as Analyze does.
func Snapshot(img image.Image, maxW, maxH, quality int) ([]byte, error) {
	if err := checkFrame(img); err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := fitSize(b.Dx(), b.Dy(), maxW, maxH)
	src := img
	if w != b.Dx() || h != b.Dy() {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		src = dst
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// evidence makes the snapshot evidence of a transition, or none when the
// frame cannot be encoded (the event still matters more than its picture).
func (w *Watcher) evidence(img image.Image, kind protocol.EvidenceKind) []finding.Evidence {
	data, err := Snapshot(img, w.cfg.SnapshotWidth, w.cfg.SnapshotHeight, w.cfg.SnapshotQuality)
	if err != nil {
		return nil
	}
	return []finding.Evidence{{Kind: kind, MIME: "image/jpeg", Data: data}}
}
