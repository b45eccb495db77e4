package audit

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Kind says what an entry records.
type Kind string

// The kinds of entry the server appends. The log accepts any lower-case kind,
// so a new kind does not need a new log version; these are the ones with a
// meaning the verifier knows about (KindRetention).
const (
	KindEvent     Kind = "event"     // an accepted agent event (rule 10.x)
	KindEvidence  Kind = "evidence"  // an evidence file received for a sitting
	KindAction    Kind = "action"    // a proctor action: flag confirmed/dismissed, warning, room scan, pause, end
	KindVerdict   Kind = "verdict"   // a published verdict ("check results", p.115)
	KindAppeal    Kind = "appeal"    // an appeal and its decision
	KindWorkflow  Kind = "workflow"  // a workflow decision taken on a verdict
	KindRecording Kind = "recording" // a closed recording segment
	KindRetention Kind = "retention" // files deleted at the end of the retention period
	KindAccount   Kind = "account"   // a staff account created, disabled, enabled, its password set or sessions ended
)

// Entry is one record of the log. Its canonical JSON encoding (see Encode)
// is the leaf the Merkle tree hashes, so every field is covered.
//
// Actor is an account id or "agent"; it and Data must never hold personal
// data (p.74-1: the candidate is known by PIN only), because the log can
// never be edited to remove it.
type Entry struct {
	// Time is when the fact happened, stored in UTC.
	Time time.Time `json:"time"`
	// Kind says what the entry records.
	Kind Kind `json:"kind"`
	// Sitting is the sitting the entry belongs to, or empty for entries
	// about the server as a whole.
	Sitting string `json:"sitting,omitempty"`
	// Prev is the index of the previous entry of the same sitting, or -1.
	// The log sets it on Append; whatever the caller put there is replaced.
	// It chains a sitting's entries so that an exported bundle with an
	// entry left out is detected.
	Prev int64 `json:"prev"`
	// Actor is who caused the entry: an account id or "agent".
	Actor string `json:"actor"`
	// Data is the kind-specific body, a JSON object (stored compacted).
	Data json.RawMessage `json:"data,omitempty"`
	// Files are the files the entry vouches for, by hash.
	Files []FileRef `json:"files,omitempty"`
}

// FileRef names a file under the data directory by content.
type FileRef struct {
	// Path is relative to the data directory, with forward slashes,
	// e.g. "evidence/S1/ab12…" or "recordings/S1/0001.webm".
	Path string `json:"path"`
	// SHA256 is the lower-case hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
}

// RecordingData is the Data of a KindRecording entry (written by
// server/archive when a recording segment closes; read by the replay).
type RecordingData struct {
	// Kind is the recording's kind: "camera" (camera and microphone) or "screen".
	Kind string `json:"kind"`
	// Start and End are the server's wall-clock times of the first and
	// last frame.
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Video       bool      `json:"video"`
	Audio       bool      `json:"audio"`
	VideoFrames int       `json:"video_frames"`
	AudioFrames int       `json:"audio_frames"`
}

// RetentionData is the Data of a KindRetention entry: the files deleted
// because their retention period ended.
type RetentionData struct {
	// Deleted are the files removed, as they were referenced before.
	Deleted []FileRef `json:"deleted"`
	// Period is the retention period that expired, e.g. "8760h0m0s";
	// "0s" for files deleted at once (see Reason).
	Period string `json:"period"`
	// Reason, when set, says why the files went before any period ended
	// ("uncited": uploaded for a sitting but cited by none of its events).
	Reason string `json:"reason,omitempty"`
}

// Limits on what one entry may hold. They keep a hostile or buggy caller
// from filling the log with one record and bound what a decoder allocates.
const (
	MaxEntrySize  = 1 << 20
	maxNameLen    = 128
	maxFilesEntry = 1024
)

func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':', c == '@':
		default:
			return false
		}
	}
	return true
}

func validKind(k Kind) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for _, c := range []byte(k) {
		if (c < 'a' || c > 'z') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// CheckPath reports whether p is a path a FileRef may hold: relative,
// clean, forward slashes, inside the data directory.
func CheckPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty path", ErrBadFileRef)
	case len(p) > 1024:
		return fmt.Errorf("%w: path longer than 1024 bytes", ErrBadFileRef)
	case strings.ContainsAny(p, "\\\x00"):
		return fmt.Errorf("%w: path %q has a backslash or NUL; use forward slashes", ErrBadFileRef, p)
	case path.IsAbs(p) || path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("%w: path %q must be clean and relative to the data directory", ErrBadFileRef, p)
	}
	return nil
}

