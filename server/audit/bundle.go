package audit

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Names of the members of a bundle (a tar file), in the order Export
// writes them. Evidence and recording files follow under FilesPrefix, at
// their path relative to the data directory.
const (
	BundleCheckpoint = "checkpoint.note"
	BundleKey        = "audit.pub"
	BundleEntries    = "entries.jsonl"
	FilesPrefix      = "files/"
)

// Limits a bundle reader enforces, so that a hostile bundle cannot make
// the verifier allocate without bound.
const (
	maxBundleMembers = 100000
	maxSmallMember   = 64 << 10
	maxEntriesMember = 256 << 20
	maxLine          = MaxEntrySize*2 + 64<<10
)

// BundleLine is one line of entries.jsonl: an entry, its index and its
// inclusion proof against the bundle's checkpoint.
type BundleLine struct {
	// Index is the entry's position in the log.
	Index int64 `json:"index"`
	// Entry is the entry's canonical bytes, exactly as the tree hashed them.
	Entry json.RawMessage `json:"entry"`
	// Proof is the RFC 6962 inclusion proof of Entry at Index.
	Proof tlog.RecordProof `json:"proof"`
}

// Export writes a self-contained bundle of one sitting to w: a tar file with
// a signed checkpoint (made now if the newest does not cover the log), the
// verifier key, the sitting's entries with their inclusion proofs, and every
// evidence and recording file they reference that retention has not
// deleted. VerifyBundle checks it with nothing else.
//
// Export fails, naming the file, if a file on disk no longer matches its
// entry: run Verify to see what else was changed.
func (l *Log) Export(ctx context.Context, sitting string, w io.Writer) error {
	if l.dataDir == "" {
		return errors.New("audit: export: Options.DataDir is not set")
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("audit: export %s: %w", sitting, err)
	}
	var lines []BundleLine
	var refs []FileRef
	err = l.db.View(func(tx *bbolt.Tx) error {
		recs, err := sittingRecords(tx, sitting)
		if err != nil {
			return err
		}
		deleted := map[string]bool{}
		seen := map[string]bool{}
		for _, rec := range recs {
			if rec.Index >= cp.Size {
				break // appended after the checkpoint; the next export has them
			}
			proof, err := tlog.ProveRecord(cp.Size, rec.Index, hashReader(tx))
			if err != nil {
				return fmt.Errorf("prove entry %d: %w", rec.Index, err)
			}
			lines = append(lines, BundleLine{Index: rec.Index, Entry: rec.Raw, Proof: proof})
			for _, f := range rec.Entry.Files {
				if !seen[f.Path] {
					seen[f.Path] = true
					refs = append(refs, f)
				}
			}
			if rec.Entry.Kind == KindRetention {
				var rd RetentionData
				if err := json.Unmarshal(rec.Entry.Data, &rd); err == nil {
					for _, f := range rd.Deleted {
						deleted[f.Path] = true
					}
				}
			}
		}
		kept := refs[:0]
		for _, f := range refs {
			if deleted[f.Path] {
				if _, err := os.Stat(filepath.Join(l.dataDir, filepath.FromSlash(f.Path))); err != nil {
					continue
				}
			}
			kept = append(kept, f)
		}
		refs = kept
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: export %s: %w", sitting, err)
	}
	if len(lines) == 0 {
		return fmt.Errorf("audit: export: %w: sitting %s has no entries", ErrNotFound, sitting)
	}
	var jsonl bytes.Buffer
	for _, ln := range lines {
		b, err := json.Marshal(ln)
		if err != nil {
			return fmt.Errorf("audit: export: encode entry %d: %w", ln.Index, err)
		}
		jsonl.Write(b)
		jsonl.WriteByte('\n')
	}
	tw := tar.NewWriter(w)
	small := []struct {
		name string
		data []byte
	}{
		{BundleCheckpoint, cp.Signed},
		{BundleKey, []byte(l.keys.VerifierKey + "\n")},
		{BundleEntries, jsonl.Bytes()},
	}
	for _, m := range small {
		hdr := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), ModTime: cp.Time, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("audit: export: write %s: %w", m.name, err)
		}
		if _, err := tw.Write(m.data); err != nil {
			return fmt.Errorf("audit: export: write %s: %w", m.name, err)
		}
	}
	for _, f := range refs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		if err := exportFile(tw, l.dataDir, f, cp); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("audit: export: finish tar: %w", err)
	}
	return nil
}

