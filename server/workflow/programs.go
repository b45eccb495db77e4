package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"kuzet.kz/kuzet/server/exam"
)

// Test programs are data (server/exam): the shipped ones (the legislation
// test as published, and the personal-qualities and textual/numerical
// examples) and the ones the HR service defines, stored with the
// workflow's records. A defined program is never changed: an attempt is
// graded by its program's id long after the start, and an appeal must see
// the same program, so a new version is a new id.

// ProgramMaxBytes bounds a program's JSON (the shipped ones are ~3 KiB).
const ProgramMaxBytes = 64 << 10

// ProgramRecord is a program the HR service defined: its JSON as sent
// (exam.ParseProgram reads it), the SHA-256 of that JSON, who defined it
// and when, and the audit entry.
type ProgramRecord struct {
	ID        string    `json:"id"`
	JSON      []byte    `json:"json"`
	Digest    string    `json:"digest"`
	Defined   time.Time `json:"defined"`
	DefinedBy string    `json:"defined_by"`
	Entry     int64     `json:"entry"`
}

// programOf finds a program by id: a shipped one, else one defined.
func programOf(tx ReadTx, id string) (exam.Program, bool, error) {
	if p, ok := exam.BuiltinProgram(id); ok {
		return p, true, nil
	}
	rec, err := tx.Program(id)
	if errors.Is(err, ErrNotFound) {
		return exam.Program{}, false, nil
	}
	if err != nil {
		return exam.Program{}, false, err
	}
	p, err := storedProgram(rec)
	return p, err == nil, err
}

// storedProgram reads a defined program back from its JSON.
func storedProgram(rec ProgramRecord) (exam.Program, error) {
	p, err := exam.ParseProgram(rec.JSON)
	if err != nil {
		return exam.Program{}, fmt.Errorf("stored program %s: %w", rec.ID, err)
	}
	return p, nil
}

// allPrograms are the shipped programs, then the defined ones in the
// order they were defined.
func allPrograms(tx ReadTx) ([]exam.Program, error) {
	out := exam.Builtin()
	recs, err := tx.Programs()
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		p, err := storedProgram(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// DefineProgram stores a test program the HR service wrote, after
// exam.ParseProgram's strict reading (no unknown field, every section's
// category and count, the time limit, the scoring, the pass values): a
// program with a shipped program's id, or one already defined, is
// refused, as are programs over ProgramMaxBytes. The definition is logged
// with the program's digest.
func (e *Engine) DefineProgram(ctx context.Context, actor string, data []byte) (TestProgram, error) {
	if len(data) > ProgramMaxBytes {
		return TestProgram{}, refuse(KindTooLarge, "", "workflow.err.program_large", "the program is over {max} bytes; a program lists sections, not questions", "max", fmt.Sprint(ProgramMaxBytes))
	}
	p, err := exam.ParseProgram(data)
	if err != nil {
		return TestProgram{}, refuse(KindInvalid, "", "workflow.err.program_invalid", "the program cannot be used: {detail}", "detail", err.Error())
	}
	if _, ok := exam.BuiltinProgram(p.ID); ok {
		return TestProgram{}, refuse(KindConflict, "", "workflow.err.program_builtin", "{id} is a shipped program; give yours an id of its own", "id", p.ID)
	}
	sum := sha256.Sum256(data)
	rec := ProgramRecord{ID: p.ID, JSON: slices.Clone(data), Digest: hex.EncodeToString(sum[:]), DefinedBy: actor}
	err = e.cfg.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Program(p.ID); err == nil {
			return refuse(KindConflict, "", "workflow.err.program_exists", "the program {id} is defined already and is never changed, since attempts are graded by it: give the new version a new id", "id", p.ID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		rec.Defined = e.now().UTC()
		idx, err := logEntry(tx, rec.Defined, "program:"+p.ID, actor, "program_define", map[string]any{"program": p.ID, "stage": p.Stage, "digest": rec.Digest,
			"questions": p.Questions(), "time_limit": p.TimeLimit.Std().String()})
		if err != nil {
			return err
		}
		rec.Entry = idx
		return tx.PutProgram(rec)
	})
	if err != nil {
		return TestProgram{}, err
	}
	return testProgramView(p, &rec), nil
}

// testProgramView is a program as HR reads it.
func testProgramView(p exam.Program, rec *ProgramRecord) TestProgram {
	k := StageKind(p.Stage)
	v := TestProgram{ID: p.ID, Stage: k, Title: p.Title, Bank: string(k), Sections: slices.Clone(p.Sections), TimeLimit: p.TimeLimit.Std().String(),
		Questions: p.Questions(), Pass: p.Pass, Shipped: rec == nil}
	if rec != nil {
		v.Digest, v.Defined = rec.Digest, &rec.Defined
	}
	return v
}

// TestPrograms lists the test stages' programs: the shipped ones in the
// order of exam.Builtin, then the ones HR defined.
func (e *Engine) TestPrograms(ctx context.Context) ([]TestProgram, error) {
	out := []TestProgram{}
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		for _, p := range exam.Builtin() {
			if IsTestStage(StageKind(p.Stage)) {
				out = append(out, testProgramView(p, nil))
			}
		}
		recs, err := tx.Programs()
		if err != nil {
			return err
		}
		for i := range recs {
			p, err := storedProgram(recs[i])
			if err != nil {
				return err
			}
			out = append(out, testProgramView(p, &recs[i]))
		}
		return nil
	})
	return out, err
}