func (f FileRef) check() error {
	if err := CheckPath(f.Path); err != nil {
		return err
	}
	if len(f.SHA256) != 64 || strings.ToLower(f.SHA256) != f.SHA256 {
		return fmt.Errorf("%w: file %q: sha256 must be 64 lower-case hex digits", ErrBadFileRef, f.Path)
	}
	if _, err := hex.DecodeString(f.SHA256); err != nil {
		return fmt.Errorf("%w: file %q: sha256 is not hex", ErrBadFileRef, f.Path)
	}
	if f.Size < 0 {
		return fmt.Errorf("%w: file %q: negative size", ErrBadFileRef, f.Path)
	}
	return nil
}

// RelFileRef makes the FileRef of a file written under dataDir (an
// evidence file, a closed recording segment) from its path and the hash and
// size its writer computed.
func RelFileRef(dataDir, file, sha256Hex string, size int64) (FileRef, error) {
	rel, err := filepath.Rel(dataDir, file)
	if err != nil {
		return FileRef{}, fmt.Errorf("%w: %s is not under %s: %w", ErrBadFileRef, file, dataDir, err)
	}
	f := FileRef{Path: filepath.ToSlash(rel), SHA256: sha256Hex, Size: size}
	if err := f.check(); err != nil {
		return FileRef{}, err
	}
	return f, nil
}

// Check reports what is wrong with e as a new entry, or nil.
func (e *Entry) Check() error {
	switch {
	case e.Time.IsZero():
		return fmt.Errorf("%w: time is not set", ErrBadEntry)
	case !validKind(e.Kind):
		return fmt.Errorf("%w: kind %q must be 1-32 lower-case letters", ErrBadEntry, e.Kind)
	case e.Sitting != "" && !validName(e.Sitting):
		return fmt.Errorf("%w: sitting %q must be 1-128 of A-Z a-z 0-9 - _ . : @", ErrBadEntry, e.Sitting)
	case !validName(e.Actor):
		return fmt.Errorf("%w: actor %q must be an account id or \"agent\" (1-128 of A-Z a-z 0-9 - _ . : @)", ErrBadEntry, e.Actor)
	case len(e.Files) > maxFilesEntry:
		return fmt.Errorf("%w: %d files, at most %d", ErrBadEntry, len(e.Files), maxFilesEntry)
	}
	if len(e.Data) > 0 {
		if d := bytes.TrimLeft(e.Data, " \t\r\n"); len(d) == 0 || d[0] != '{' || !json.Valid(e.Data) {
			return fmt.Errorf("%w: data must be a JSON object", ErrBadEntry)
		}
	}
	for _, f := range e.Files {
		if err := f.check(); err != nil {
			return err
		}
	}
	return nil
}

// Encode returns the canonical encoding of e: compact JSON, fields in
// declaration order, time in UTC. It is what the tree hashes.
func Encode(e Entry) ([]byte, error) {
	e.Time = e.Time.UTC()
	if len(e.Data) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, e.Data); err != nil {
			return nil, fmt.Errorf("%w: data: %w", ErrBadEntry, err)
		}
		e.Data = buf.Bytes()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrBadEntry, err)
	}
	if len(b) > MaxEntrySize {
		return nil, fmt.Errorf("%w: %d bytes encoded, at most %d", ErrEntryTooLarge, len(b), MaxEntrySize)
	}
	return b, nil
}

// Decode parses a stored or exported entry. It refuses anything that is not
// exactly the canonical encoding of a valid entry, so two different byte
// strings can never stand for the same entry.
func Decode(b []byte) (Entry, error) {
	var e Entry
	if len(b) > MaxEntrySize {
		return e, fmt.Errorf("%w: %d bytes, at most %d", ErrEntryTooLarge, len(b), MaxEntrySize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("%w: %w", ErrNotCanonical, err)
	}
	if dec.More() {
		return Entry{}, fmt.Errorf("%w: trailing data after the entry", ErrNotCanonical)
	}
	if err := e.Check(); err != nil {
		return Entry{}, err
	}
	if e.Prev < -1 {
		return Entry{}, fmt.Errorf("%w: prev %d", ErrBadEntry, e.Prev)
	}
	again, err := Encode(e)
	if err != nil {
		return Entry{}, err
	}
	if !bytes.Equal(again, b) {
		return Entry{}, fmt.Errorf("%w: bytes differ from the canonical encoding", ErrNotCanonical)
	}
	return e, nil
}
