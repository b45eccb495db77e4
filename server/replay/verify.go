package replay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/web"
)

// Reasons a sitting fails verification besides the audit package's own
// (audit.Reason*): the store's records, which the timeline shows, must be
// exactly what the log holds.
const (
	// ReasonRecordChanged: a record differs from its log entry.
	ReasonRecordChanged audit.Reason = "record-changed"
	// ReasonRecordNotLogged: a record has no log entry (it was written
	// into the store behind the log's back).
	ReasonRecordNotLogged audit.Reason = "record-not-logged"
	// ReasonRecordMissing: a log entry's record is gone from the store.
	ReasonRecordMissing audit.Reason = "record-missing"
)

// CheckpointView is a signed checkpoint as the API shows it.
type CheckpointView struct {
	Number int64 `json:"number"`
	Size   int64 `json:"size"`
	// Root is the tree's root hash, base64.
	Root string    `json:"root"`
	Time time.Time `json:"time"`
	// Signed is the signed note (text and signature lines), which anyone
	// can check with Key.
	Signed string `json:"signed"`
	// Key is the log's verifier key in note format.
	Key string `json:"key"`
}

// Problem is the first thing verification found wrong.
type Problem struct {
	// Index is the log entry at fault, or -1.
	Index int64 `json:"index"`
	// Record is the sitting's record at fault, if the problem is about one.
	Record uint64       `json:"record,omitempty"`
	Reason audit.Reason `json:"reason"`
	Path   string       `json:"path,omitempty"`
	// Detail is in English, for experts and logs.
	Detail string `json:"detail"`
	// Message is the problem for a person, in each language.
	Message map[i18n.Lang]string `json:"message"`
}

// Verification is the result of checking one sitting against a signed
// checkpoint.
type Verification struct {
	// OK: everything was checked and nothing failed.
	OK bool `json:"ok"`
	// Checked is false when verification could not run (Error says why);
	// such a result is never OK.
	Checked bool   `json:"checked"`
	Error   string `json:"error,omitempty"`
	// Checkpoint is the signed checkpoint the sitting was verified against.
	Checkpoint *CheckpointView `json:"checkpoint,omitempty"`
	// Entries, Files and Records count what was checked; Deleted counts
	// files absent because their retention period ended (logged).
	Entries int `json:"entries"`
	Files   int `json:"files"`
	Records int `json:"records"`
	Deleted int `json:"deleted"`
	// Problem is the first problem (lowest entry); Problems counts all.
	Problem  *Problem `json:"problem,omitempty"`
	Problems int      `json:"problems"`
	// WholeLog is set when the sitting's entries could not be read on
	// their own and the whole log was verified to name the entry at fault.
	WholeLog bool `json:"whole_log,omitempty"`
}

func (m *Module) view(cp audit.Checkpoint) *CheckpointView {
	return &CheckpointView{Number: cp.Number, Size: cp.Size, Root: base64.StdEncoding.EncodeToString(cp.Root[:]), Time: cp.Time.UTC(),
		Signed: string(cp.Signed), Key: m.verifierKey()}
}

// keysDir is where the log's keys are: the configured -audit-keys, else
// the demo default in the data directory.
func (m *Module) keysDir() string {
	if m.cfg.AuditKeys != "" {
		return m.cfg.AuditKeys
	}
	return audit.KeysDir(m.cfg.DataDir, "")
}

// verifierKey reads the log's public key from the data directory.
func (m *Module) verifierKey() string {
	k, err := audit.LoadVerifierKey(m.keysDir())
	if err != nil {
		return ""
	}
	return k.VerifierKey
}

// covering returns a signed checkpoint that covers every one of entries:
// the newest one, or, if the sitting has entries after it, one signed now
// (the log publishes checkpoints on demand).
func (m *Module) covering(ctx context.Context, entries []audit.Record) (audit.Checkpoint, error) {
	cp, err := m.cfg.Log.LatestCheckpoint()
	if err != nil && !errors.Is(err, audit.ErrEmptyLog) {
		return cp, err
	}
	need := int64(0)
	if len(entries) > 0 {
		need = entries[len(entries)-1].Index + 1
	}
	if err == nil && cp.Size >= need && need > 0 {
		return cp, nil
	}
	return m.cfg.Log.Checkpoint(ctx)
}