func exportFile(tw *tar.Writer, dataDir string, f FileRef, cp Checkpoint) error {
	name := filepath.Join(dataDir, filepath.FromSlash(f.Path))
	fh, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("%w: file %s referenced by the log: %w", ErrCorrupt, f.Path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", f.Path, err)
	}
	if st.Size() != f.Size {
		return fmt.Errorf("%w: file %s has %d bytes, the log recorded %d", ErrCorrupt, f.Path, st.Size(), f.Size)
	}
	hdr := &tar.Header{Name: FilesPrefix + f.Path, Mode: 0o644, Size: f.Size, ModTime: cp.Time, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(fh, f.Size)); err != nil {
		return fmt.Errorf("copy %s: %w", f.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%w: file %s has SHA-256 %s, the log recorded %s", ErrCorrupt, f.Path, got, f.SHA256)
	}
	return nil
}

// BundleOptions tunes VerifyBundle.
type BundleOptions struct {
	// TrustedKey, if set, is the verifier key the auditor obtained
	// independently (e.g. published by the operator). The checkpoint is
	// then verified with it and a bundle carrying another key fails.
	// Without it the bundle's own key is used, and the report names it so
	// the auditor can compare it with the published one.
	TrustedKey string
}

type bundleFile struct {
	sha  string
	size int64
}

// VerifyBundle checks a bundle written by Export using nothing but its
// contents (and opts.TrustedKey, if given): the checkpoint's signature,
// every entry's canonical form and inclusion proof, that the entries are
// one sitting's complete chain up to the checkpoint, and every file's
// SHA-256. Report.First names the first failing entry.
func VerifyBundle(r io.Reader, opts BundleOptions) Report {
	rep := Report{Deleted: map[string]int64{}}
	tr := tar.NewReader(r)
	var cpBytes, keyBytes, entriesBytes []byte
	files := map[string]bundleFile{}
	members := 0
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rep.Err = fmt.Errorf("%w: read tar: %w", ErrBadBundle, err)
			return rep
		}
		members++
		if members > maxBundleMembers {
			rep.Err = fmt.Errorf("%w: more than %d members", ErrBadBundle, maxBundleMembers)
			return rep
		}
		if seen[hdr.Name] {
			rep.add(Problem{Index: -1, Path: hdr.Name, Reason: ReasonBundleFormat, Detail: fmt.Sprintf("%q appears twice", hdr.Name)})
			continue
		}
		seen[hdr.Name] = true
		if sparse(hdr) {
			// A sparse member expands to as many zero bytes as its header
			// claims; Export never writes one, and hashing exabytes of
			// zeros would stall the verifier.
			rep.add(Problem{Index: -1, Path: hdr.Name, Reason: ReasonBundleFormat, Detail: fmt.Sprintf("%q is a sparse file", hdr.Name)})
			continue
		}
		if hdr.Typeflag != tar.TypeReg {
			rep.add(Problem{Index: -1, Path: hdr.Name, Reason: ReasonBundleFormat, Detail: fmt.Sprintf("%q is not a regular file", hdr.Name)})
			continue
		}
		switch {
		case hdr.Name == BundleCheckpoint:
			cpBytes, err = readLimited(tr, maxSmallMember, hdr.Name)
		case hdr.Name == BundleKey:
			keyBytes, err = readLimited(tr, maxSmallMember, hdr.Name)
		case hdr.Name == BundleEntries:
			entriesBytes, err = readLimited(tr, maxEntriesMember, hdr.Name)
		case strings.HasPrefix(hdr.Name, FilesPrefix):
			p := strings.TrimPrefix(hdr.Name, FilesPrefix)
			if perr := CheckPath(p); perr != nil {
				rep.add(Problem{Index: -1, Path: hdr.Name, Reason: ReasonBundleFormat, Detail: perr.Error()})
				continue
			}
			h := sha256.New()
			n, cerr := io.Copy(h, tr)
			if cerr != nil {
				err = fmt.Errorf("%w: read %s: %w", ErrBadBundle, hdr.Name, cerr)
			}
			files[p] = bundleFile{sha: hex.EncodeToString(h.Sum(nil)), size: n}
		default:
			rep.add(Problem{Index: -1, Path: hdr.Name, Reason: ReasonBundleFormat, Detail: fmt.Sprintf("unknown member %q", hdr.Name)})
		}
		if err != nil {
			rep.Err = err
			return rep
		}
	}
	if keyBytes == nil || cpBytes == nil || entriesBytes == nil {
		rep.Err = fmt.Errorf("%w: %s, %s and %s are required", ErrBadBundle, BundleCheckpoint, BundleKey, BundleEntries)
		return rep
	}

	keyText := string(keyBytes)
	if opts.TrustedKey != "" {
		if !sameKey(opts.TrustedKey, keyText) {
			rep.add(Problem{Index: -1, Reason: ReasonKeyMismatch, Detail: "the bundle's key is not the trusted key; the trusted key is used"})
		}
		keyText = opts.TrustedKey
	}
	keys, err := ParseVerifierKey(keyText)
	if err != nil {
		rep.Err = err
		return rep
	}
	rep.KeyName, rep.KeyHash = keys.Verifier.Name(), keys.Verifier.KeyHash()
	cp, err := OpenCheckpoint(cpBytes, keys.Verifier)
	cpOK := err == nil
	if !cpOK {
		rep.add(Problem{Index: -1, Reason: ReasonCheckpointSignature, Detail: err.Error()})
	} else {
		rep.Latest = &cp
		rep.Checkpoints = 1
	}

	expected := map[string]fileRefAt{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(entriesBytes))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	prevIndex := int64(-1)
	line := 0
	for sc.Scan() {
		line++
		var bl BundleLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&bl); err != nil || dec.More() || bl.Index < 0 {
			rep.add(Problem{Index: -1, Reason: ReasonBundleFormat, Detail: fmt.Sprintf("entries.jsonl line %d is not an entry line", line)})
			continue
		}
		rep.Entries++
		if bl.Index <= prevIndex {
			rep.add(Problem{Index: bl.Index, Reason: ReasonEntryMoved, Detail: fmt.Sprintf("entries out of order: %d after %d", bl.Index, prevIndex)})
		}
		e, derr := Decode(bl.Entry)
		if derr != nil {
			rep.add(Problem{Index: bl.Index, Reason: ReasonEntryInvalid, Detail: derr.Error()})
		}
		if cpOK {
			if err := CheckInclusion(cp, bl.Index, bl.Entry, bl.Proof); err != nil {
				rep.add(Problem{Index: bl.Index, Checkpoint: cp.Number, Reason: ReasonProof, Detail: err.Error()})
			}
		}
		if derr == nil {
			if rep.Sitting == "" {
				rep.Sitting = e.Sitting
			}
			switch {
			case e.Sitting != rep.Sitting || e.Sitting == "":
				rep.add(Problem{Index: bl.Index, Reason: ReasonWrongSitting, Detail: fmt.Sprintf("entry of sitting %q in a bundle of sitting %q", e.Sitting, rep.Sitting)})
			case e.Prev != prevIndex:
				rep.add(Problem{Index: bl.Index, Reason: ReasonSittingChain,
					Detail: fmt.Sprintf("the sitting's previous entry is %d, but the bundle's previous entry is %d: an entry was left out", e.Prev, prevIndex)})
			}
			for _, f := range e.Files {
				if _, ok := expected[f.Path]; !ok {
					expected[f.Path] = fileRefAt{index: bl.Index, ref: f}
					order = append(order, f.Path)
				}
			}
			if e.Kind == KindRetention {
				var rd RetentionData
				if err := json.Unmarshal(e.Data, &rd); err == nil {
					for _, f := range rd.Deleted {
						if _, ok := rep.Deleted[f.Path]; !ok {
							rep.Deleted[f.Path] = bl.Index
						}
					}
				}
			}
		}
		prevIndex = max(prevIndex, bl.Index)
	}
	if err := sc.Err(); err != nil {
		rep.add(Problem{Index: -1, Reason: ReasonBundleFormat, Detail: fmt.Sprintf("entries.jsonl after line %d: %v", line, err)})
	}
	if rep.Entries == 0 {
		rep.add(Problem{Index: -1, Reason: ReasonBundleFormat, Detail: "the bundle has no entries"})
	}

	for _, p := range order {
		want := expected[p]
		got, ok := files[p]
		switch {
		case !ok:
			if by, del := rep.Deleted[p]; del && by > want.index {
				continue
			}
			rep.add(Problem{Index: want.index, Path: p, Reason: ReasonFileMissing, Detail: p + " is not in the bundle and no retention entry deleted it"})
		case got.sha != want.ref.SHA256 || got.size != want.ref.Size:
			rep.add(Problem{Index: want.index, Path: p, Reason: ReasonFileChanged,
				Detail: fmt.Sprintf("%s: SHA-256 %s, %d bytes; the entry recorded %s, %d bytes", p, got.sha, got.size, want.ref.SHA256, want.ref.Size)})
		default:
			rep.Files++
			delete(rep.Deleted, p) // present after all
		}
	}
	extra := make([]string, 0)
	for p := range files {
		if _, ok := expected[p]; !ok {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	for _, p := range extra {
		rep.add(Problem{Index: -1, Path: p, Reason: ReasonFileUnexpected, Detail: p + " is in the bundle but no entry references it"})
	}
	rep.Checked = true
	rep.sortProblems()
	return rep
}

func sparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func readLimited(r io.Reader, limit int64, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrBadBundle, name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadBundle, name, limit)
	}
	return b, nil
}
