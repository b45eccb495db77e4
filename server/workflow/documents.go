package workflow

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// MaxDocumentBytes is the largest scan accepted: 10 MiB, enough for a
// multi-page PDF scanned at 300 dpi.
const MaxDocumentBytes = 10 << 20

// MaxDocuments is how many documents one application may hold.
const MaxDocuments = 20

// Upload is a document as the candidate sends it.
type Upload struct {
	Kind DocKind
	Data []byte
}

var docKinds = map[DocKind]bool{DocEducation: true, DocEducationAttachment: true, DocExperience: true, DocIdentity: true, DocOther: true}

// sniff names the type of a scan by its first bytes: PDF, JPEG or PNG
// only; the name or the Content-Type the client claims count for nothing.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}):
		return "image/png"
	}
	return ""
}

// checkUpload refuses a scan that is not a PDF, JPEG or PNG, is empty or
// too large, or has an unknown kind.
func checkUpload(u Upload) (string, error) {
	if !docKinds[u.Kind] {
		return "", refuse(KindInvalid, "", "workflow.err.doc_kind", "document kind {kind} is not one of education, education_attachment, experience, identity, other", "kind", string(u.Kind))
	}
	if len(u.Data) > MaxDocumentBytes {
		return "", refuse(KindTooLarge, "", "workflow.err.doc_too_large", "the scan is {size} bytes; at most {max} bytes (10 MiB) are accepted: scan at a lower resolution or split it",
			"size", strconv.Itoa(len(u.Data)), "max", strconv.Itoa(MaxDocumentBytes))
	}
	t := sniff(u.Data)
	if t == "" {
		return "", refuse(KindInvalid, "", "workflow.err.doc_type", "the scan is not a PDF, JPEG or PNG file; save it in one of these formats and send it again")
	}
	return t, nil
}

// storeDocument seals a checked scan into the documents directory and
// returns its record. The file is written before the transaction that
// records it: a failed transaction leaves an unreferenced sealed file,
// never a record without its file.
func (e *Engine) storeDocument(appID string, u Upload, mime string, supplement bool) (Document, error) {
	id, err := newID("d-")
	if err != nil {
		return Document{}, err
	}
	sum := sha256.Sum256(u.Data)
	if err := e.cfg.Vault.WriteFile(e.docPath(appID, id), u.Data, "document:"+appID+":"+id); err != nil {
		return Document{}, fmt.Errorf("store document: %w", err)
	}
	return Document{ID: id, Kind: u.Kind, Type: mime, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(u.Data)), Added: e.now().UTC(), Supplement: supplement}, nil
}

func (e *Engine) docPath(appID, docID string) string {
	return filepath.Join(e.cfg.Documents, appID, docID)
}

// DocumentFile returns a document's record and its bytes (HR and
// administrators only: the HTTP layer checks the role).
func (e *Engine) DocumentFile(appID, docID string, a Application) (Document, []byte, error) {
	for _, d := range a.Documents {
		if d.ID == docID {
			b, err := e.cfg.Vault.ReadFile(e.docPath(appID, docID), "document:"+appID+":"+docID)
			if errors.Is(err, os.ErrNotExist) {
				return d, nil, notFound("document file", docID)
			}
			return d, b, err
		}
	}
	return Document{}, nil, notFound("document", docID)
}