// problem makes a Problem with its message in every language.
func (m *Module) problem(p audit.Problem, record uint64) *Problem {
	out := &Problem{Index: p.Index, Record: record, Reason: p.Reason, Path: p.Path, Detail: p.Detail, Message: map[i18n.Lang]string{}}
	for _, l := range i18n.Langs() {
		switch p.Reason {
		case ReasonRecordChanged:
			out.Message[l] = m.cfg.Catalogue.Text(l, i18n.Key("replay.reason.record_changed"), i18n.Args{"record": strconv.FormatUint(record, 10), "index": strconv.FormatInt(p.Index, 10)})
		case ReasonRecordNotLogged:
			out.Message[l] = m.cfg.Catalogue.Text(l, i18n.Key("replay.reason.record_not_logged"), i18n.Args{"record": strconv.FormatUint(record, 10)})
		case ReasonRecordMissing:
			out.Message[l] = m.cfg.Catalogue.Text(l, i18n.Key("replay.reason.record_missing"), i18n.Args{"index": strconv.FormatInt(p.Index, 10)})
		default:
			out.Message[l] = p.Message(m.cfg.Catalogue, l)
		}
	}
	return out
}

// found collects problems and keeps the first by entry index.
type found struct {
	list []*Problem
}

// add keeps p unless the same problem is known (the whole log's check
// finds again what the sitting's own check found).
func (f *found) add(p *Problem) {
	for _, q := range f.list {
		if q.Index == p.Index && q.Reason == p.Reason && q.Path == p.Path && q.Record == p.Record {
			return
		}
	}
	f.list = append(f.list, p)
}

func (f *found) first() *Problem {
	if len(f.list) == 0 {
		return nil
	}
	return slices.MinFunc(f.list, func(a, b *Problem) int {
		ai, bi := a.Index, b.Index
		if ai < 0 {
			ai = 1<<62 + int64(a.Record)
		}
		if bi < 0 {
			bi = 1<<62 + int64(b.Record)
		}
		switch {
		case ai < bi:
			return -1
		case ai > bi:
			return 1
		}
		return 0
	})
}

