package workflow_test

import (
	"encoding/json"
	"strings"
	"testing"

	"kuzet.kz/kuzet/server/exam"
	"kuzet.kz/kuzet/server/workflow"
)

// shortProgram is the personal-qualities example cut to n questions in
// 10 minutes, under an id of HR's own.
func shortProgram(t *testing.T, id string, n int) []byte {
	t.Helper()
	p, ok := exam.BuiltinProgram(exam.PersonalQualitiesExample)
	if !ok {
		t.Fatal("no personal-qualities example")
	}
	p.ID, p.Sections[0].Count, p.TimeLimit = id, n, exam.Duration(10*60e9)
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// HR defines a program as data (Annex 3: sections by category with
// counts, the time limit): it is read strictly, stored once and never
// changed, logged with its digest, listed beside the shipped ones, and a
// stage under it draws and scores by it.
func TestHRDefinesATestProgram(t *testing.T) {
	w := newWorld(t, "2025-03-01 09:00", "")
	def := must[workflow.TestProgram](t)(w.e.DefineProgram(ctx, "a-hr", shortProgram(t, "pq-short", 5)))
	if def.ID != "pq-short" || def.Shipped || def.Questions != 5 || def.TimeLimit != "10m0s" || len(def.Digest) != 64 || def.Defined == nil {
		t.Fatalf("defined: %+v", def)
	}
	for _, bad := range []struct {
		data []byte
		want string
	}{
		{shortProgram(t, "pq-short", 6), "never changed"},
		{shortProgram(t, exam.PersonalQualitiesExample, 6), "shipped program"},
		{[]byte(`{"id":"x","stage":"personal_qualities","colour":"red"}`), "cannot be used"},
		{[]byte(strings.Replace(string(shortProgram(t, "pq-zero", 5)), `"count":5`, `"count":0`, 1)), "cannot be used"},
		{make([]byte, workflow.ProgramMaxBytes+1), "over"},
	} {
		_, err := w.e.DefineProgram(ctx, "a-hr", bad.data)
		refused(t, err, "", bad.want)
	}
	list := must[[]workflow.TestProgram](t)(w.e.TestPrograms(ctx))
	if last := list[len(list)-1]; len(list) != len(exam.Builtin())+1 || last.ID != "pq-short" || last.Shipped || last.Digest != def.Digest {
		t.Fatalf("the programs: %+v", list)
	}
	if logged := w.entries("program:pq-short", "program_define"); len(logged) != 1 || logged[0]["digest"] != def.Digest || logged[0]["questions"] != float64(5) {
		t.Fatalf("logged: %v", logged)
	}

	// A stage under it: a textual/numerical stage may not take it, a
	// personal-qualities one does and draws its 5 questions.
	in := testCompetition()
	in.Stages[1].Program = "pq-short"
	_, err := w.e.Create(ctx, "a-hr", in)
	refused(t, err, "", "not a test program of that stage")
	in = testCompetition()
	in.Stages[0].Program = "pq-short"
	c, apps := w.testsOf(in, 1)
	if c.Stages[0].Program != "pq-short" {
		t.Fatalf("the stage's program: %+v", c.Stages[0])
	}
	w.set("2025-03-17 10:05")
	at := w.take(apps[0], workflow.StagePersonal, 4, 1)
	// 4 of 5: S = 80 %, T = 0.02 × 80 = 1.6 (Annex 3).
	if len(at.Questions) != 5 || at.Program != "pq-short" || at.Score() == nil || at.Score().String() != "1.6" || !at.Deadline.Equal(at.Started.Add(10*60e9)) {
		t.Fatalf("the attempt under HR's program: %d questions, program %s, score %v, deadline %v", len(at.Questions), at.Program, at.Score(), at.Deadline)
	}
}
