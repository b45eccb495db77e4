// Package storetest is the conformance suite of workflow.Store: every
// implementation (bbolt today, PostgreSQL next) must pass Run.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/workflow"
)

// Harness is one fresh, empty implementation under test.
type Harness struct {
	Store workflow.Store
	// LogSize counts the audit entries appended so far.
	LogSize func() (int64, error)
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func entry(comp string) audit.Entry {
	return audit.Entry{Time: t0, Kind: audit.KindWorkflow, Sitting: comp, Actor: "a-hr", Data: []byte(`{"action":"test"}`)}
}

// Run runs the suite; open returns a fresh implementation for each test.
func Run(t *testing.T, open func(t *testing.T) Harness) {
	ctx := context.Background()
	t.Run("RecordsRoundTripAndListsAreNeverNil", func(t *testing.T) {
		h := open(t)
		err := h.Store.View(ctx, func(tx workflow.ReadTx) error {
			cs, err := tx.Competitions()
			if err != nil || cs == nil || len(cs) != 0 {
				return fmt.Errorf("empty competitions: %v %v", cs, err)
			}
			as, err := tx.Applications("c-none")
			if err != nil || as == nil {
				return fmt.Errorf("empty applications: %v %v", as, err)
			}
			ns, err := tx.Notifications("p-none")
			if err != nil || ns == nil {
				return fmt.Errorf("empty notifications: %v %v", ns, err)
			}
			if _, err := tx.Competition("c-none"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("missing competition: %v", err)
			}
			if _, err := tx.Application("p-none"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("missing application: %v", err)
			}
			if _, err := tx.Candidate("k-none"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("missing candidate: %v", err)
			}
			if _, err := tx.ApplicationByCabinet(""); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("empty cabinet hash: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			for i, id := range []string{"c-2", "c-1", "c-10"} {
				c := workflow.Competition{ID: id, Body: "b", Position: "p" + id, Status: workflow.StatusDraft, Created: t0.Add(time.Duration(i) * time.Minute),
					Stages: []workflow.Stage{{Kind: workflow.StageEssay, Starts: t0, Ends: t0.Add(time.Hour)}}}
				if err := tx.PutCompetition(c); err != nil {
					return err
				}
			}
			return tx.PutCandidate(workflow.Candidate{ID: "k-1", IINIndex: "ix", Sealed: []byte{1, 2, 3}, Created: t0})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			cs, err := tx.Competitions()
			if err != nil {
				return err
			}
			if len(cs) != 3 || cs[0].ID != "c-2" || cs[1].ID != "c-1" || cs[2].ID != "c-10" {
				return fmt.Errorf("competitions not in creation order: %+v", cs)
			}
			c, err := tx.Competition("c-10")
			if err != nil || c.Position != "pc-10" || len(c.Stages) != 1 || !c.Stages[0].Ends.Equal(t0.Add(time.Hour)) {
				return fmt.Errorf("competition round trip: %+v %v", c, err)
			}
			k, err := tx.Candidate("k-1")
			if err != nil || string(k.Sealed) != "\x01\x02\x03" || k.IINIndex != "ix" {
				return fmt.Errorf("candidate round trip: %+v %v", k, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ApplicationsByCompetitionCabinetAndIIN", func(t *testing.T) {
		h := open(t)
		err := h.Store.Update(ctx, func(tx workflow.Tx) error {
			for i, a := range []workflow.Application{
				{ID: "p-b", Competition: "c-1", CabinetHash: "h1"},
				{ID: "p-a", Competition: "c-1", CabinetHash: "h2"},
				{ID: "p-c", Competition: "c-10", CabinetHash: "h3"},
			} {
				if err := tx.PutApplication(a, fmt.Sprintf("iin%d", i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A second application with the same IIN in the same competition is refused;
		// in another competition it is fine.
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			return tx.PutApplication(workflow.Application{ID: "p-d", Competition: "c-1"}, "iin0")
		})
		if !errors.Is(err, workflow.ErrExists) {
			t.Fatalf("same IIN twice in one competition: %v, want ErrExists", err)
		}
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			if err := tx.PutApplication(workflow.Application{ID: "p-e", Competition: "c-10"}, "iin0"); err != nil {
				return err
			}
			// Re-putting an application moves its cabinet lookup to the new hash only.
			a, err := tx.Application("p-b")
			if err != nil {
				return err
			}
			a.CabinetHash, a.Status = "h9", workflow.AppIncomplete
			return tx.PutApplication(a, "iin0")
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			as, err := tx.Applications("c-1")
			if err != nil || len(as) != 2 || as[0].ID != "p-b" || as[1].ID != "p-a" {
				return fmt.Errorf("applications of c-1 (in filing order, without c-10's): %+v %v", as, err)
			}
			if as[0].Status != workflow.AppIncomplete {
				return fmt.Errorf("update lost: %+v", as[0])
			}
			if _, err := tx.ApplicationByCabinet("h1"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("replaced cabinet hash still finds the application: %v", err)
			}
			if a, err := tx.ApplicationByCabinet("h9"); err != nil || a.ID != "p-b" {
				return fmt.Errorf("new cabinet hash: %+v %v", a, err)
			}
			if a, err := tx.ApplicationByIIN("c-10", "iin0"); err != nil || a.ID != "p-e" {
				return fmt.Errorf("IIN lookup in c-10: %+v %v", a, err)
			}
			if _, err := tx.ApplicationByIIN("c-2", "iin0"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("IIN lookup in another competition: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("NotificationsInOrder", func(t *testing.T) {
		h := open(t)
		err := h.Store.Update(ctx, func(tx workflow.Tx) error {
			for i := range 12 {
				app := "p-1"
				if i%3 == 0 {
					app = "p-10"
				}
				if err := tx.AddNotification(workflow.Notification{ID: fmt.Sprintf("n-%02d", i), Application: app, Key: "k", Args: map[string]string{"i": fmt.Sprint(i)}, Time: t0}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			ns, err := tx.Notifications("p-1")
			if err != nil || len(ns) != 8 {
				return fmt.Errorf("p-1 has %d notifications (%v), want 8", len(ns), err)
			}
			for i := 1; i < len(ns); i++ {
				if ns[i-1].ID >= ns[i].ID {
					return fmt.Errorf("out of order: %s then %s", ns[i-1].ID, ns[i].ID)
				}
			}
			if ns[0].Args["i"] != "1" {
				return fmt.Errorf("args lost: %+v", ns[0])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("FailedUpdateStoresAndLogsNothing", func(t *testing.T) {
		h := open(t)
		before, err := h.LogSize()
		if err != nil {
			t.Fatal(err)
		}
		errNo := errors.New("refused")
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			if _, err := tx.Log(entry("c-1")); err != nil {
				return err
			}
			if err := tx.PutCompetition(workflow.Competition{ID: "c-1", Created: t0}); err != nil {
				return err
			}
			if _, err := tx.NewPIN(); err != nil {
				return err
			}
			return errNo
		})
		if !errors.Is(err, errNo) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		after, err := h.LogSize()
		if err != nil || after != before {
			t.Fatalf("a failed update left %d audit entries (%v)", after-before, err)
		}
		if err := h.Store.View(ctx, func(tx workflow.ReadTx) error {
			_, err := tx.Competition("c-1")
			return err
		}); !errors.Is(err, workflow.ErrNotFound) {
			t.Fatalf("a failed update left its competition: %v", err)
		}
		var idx []int64
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			for range 2 {
				n, err := tx.Log(entry("c-1"))
				if err != nil {
					return err
				}
				idx = append(idx, n)
			}
			return tx.PutCompetition(workflow.Competition{ID: "c-1", Created: t0})
		})
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := h.LogSize(); after != before+2 || idx[1] != idx[0]+1 {
			t.Fatalf("two entries logged: size %d→%d, indexes %v", before, after, idx)
		}
		if _, err := func() (int64, error) {
			var n int64
			err := h.Store.Update(ctx, func(tx workflow.Tx) error {
				var err error
				n, err = tx.Log(audit.Entry{Kind: "workflow", Actor: "a"})
				return err
			})
			return n, err
		}(); !errors.Is(err, audit.ErrBadEntry) {
			t.Fatalf("an entry without time: %v, want ErrBadEntry", err)
		}
	})

	t.Run("EssaysKeysAndNonces", func(t *testing.T) {
		h := open(t)
		err := h.Store.View(ctx, func(tx workflow.ReadTx) error {
			if es, err := tx.Essays("c-1"); err != nil || es == nil || len(es) != 0 {
				return fmt.Errorf("empty essays: %v %v", es, err)
			}
			if _, err := tx.Essay("p-none"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("missing essay: %v", err)
			}
			if _, err := tx.SignerKey("a-none"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("missing key: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			for _, app := range []string{"p-9", "p-1", "p-5"} {
				if err := tx.PutEssay(workflow.Essay{Application: app, Competition: "c-1", PIN: "1" + app, Text: "first", Graders: []string{}, Grades: []workflow.Grade{}}); err != nil {
					return err
				}
			}
			if err := tx.PutEssay(workflow.Essay{Application: "p-other", Competition: "c-2", Graders: []string{}, Grades: []workflow.Grade{}}); err != nil {
				return err
			}
			// A second put replaces the essay and keeps its place.
			if err := tx.PutEssay(workflow.Essay{Application: "p-9", Competition: "c-1", Text: "second", Revision: 2, Graders: []string{"a-1"}, Grades: []workflow.Grade{}}); err != nil {
				return err
			}
			if err := tx.PutEssay(workflow.Essay{Application: "p-x"}); err == nil {
				return errors.New("an essay without a competition was stored")
			}
			if err := tx.PutSignerKey(workflow.SignerKey{Account: "a-1", Format: "ed25519", Data: []byte{1}, Fingerprint: "f1"}); err != nil {
				return err
			}
			if err := tx.PutSignerKey(workflow.SignerKey{Account: "a-1", Format: "ed25519", Data: []byte{2}, Fingerprint: "f2"}); err != nil {
				return err
			}
			if err := tx.UseNonce("nonce-0123456789ab"); err != nil {
				return err
			}
			if err := tx.UseNonce("nonce-0123456789ab"); !errors.Is(err, workflow.ErrExists) {
				return fmt.Errorf("a nonce used twice: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			es, err := tx.Essays("c-1")
			if err != nil {
				return err
			}
			var order []string
			for _, e := range es {
				order = append(order, e.Application)
			}
			if fmt.Sprint(order) != "[p-9 p-1 p-5]" {
				return fmt.Errorf("essays in order %v, want [p-9 p-1 p-5]", order)
			}
			if e, err := tx.Essay("p-9"); err != nil || e.Text != "second" || e.Revision != 2 || len(e.Graders) != 1 {
				return fmt.Errorf("replaced essay: %+v %v", e, err)
			}
			if k, err := tx.SignerKey("a-1"); err != nil || k.Fingerprint != "f2" {
				return fmt.Errorf("replaced key: %+v %v", k, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A nonce recorded in a transaction that failed is not used.
		boom := errors.New("boom")
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			if err := tx.UseNonce("nonce-rolled-back-000"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("failed update: %v", err)
		}
		err = h.Store.Update(ctx, func(tx workflow.Tx) error { return tx.UseNonce("nonce-rolled-back-000") })
		if err != nil {
			t.Fatalf("a nonce of a rolled-back transaction: %v", err)
		}
	})
	t.Run("BankItemsVersionsAndSnapshots", func(t *testing.T) {
		h := open(t)
		err := h.Store.View(ctx, func(tx workflow.ReadTx) error {
			if items, err := tx.BankItems("b1"); err != nil || items == nil || len(items) != 0 {
				return fmt.Errorf("empty bank: %v %v", items, err)
			}
			if _, err := tx.BankItem("b1", "q1", "v1"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("missing item: %v", err)
			}
			if _, err := tx.BankSnapshot("b1", "d1"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("missing snapshot: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		item := func(bank, id, ver, xml string) workflow.BankItem {
			return workflow.BankItem{Bank: bank, Identifier: id, Version: ver, Categories: []string{"c"}, Interaction: "choiceInteraction", XML: []byte(xml), Assets: []workflow.BankAsset{}, Imported: t0}
		}
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			for _, it := range []workflow.BankItem{item("b1", "q2", "v1", "q2 first"), item("b1", "q1", "v1", "q1 first"), item("b1", "q2", "v2", "q2 second"),
				item("b10", "q9", "v1", "another bank"), item("b", "1", "v1", "a bank whose name prefixes b1's")} {
				if err := tx.PutBankItem(it); err != nil {
					return err
				}
			}
			// A stored version keeps its content; putting it makes it the latest again.
			if err := tx.PutBankItem(item("b1", "q1", "v1", "changed under the same version")); err != nil {
				return err
			}
			if err := tx.PutBankItem(workflow.BankItem{Bank: "b1", Identifier: "q3"}); err == nil {
				return errors.New("an item without a version was stored")
			}
			snap := workflow.BankSnapshot{Bank: "b1", Digest: "d1", Items: []workflow.ItemRef{{Item: "q1", Version: "v1"}, {Item: "q2", Version: "v2"}}, Created: t0}
			if err := tx.PutBankSnapshot(snap); err != nil {
				return err
			}
			if err := tx.PutBankSnapshot(snap); !errors.Is(err, workflow.ErrExists) {
				return fmt.Errorf("a snapshot stored twice: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.Update(ctx, func(tx workflow.Tx) error { return tx.PutBankItem(item("b1", "q2", "v1", "q2 first")) })
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			items, err := tx.BankItems("b1")
			if err != nil {
				return err
			}
			var got []string
			for _, it := range items {
				got = append(got, it.Identifier+"@"+it.Version+"="+string(it.XML))
			}
			// By identifier, each at its latest put: q2 went back to v1.
			if fmt.Sprint(got) != "[q1@v1=q1 first q2@v1=q2 first]" {
				return fmt.Errorf("latest items %v", got)
			}
			if it, err := tx.BankItem("b1", "q2", "v2"); err != nil || string(it.XML) != "q2 second" {
				return fmt.Errorf("an older version: %+v %v", it, err)
			}
			if items, err := tx.BankItems("b"); err != nil || len(items) != 1 || items[0].Identifier != "1" {
				return fmt.Errorf("bank b: %+v %v", items, err)
			}
			if s, err := tx.BankSnapshot("b1", "d1"); err != nil || len(s.Items) != 2 || s.Items[1].Version != "v2" {
				return fmt.Errorf("snapshot: %+v %v", s, err)
			}
			if _, err := tx.BankSnapshot("b10", "d1"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("a snapshot found under another bank: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("AttemptsByApplicationAndStageInStartOrder", func(t *testing.T) {
		h := open(t)
		err := h.Store.View(ctx, func(tx workflow.ReadTx) error {
			if as, err := tx.Attempts("c-1"); err != nil || as == nil || len(as) != 0 {
				return fmt.Errorf("no attempts: %v %v", as, err)
			}
			if _, err := tx.Attempt("p-1", workflow.StagePersonal); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("missing attempt: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		att := func(app string, stage workflow.StageKind, comp string, seed uint64) workflow.Attempt {
			return workflow.Attempt{Application: app, Competition: comp, PIN: "1" + app, Stage: stage, Seed: seed, Started: t0}
		}
		err = h.Store.Update(ctx, func(tx workflow.Tx) error {
			for _, a := range []workflow.Attempt{att("p-9", workflow.StagePersonal, "c-1", 1), att("p-1", workflow.StagePersonal, "c-1", 2),
				att("p-9", workflow.StageTextual, "c-1", 3), att("p-5", workflow.StagePersonal, "c-10", 4)} {
				if err := tx.PutAttempt(a); err != nil {
					return err
				}
			}
			// A second put replaces the attempt and keeps its place.
			a := att("p-9", workflow.StagePersonal, "c-1", 1)
			a.Answers = []workflow.Answer{{Item: "q1", Response: []string{"A"}, Revision: 2}}
			if err := tx.PutAttempt(a); err != nil {
				return err
			}
			if err := tx.PutAttempt(workflow.Attempt{Application: "p-x", Stage: workflow.StagePersonal}); err == nil {
				return errors.New("an attempt without a competition was stored")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			as, err := tx.Attempts("c-1")
			if err != nil {
				return err
			}
			var order []string
			for _, a := range as {
				order = append(order, a.Application+"/"+string(a.Stage))
				if a.Answers == nil {
					return fmt.Errorf("attempt %s has null answers", a.Application)
				}
			}
			if fmt.Sprint(order) != "[p-9/personal_qualities p-1/personal_qualities p-9/textual_numerical]" {
				return fmt.Errorf("attempts in order %v", order)
			}
			a, err := tx.Attempt("p-9", workflow.StagePersonal)
			if err != nil || len(a.Answers) != 1 || a.Answers[0].Revision != 2 || a.Seed != 1 {
				return fmt.Errorf("replaced attempt: %+v %v", a, err)
			}
			if a, err := tx.Attempt("p-9", workflow.StageTextual); err != nil || a.Seed != 3 {
				return fmt.Errorf("the other stage's attempt: %+v %v", a, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Batched answer saves commit (the engine saves answers in Batch).
		err = h.Store.Batch(ctx, func(tx workflow.Tx) error {
			a, err := tx.Attempt("p-1", workflow.StagePersonal)
			if err != nil {
				return err
			}
			a.Answers = append(a.Answers, workflow.Answer{Item: "q7", Response: []string{}, Revision: 1})
			return tx.PutAttempt(a)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			if a, err := tx.Attempt("p-1", workflow.StagePersonal); err != nil || len(a.Answers) != 1 || a.Answers[0].Item != "q7" {
				return fmt.Errorf("a batched save: %+v %v", a, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ProgramsStoredOnceInDefinitionOrder", func(t *testing.T) {
		h := open(t)
		err := h.Store.Update(ctx, func(tx workflow.Tx) error {
			if ps, err := tx.Programs(); err != nil || ps == nil || len(ps) != 0 {
				return fmt.Errorf("no programs yet: %v %v", ps, err)
			}
			if _, err := tx.Program("pq-b"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("a missing program: %v", err)
			}
			for _, id := range []string{"pq-b", "pq-a"} {
				if err := tx.PutProgram(workflow.ProgramRecord{ID: id, JSON: []byte(`{"id":"` + id + `"}`), Digest: "d-" + id, Defined: t0}); err != nil {
					return err
				}
			}
			if err := tx.PutProgram(workflow.ProgramRecord{ID: "pq-b", JSON: []byte(`{}`)}); !errors.Is(err, workflow.ErrExists) {
				return fmt.Errorf("a program stored twice: %v", err)
			}
			if err := tx.PutProgram(workflow.ProgramRecord{}); err == nil {
				return errors.New("a program without an id was stored")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			ps, err := tx.Programs()
			if err != nil || len(ps) != 2 || ps[0].ID != "pq-b" || ps[1].ID != "pq-a" || string(ps[0].JSON) != `{"id":"pq-b"}` || ps[0].Digest != "d-pq-b" {
				return fmt.Errorf("programs in definition order, unchanged: %+v %v", ps, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("P14_LegislationResultsByPersonAcrossCompetitions", func(t *testing.T) {
		h := open(t)
		res := func(idx, app, comp string, at time.Time, passed bool) workflow.LegislationResult {
			return workflow.LegislationResult{IINIndex: idx, Application: app, Competition: comp, Tested: at, Passed: passed}
		}
		err := h.Store.Update(ctx, func(tx workflow.Tx) error {
			if rs, err := tx.LegislationResults("ix-1"); err != nil || rs == nil || len(rs) != 0 {
				return fmt.Errorf("no results yet: %v %v", rs, err)
			}
			for _, r := range []workflow.LegislationResult{res("ix-1", "p-2", "c-2", t0.Add(72*time.Hour), true), res("ix-1", "p-1", "c-1", t0, false),
				res("ix-2", "p-3", "c-1", t0, false), res("ix-10", "p-4", "c-1", t0, false)} {
				if err := tx.PutLegislationResult(r); err != nil {
					return err
				}
			}
			// The same application again replaces its result.
			r := res("ix-1", "p-1", "c-1", t0, false)
			r.Entry = 9
			if err := tx.PutLegislationResult(r); err != nil {
				return err
			}
			if err := tx.PutLegislationResult(workflow.LegislationResult{Application: "p-9"}); err == nil {
				return errors.New("a result without an IIN index was stored")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			rs, err := tx.LegislationResults("ix-1")
			if err != nil {
				return err
			}
			if len(rs) != 2 || rs[0].Application != "p-1" || rs[0].Entry != 9 || rs[0].Passed || rs[1].Application != "p-2" || !rs[1].Passed || !rs[0].Tested.Equal(t0) {
				return fmt.Errorf("ix-1's results oldest first: %+v", rs)
			}
			if rs, err := tx.LegislationResults("ix-2"); err != nil || len(rs) != 1 || rs[0].Application != "p-3" {
				return fmt.Errorf("ix-2's results (not ix-10's): %+v %v", rs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("BatchCommitsAndLogsNothing", func(t *testing.T) {
		h := open(t)
		before, err := h.LogSize()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- h.Store.Batch(ctx, func(tx workflow.Tx) error {
					return tx.PutEssay(workflow.Essay{Application: fmt.Sprintf("p-%d", i), Competition: "c-b", Revision: int64(i), Graders: []string{}, Grades: []workflow.Grade{}})
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		boom := errors.New("boom")
		err = h.Store.Batch(ctx, func(tx workflow.Tx) error {
			if err := tx.PutEssay(workflow.Essay{Application: "p-failed", Competition: "c-b", Graders: []string{}, Grades: []workflow.Grade{}}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("a failed batch: %v", err)
		}
		if err := h.Store.Batch(ctx, func(tx workflow.Tx) error { _, err := tx.Log(entry("c-b")); return err }); err == nil {
			t.Fatal("an audit entry was logged in a batch")
		}
		err = h.Store.View(ctx, func(tx workflow.ReadTx) error {
			es, err := tx.Essays("c-b")
			if err != nil {
				return err
			}
			if len(es) != 20 {
				return fmt.Errorf("%d essays after 20 batched puts", len(es))
			}
			if _, err := tx.Essay("p-failed"); !errors.Is(err, workflow.ErrNotFound) {
				return fmt.Errorf("the failed batch stored its essay: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := h.LogSize(); after != before {
			t.Fatalf("batches logged %d entries", after-before)
		}
	})
	t.Run("PINsAreUniqueEightDigits", func(t *testing.T) {
		h := open(t)
		seen := map[string]bool{}
		for range 20 {
			err := h.Store.Update(ctx, func(tx workflow.Tx) error {
				for range 50 {
					pin, err := tx.NewPIN()
					if err != nil {
						return err
					}
					if len(pin) != 8 || pin[0] == '0' || seen[pin] {
						return fmt.Errorf("PIN %q (seen before: %v)", pin, seen[pin])
					}
					for _, r := range pin {
						if r < '0' || r > '9' {
							return fmt.Errorf("PIN %q is not digits", pin)
						}
					}
					seen[pin] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("CancelledContextDoesNothing", func(t *testing.T) {
		h := open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		ran := false
		err := h.Store.Update(cctx, func(tx workflow.Tx) error { ran = true; return nil })
		if err == nil || ran {
			t.Fatalf("Update on a cancelled context: ran=%v err=%v", ran, err)
		}
	})
}
