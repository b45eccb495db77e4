package audit

import (
	"fmt"
	"sort"

	"kuzet.kz/kuzet/protocol/i18n"
)

// Reason says why an entry, file or checkpoint failed verification.
type Reason string

// The reasons Verify and VerifyBundle give.
const (
	ReasonEntryMissing        Reason = "entry-missing"        // an index has no entry
	ReasonEntryChanged        Reason = "entry-changed"        // entry bytes differ from the hash recorded when it was appended
	ReasonEntryMoved          Reason = "entry-moved"          // the entry is one that was appended at another index
	ReasonEntryInvalid        Reason = "entry-invalid"        // the bytes are not a canonical entry
	ReasonTreeChanged         Reason = "tree-changed"         // a stored tree hash differs from the recomputed one
	ReasonSittingChain        Reason = "sitting-chain"        // prev does not name the sitting's previous entry
	ReasonSittingIndex        Reason = "sitting-index"        // a sitting's newest-entry record disagrees with the entries
	ReasonSizeRecord          Reason = "size-record"          // the stored tree size disagrees with the entries
	ReasonCheckpointSignature Reason = "checkpoint-signature" // a checkpoint's signature or text is invalid
	ReasonCheckpointRoot      Reason = "checkpoint-root"      // entries changed after a checkpoint was signed
	ReasonCheckpointBeyond    Reason = "checkpoint-beyond"    // a checkpoint covers entries the log no longer has
	ReasonCheckpointOrder     Reason = "checkpoint-order"     // checkpoints are missing or out of order
	ReasonFileMissing         Reason = "file-missing"         // a referenced file is gone without a retention entry
	ReasonFileChanged         Reason = "file-changed"         // a referenced file's bytes differ from its hash
	ReasonProof               Reason = "proof"                // an inclusion proof does not verify
	ReasonWrongSitting        Reason = "wrong-sitting"        // a bundle entry belongs to another sitting
	ReasonFileUnexpected      Reason = "file-unexpected"      // a bundle holds a file no entry references
	ReasonKeyMismatch         Reason = "key-mismatch"         // the bundle's key is not the one the auditor trusts
	ReasonBundleFormat        Reason = "bundle-format"        // the bundle is not laid out as Export writes it
)

// Problem is one thing verification found wrong.
type Problem struct {
	// Index is the entry at fault, or -1 when the problem is not about one
	// entry (a checkpoint, a stored record).
	Index int64
	// From and To, for a checkpoint whose root does not match, bound the
	// entries [From, To) of which at least one was changed.
	From, To int64
	// Checkpoint is the checkpoint number involved, or 0.
	Checkpoint int64
	// Path is the file involved, if any.
	Path string
	// Reason says what is wrong.
	Reason Reason
	// Detail gives the particulars, in English, for logs and experts.
	Detail string
}

// String is the problem in English, for logs.
func (p Problem) String() string {
	if p.Index >= 0 {
		return fmt.Sprintf("entry %d: %s: %s", p.Index, p.Reason, p.Detail)
	}
	return fmt.Sprintf("%s: %s", p.Reason, p.Detail)
}

// Message is the problem for a person, in lang.
func (p Problem) Message(c *i18n.Catalogue, lang i18n.Lang) string {
	args := i18n.Args{
		"index": fmt.Sprint(p.Index), "from": fmt.Sprint(p.From), "to": fmt.Sprint(p.To),
		"checkpoint": fmt.Sprint(p.Checkpoint), "path": p.Path, "detail": p.Detail,
	}
	return c.Text(lang, reasonKey(p.Reason), args)
}

func reasonKey(r Reason) i18n.Key {
	switch r {
	case ReasonEntryMissing:
		return i18n.Key("audit.reason.entry_missing")
	case ReasonEntryChanged:
		return i18n.Key("audit.reason.entry_changed")
	case ReasonEntryMoved:
		return i18n.Key("audit.reason.entry_moved")
	case ReasonEntryInvalid:
		return i18n.Key("audit.reason.entry_invalid")
	case ReasonTreeChanged:
		return i18n.Key("audit.reason.tree_changed")
	case ReasonSittingChain:
		return i18n.Key("audit.reason.sitting_chain")
	case ReasonSittingIndex:
		return i18n.Key("audit.reason.sitting_index")
	case ReasonSizeRecord:
		return i18n.Key("audit.reason.size_record")
	case ReasonCheckpointSignature:
		return i18n.Key("audit.reason.checkpoint_signature")
	case ReasonCheckpointRoot:
		return i18n.Key("audit.reason.checkpoint_root")
	case ReasonCheckpointBeyond:
		return i18n.Key("audit.reason.checkpoint_beyond")
	case ReasonCheckpointOrder:
		return i18n.Key("audit.reason.checkpoint_order")
	case ReasonFileMissing:
		return i18n.Key("audit.reason.file_missing")
	case ReasonFileChanged:
		return i18n.Key("audit.reason.file_changed")
	case ReasonProof:
		return i18n.Key("audit.reason.proof")
	case ReasonWrongSitting:
		return i18n.Key("audit.reason.wrong_sitting")
	case ReasonFileUnexpected:
		return i18n.Key("audit.reason.file_unexpected")
	case ReasonKeyMismatch:
		return i18n.Key("audit.reason.key_mismatch")
	default:
		return i18n.Key("audit.reason.bundle_format")
	}
}

// maxProblems bounds a report: after the first few the rest add nothing
// an auditor needs, and a wrecked log must not exhaust memory.
const maxProblems = 1000

// Report is the result of Verify or VerifyBundle.
type Report struct {
	// Checked is false when verification could not run at all (no key,
	// unreadable database or bundle); Err then says why. A report that was
	// not checked is never OK.
	Checked bool
	// Err is why verification could not run, when Checked is false.
	Err error
	// Entries is how many entries were checked.
	Entries int64
	// Checkpoints is how many checkpoints were checked.
	Checkpoints int
	// Latest is the newest valid checkpoint the entries were checked against.
	Latest *Checkpoint
	// Files is how many referenced files were hashed and matched.
	Files int
	// Deleted lists files that are absent because a retention entry
	// deleted them: path → index of that retention entry.
	Deleted map[string]int64
	// Sitting is the bundle's sitting (VerifyBundle only).
	Sitting string
	// KeyName and KeyHash identify the key checkpoints were verified with.
	KeyName string
	KeyHash uint32
	// Problems are what failed, first entry first (see First). At most
	// 1000 are kept; Truncated says when more were found.
	Problems  []Problem
	Truncated bool
}

// OK reports whether everything was checked and nothing failed.
func (r *Report) OK() bool { return r.Checked && r.Err == nil && len(r.Problems) == 0 }

// First returns the problem that names the first failing entry: the one
// with the lowest entry index; if no problem names a single entry, the
// first problem found. It returns nil for a clean report.
func (r *Report) First() *Problem {
	var best *Problem
	for i := range r.Problems {
		p := &r.Problems[i]
		if p.Index >= 0 && (best == nil || best.Index < 0 || p.Index < best.Index) {
			best = p
		}
	}
	if best == nil && len(r.Problems) > 0 {
		best = &r.Problems[0]
	}
	return best
}

func (r *Report) add(p Problem) {
	if len(r.Problems) >= maxProblems {
		r.Truncated = true
		return
	}
	r.Problems = append(r.Problems, p)
}

func (r *Report) sortProblems() {
	sort.SliceStable(r.Problems, func(i, j int) bool {
		a, b := r.Problems[i], r.Problems[j]
		if (a.Index < 0) != (b.Index < 0) {
			return a.Index >= 0
		}
		return a.Index < b.Index
	})
}