// VerifySitting checks one sitting against a signed checkpoint that covers
// it: every entry's inclusion proof against the checkpoint's signed root
// (which catches any changed, moved or inserted entry), every evidence and
// recording file against the hash its entry holds (a file deleted by a
// logged retention entry is accepted), and every record of the sitting's
// feed against its log entry, both ways, since the timeline shows the
// records.
//
// When something fails, or the sitting's chain of entries cannot be read
// at all (an entry removed or damaged beyond parsing), the whole log is
// verified in place as well, so that the problem reported is the first
// entry at fault, not the first one the sitting's chain happens to reach
// (after a swap, the chain skips the entry that was moved away).
func (m *Module) VerifySitting(ctx context.Context, id protocol.SittingID) Verification {
	entries, err := m.cfg.Log.Entries(string(id))
	if err != nil {
		return m.verifyWhole(ctx, id, nil, &found{}, err)
	}
	cp, err := m.covering(ctx, entries)
	if err != nil {
		return Verification{Error: fmt.Sprintf("no signed checkpoint to verify against: %v", err)}
	}
	v := Verification{Checked: true, Checkpoint: m.view(cp), Entries: len(entries)}
	// The checkpoint's signature, with the key from the data directory,
	// not only the one the log loaded.
	if keys, err := audit.LoadVerifierKey(m.keysDir()); err != nil {
		return Verification{Error: fmt.Sprintf("read the log's public key: %v", err)}
	} else if _, err := audit.OpenCheckpoint(cp.Signed, keys.Verifier); err != nil {
		return m.finish(v, &found{list: []*Problem{m.problem(audit.Problem{Index: -1, Checkpoint: cp.Number, Reason: audit.ReasonCheckpointSignature, Detail: err.Error()}, 0)}})
	}
	var f found
	type fileAt struct {
		index int64
		ref   audit.FileRef
	}
	var files []fileAt
	deleted := map[string]int64{}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return Verification{Error: err.Error()}
		}
		proof, err := m.cfg.Log.InclusionProof(e.Index, cp.Size)
		if err == nil {
			err = audit.CheckInclusion(cp, e.Index, e.Raw, proof)
		}
		if err != nil {
			f.add(m.problem(audit.Problem{Index: e.Index, Checkpoint: cp.Number, Reason: audit.ReasonProof, Detail: err.Error()}, 0))
		}
		// Every entry that names a file is compared with it, not only the
		// first: a later entry may record another hash or size.
		for _, ref := range e.Entry.Files {
			files = append(files, fileAt{e.Index, ref})
		}
		if e.Entry.Kind == audit.KindRetention {
			var rd audit.RetentionData
			if json.Unmarshal(e.Entry.Data, &rd) == nil {
				for _, ref := range rd.Deleted {
					if _, ok := deleted[ref.Path]; !ok {
						deleted[ref.Path] = e.Index
					}
				}
			}
		}
	}
	// Each file is hashed once; every entry naming it is compared with
	// that hash and size.
	type hashed struct {
		sum string
		n   int64
		err error
	}
	hashes := map[string]hashed{}
	bad, gone := map[string]bool{}, map[string]bool{}
	for _, fa := range files {
		if err := ctx.Err(); err != nil {
			return Verification{Error: err.Error()}
		}
		h, ok := hashes[fa.ref.Path]
		if !ok {
			name := filepath.Join(m.cfg.DataDir, filepath.FromSlash(fa.ref.Path))
			h.sum, h.n, h.err = hashFile(ctx, name)
			hashes[fa.ref.Path] = h
		}
		sum, n, err := h.sum, h.n, h.err
		switch {
		case errors.Is(err, os.ErrNotExist):
			if by, ok := deleted[fa.ref.Path]; ok && by > fa.index {
				if !gone[fa.ref.Path] {
					gone[fa.ref.Path] = true
					v.Deleted++
				}
				continue
			}
			f.add(m.problem(audit.Problem{Index: fa.index, Path: fa.ref.Path, Reason: audit.ReasonFileMissing, Detail: fa.ref.Path + " is gone and no retention entry deleted it"}, 0))
		case err != nil:
			return Verification{Error: fmt.Sprintf("read %s: %v", fa.ref.Path, err)}
		case sum != fa.ref.SHA256 || n != fa.ref.Size:
			bad[fa.ref.Path] = true
			f.add(m.problem(audit.Problem{Index: fa.index, Path: fa.ref.Path, Reason: audit.ReasonFileChanged,
				Detail: fmt.Sprintf("%s: SHA-256 %s, %d bytes; the entry recorded %s, %d bytes", fa.ref.Path, sum, n, fa.ref.SHA256, fa.ref.Size)}, 0))
		}
	}
	for p, h := range hashes {
		if h.err == nil && !bad[p] {
			v.Files++
		}
	}
	recs, err := m.sittingRecords(id)
	if err != nil {
		return Verification{Error: err.Error()}
	}
	v.Records = len(recs)
	m.crossCheck(recs, entries, &f)
	if len(f.list) > 0 {
		return m.verifyWhole(ctx, id, &v, &f, nil)
	}
	return m.finish(v, &f)
}

// crossCheck compares the sitting's records with their log entries: each
// record must have an entry holding exactly its content and time, and each
// event, action or verdict entry must have its record.
func (m *Module) crossCheck(recs []protocol.Record, entries []audit.Record, f *found) {
	byKey := map[string]audit.Record{}
	for _, e := range entries {
		if k := entryKeyOf(e.Entry); k != "" {
			if _, dup := byKey[k]; !dup {
				byKey[k] = e
			}
		}
	}
	matched := map[int64]bool{}
	for _, r := range recs {
		k := entryKey(r)
		e, ok := byKey[k]
		if !ok {
			f.add(m.problem(audit.Problem{Index: -1, Reason: ReasonRecordNotLogged, Detail: fmt.Sprintf("record %d (%s) has no log entry", r.N, k)}, r.N))
			continue
		}
		matched[e.Index] = true
		var body any = r.Event
		if r.Action != nil {
			body = r.Action
		}
		want, err := json.Marshal(body)
		if err != nil || !bytes.Equal(want, e.Entry.Data) || !e.Entry.Time.Equal(r.Received) {
			f.add(m.problem(audit.Problem{Index: e.Index, Reason: ReasonRecordChanged,
				Detail: fmt.Sprintf("record %d differs from log entry %d (content or time)", r.N, e.Index)}, r.N))
		}
	}
	for _, e := range entries {
		if entryKeyOf(e.Entry) != "" && !matched[e.Index] {
			f.add(m.problem(audit.Problem{Index: e.Index, Reason: ReasonRecordMissing, Detail: fmt.Sprintf("log entry %d has no record in the store", e.Index)}, 0))
		}
	}
}

