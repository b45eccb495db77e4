package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.etcd.io/bbolt"
)

// DefaultRetention is how long evidence and recordings are kept when the
// configuration does not say otherwise.
const DefaultRetention = 365 * 24 * time.Hour

// ExpiredFile is a file whose retention period has ended.
type ExpiredFile struct {
	// File is the file as its newest referencing entry recorded it.
	File FileRef
	// Sitting is the sitting of that entry.
	Sitting string
	// Index and Time are that entry's index and time.
	Index int64
	Time  time.Time
	// Logged is the index of a retention entry that already records the
	// deletion (the file is a leftover of an interrupted Retire), or -1.
	Logged int64
}

// Expired lists the files referenced by the log whose newest referencing
// entry is older than now-period and which are still on disk.
func (l *Log) Expired(ctx context.Context, now time.Time, period time.Duration) ([]ExpiredFile, error) {
	if period <= 0 {
		return nil, fmt.Errorf("audit: expired: retention period must be positive, got %s", period)
	}
	if l.dataDir == "" {
		return nil, errors.New("audit: expired: Options.DataDir is not set")
	}
	newest := map[string]ExpiredFile{}
	logged := map[string]int64{}
	filesTag := []byte(`"files":`)
	err := l.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketEntries).Cursor()
		n := 0
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n%65536 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			isRetention := bytes.Contains(v, []byte(`"kind":"retention"`))
			if !isRetention && !bytes.Contains(v, filesTag) {
				continue // most entries reference no file; skip decoding them
			}
			idx := int64(binary.BigEndian.Uint64(k))
			e, err := Decode(v)
			if err != nil {
				return fmt.Errorf("%w: entry %d: %w", ErrCorrupt, idx, err)
			}
			for _, f := range e.Files {
				newest[f.Path] = ExpiredFile{File: f, Sitting: e.Sitting, Index: idx, Time: e.Time, Logged: -1}
				delete(logged, f.Path)
			}
			if e.Kind == KindRetention {
				var rd RetentionData
				if err := json.Unmarshal(e.Data, &rd); err != nil {
					return fmt.Errorf("%w: retention entry %d: %w", ErrCorrupt, idx, err)
				}
				for _, f := range rd.Deleted {
					logged[f.Path] = idx
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit: expired: %w", err)
	}
	cutoff := now.Add(-period)
	var out []ExpiredFile
	for p, ef := range newest {
		if !ef.Time.Before(cutoff) {
			continue
		}
		if _, err := os.Stat(filepath.Join(l.dataDir, filepath.FromSlash(p))); err != nil {
			continue // already gone
		}
		if by, ok := logged[p]; ok {
			ef.Logged = by
		}
		out = append(out, ef)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Index < out[j].Index || (out[i].Index == out[j].Index && out[i].File.Path < out[j].File.Path)
	})
	return out, nil
}

// Retire deletes expired files, logging each deletion first: one
// KindRetention entry per sitting lists the files, and only once it is
// durable are the files removed. A crash in between leaves files that a
// later Expired reports with Logged set, and Retire then only removes them;
// Verify never sees a file gone without its retention entry.
// It returns the indexes of the retention entries appended.
func (l *Log) Retire(ctx context.Context, files []ExpiredFile, period time.Duration, actor string, now time.Time) ([]int64, error) {
	bySitting := map[string][]FileRef{}
	var sittings []string
	for _, f := range files {
		if f.Logged >= 0 {
			continue
		}
		if _, ok := bySitting[f.Sitting]; !ok {
			sittings = append(sittings, f.Sitting)
		}
		bySitting[f.Sitting] = append(bySitting[f.Sitting], f.File)
	}
	sort.Strings(sittings)
	var indexes []int64
	for _, s := range sittings {
		data, err := json.Marshal(RetentionData{Deleted: bySitting[s], Period: period.String()})
		if err != nil {
			return indexes, fmt.Errorf("audit: retire: %w", err)
		}
		idx, err := l.Append(ctx, Entry{Time: now, Kind: KindRetention, Sitting: s, Actor: actor, Data: data}, nil)
		if err != nil {
			return indexes, fmt.Errorf("audit: retire files of sitting %s: %w", s, err)
		}
		indexes = append(indexes, idx)
	}
	for _, f := range files {
		err := os.Remove(filepath.Join(l.dataDir, filepath.FromSlash(f.File.Path)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return indexes, fmt.Errorf("audit: retire: remove %s (its deletion is logged; run retention again): %w", f.File.Path, err)
		}
	}
	return indexes, nil
}