func (m *Module) finish(v Verification, f *found) Verification {
	v.Problems = len(f.list)
	v.Problem = f.first()
	v.OK = v.Checked && v.Problems == 0
	return v
}

// verifyWhole verifies the whole log in place and adds its problems about
// the sitting's entries to f: those of entries that belong to the sitting
// or cannot be read at all (they may have), and those about no one entry.
// partial is the sitting's own verification, or nil if the sitting's
// entries could not be read (cause says why).
func (m *Module) verifyWhole(ctx context.Context, id protocol.SittingID, partial *Verification, f *found, cause error) Verification {
	rep := audit.Verify(ctx, m.cfg.Store.DB(), m.cfg.DataDir)
	v := Verification{Checked: rep.Checked, Entries: int(rep.Entries), Files: rep.Files, Deleted: len(rep.Deleted)}
	if partial != nil {
		v = *partial
	}
	v.WholeLog = true
	if !rep.Checked {
		if partial != nil {
			return m.finish(v, f)
		}
		v.Error = fmt.Sprintf("the sitting's entries cannot be read (%v) and the log cannot be verified: %v", cause, rep.Err)
		return v
	}
	if v.Checkpoint == nil && rep.Latest != nil {
		v.Checkpoint = m.view(*rep.Latest)
	}
	for _, p := range rep.Problems {
		if p.Index < 0 || m.belongs(id, p.Index) {
			f.add(m.problem(p, 0))
		}
	}
	if len(f.list) == 0 {
		// The chain could not be read, yet the whole log verifies: say so.
		f.add(m.problem(audit.Problem{Index: -1, Reason: audit.ReasonSittingChain, Detail: fmt.Sprint(cause)}, 0))
	}
	return m.finish(v, f)
}

// belongs reports whether log entry index is the sitting's, or cannot be
// read well enough to tell.
func (m *Module) belongs(id protocol.SittingID, index int64) bool {
	e, err := m.cfg.Log.Entry(index)
	return err != nil || e.Entry.Sitting == string(id)
}

// hashFile returns the SHA-256 and length of a file, stopping if ctx ends.
func hashFile(ctx context.Context, name string) (string, int64, error) {
	fh, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, fh})
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ctxReader stops a long read (a large recording) when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (m *Module) verify(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	v := m.VerifySitting(r.Context(), st.ID)
	if v.Problem != nil {
		m.log.Warn("sitting fails verification", "sitting", st.ID, "entry", v.Problem.Index, "record", v.Problem.Record, "reason", v.Problem.Reason)
	}
	web.WriteJSON(w, http.StatusOK, v)
	return nil
}

// ---- proofs and checkpoints ----

// ProofLine is one entry of the sitting with its inclusion proof.
type ProofLine struct {
	Index int64 `json:"index"`
	// Entry is the entry's exact canonical bytes (base64), which the
	// tree hashes: tlog.RecordHash(Entry) is the leaf.
	Entry []byte `json:"entry"`
	// Proof proves the leaf is at Index in the checkpoint's tree.
	Proof tlog.RecordProof `json:"proof"`
}

// Proofs is every entry of a sitting with its inclusion proof against one
// signed checkpoint: enough to check the sitting's log with nothing but
// the log's public key.
type Proofs struct {
	Checkpoint *CheckpointView `json:"checkpoint"`
	Entries    []ProofLine     `json:"entries"`
}

func (m *Module) proofs(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	entries, err := m.cfg.Log.Entries(string(st.ID))
	if err != nil {
		return web.Errorf(http.StatusConflict, "log_damaged", string(i18n.Key("replay.error.log_damaged")),
			"the sitting's log entries cannot be read (%v): verify the sitting to see the entry at fault", err)
	}
	if len(entries) == 0 {
		return web.Errorf(http.StatusNotFound, "not_found", string(i18n.Key("replay.error.no_entries")), "the sitting has no log entries yet")
	}
	cp, err := m.covering(r.Context(), entries)
	if err != nil {
		return err
	}
	out := Proofs{Checkpoint: m.view(cp), Entries: make([]ProofLine, 0, len(entries))}
	for _, e := range entries {
		p, err := m.cfg.Log.InclusionProof(e.Index, cp.Size)
		if err != nil {
			return err
		}
		out.Entries = append(out.Entries, ProofLine{Index: e.Index, Entry: e.Raw, Proof: p})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// CheckpointAnswer is the latest signed checkpoint and, when asked for
// with ?from=SIZE, the proof that it extends the tree of that size.
type CheckpointAnswer struct {
	Checkpoint  *CheckpointView `json:"checkpoint"`
	From        int64           `json:"from,omitempty"`
	Consistency tlog.TreeProof  `json:"consistency,omitempty"`
}

func (m *Module) checkpoint(w http.ResponseWriter, r *http.Request) error {
	cp, err := m.cfg.Log.LatestCheckpoint()
	if errors.Is(err, audit.ErrEmptyLog) {
		return web.Errorf(http.StatusNotFound, "not_found", string(i18n.Key("replay.error.no_checkpoint")), "the log has no checkpoint yet")
	}
	if err != nil {
		return err
	}
	out := CheckpointAnswer{Checkpoint: m.view(cp)}
	if s := r.URL.Query().Get("from"); s != "" {
		from, err := strconv.ParseInt(s, 10, 64)
		if err != nil || from < 1 || from > cp.Size {
			return web.Errorf(http.StatusBadRequest, "invalid", "", "from=%q: give a tree size from 1 to %d (an earlier checkpoint's size)", s, cp.Size)
		}
		p, err := m.cfg.Log.ConsistencyProof(from, cp.Size)
		if err != nil {
			return err
		}
		out.From, out.Consistency = from, p
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// ---- recordings ----

// recording streams one recording segment of the sitting with
// http.ServeContent, which answers Range requests, so the browser seeks.
// Only files the sitting's log entries name are served.
func (m *Module) recording(w http.ResponseWriter, r *http.Request) error {
	st, err := m.sitting(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	entries, err := m.cfg.Log.Entries(string(st.ID))
	if err != nil {
		return web.Errorf(http.StatusConflict, "log_damaged", string(i18n.Key("replay.error.log_damaged")),
			"the sitting's log entries cannot be read (%v): verify the sitting to see the entry at fault", err)
	}
	tl := buildTimeline(SittingBrief{ID: st.ID}, nil, entries, nil)
	for _, rec := range tl.Recordings {
		if rec.Name != name {
			continue
		}
		if rec.Deleted {
			return web.Errorf(http.StatusGone, "deleted", string(i18n.Key("replay.error.recording_deleted")),
				"the recording was deleted when its retention period ended (log entry %d)", rec.DeletedBy)
		}
		var ref audit.FileRef
		if e := entryAt(entries, rec.Entry); e != nil && len(e.Entry.Files) > 0 {
			ref = e.Entry.Files[0]
		}
		f, err := os.Open(filepath.Join(m.cfg.DataDir, filepath.FromSlash(ref.Path)))
		if errors.Is(err, os.ErrNotExist) {
			return web.Errorf(http.StatusNotFound, "not_found", string(i18n.Key("replay.error.recording_missing")),
				"the recording file of log entry %d is missing; verify the sitting", rec.Entry)
		}
		if err != nil {
			return err
		}
		defer f.Close()
		w.Header().Set("Content-Type", "video/webm")
		w.Header().Set("Cache-Control", "private, max-age=3600")
		http.ServeContent(w, r, rec.Name, rec.End, f)
		return nil
	}
	return web.Errorf(http.StatusNotFound, "not_found", string(i18n.Key("replay.error.recording_missing")), "the sitting has no recording %q", name)
}

func entryAt(entries []audit.Record, index int64) *audit.Record {
	for i := range entries {
		if entries[i].Index == index {
			return &entries[i]
		}
	}
	return nil
}
