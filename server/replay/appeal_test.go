package replay_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/audit"
	"kuzet.kz/kuzet/server/replay"
	"kuzet.kz/kuzet/server/store"
)

func TestAppealDeadlineCountsWorkingDays(t *testing.T) {
	s := newSystem(t)
	kz := time.FixedZone("UTC+5", 5*3600)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, kz) }
	for _, tc := range []struct {
		name      string
		days      int
		published time.Time
		want      time.Time
	}{
		{"Friday noon: Mon, Tue, Wed count", 3, at(2026, 11, 20, 12, 0), at(2026, 11, 26, 0, 0)},
		{"Monday: Tue, Wed, Thu", 3, at(2026, 11, 23, 9, 0), at(2026, 11, 27, 0, 0)},
		{"late evening UTC is the next day in Astana", 1, time.Date(2026, 11, 23, 20, 30, 0, 0, time.UTC), at(2026, 11, 26, 0, 0)},
		{"Independence Day is not a working day", 3, at(2026, 12, 15, 10, 0), at(2026, 12, 22, 0, 0)},
		{"Nauryz 21-23 March", 1, at(2028, 3, 20, 10, 0), at(2028, 3, 25, 0, 0)},
		{"a day off moved by order (8 May 2024), then Victory Day", 1, at(2024, 5, 7, 9, 0), at(2024, 5, 11, 0, 0)},
		{"a Saturday made a working day by order (4 May 2024)", 1, at(2024, 5, 3, 9, 0), at(2024, 5, 5, 0, 0)},
		{"Nauryz 2026 with two weekend days carried over", 1, at(2026, 3, 20, 9, 0), at(2026, 3, 27, 0, 0)},
		{"five working days", 5, at(2026, 11, 20, 12, 0), at(2026, 11, 28, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := replay.New(replay.Config{Store: s.st, Log: s.log, DataDir: s.dir, Catalogue: mustCatalogue(t), AppealDays: tc.days})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.AppealDeadline(tc.published); !got.Equal(tc.want) {
				t.Fatalf("deadline of %s + %d working days = %s, want %s", tc.published, tc.days, got.In(kz), tc.want)
			}
		})
	}
}

func (s *system) cabinet(c *client) replay.Cabinet {
	s.t.Helper()
	var cab replay.Cabinet
	if code, body := c.do("GET", "/api/cabinet", nil, &cab); code != http.StatusOK {
		s.t.Fatalf("cabinet: %d %s", code, body)
	}
	return cab
}

func TestAppealRules(t *testing.T) {
	s := newSystem(t)
	recs := s.sittingWithEvents()
	cand := s.candidate(s.token)
	text := "Я не использовал AnyDesk: это служба обновления драйвера. <прошу пересмотреть>"

	s.anon().refused("GET", "/api/cabinet", nil, http.StatusUnauthorized, "unauthorized")
	s.candidate("not-the-token").refused("GET", "/api/cabinet", nil, http.StatusUnauthorized, "unauthorized")

	// Before a verdict: nothing to appeal.
	cab := s.cabinet(cand)
	if cab.Sitting.PIN != s.sitting.PIN || cab.Verdict != nil || cab.CanAppeal || cab.Why != "cabinet.why.no_verdict" {
		t.Fatalf("cabinet before the verdict = %+v", cab)
	}
	cand.refused("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: text}, http.StatusConflict, "no_verdict")

	vrec := s.publish(protocol.VerdictViolation, recs[3].N)
	cab = s.cabinet(cand)
	wantDeadline := time.Date(2026, 11, 26, 0, 0, 0, 0, time.FixedZone("UTC+5", 5*3600))
	if cab.Verdict == nil || cab.Verdict.Outcome != protocol.VerdictViolation || len(cab.Verdict.Rules) != 1 || !cab.CanAppeal ||
		cab.Deadline == nil || !cab.Deadline.Equal(wantDeadline) || cab.AppealDays != replay.DefaultAppealDays {
		t.Fatalf("cabinet after the verdict = %+v", cab)
	}
	for _, bad := range []replay.AppealRequest{{Text: "   "}, {Text: strings.Repeat("x", replay.MaxAppealText+1)}, {Text: "a\x00b"}, {Text: "bell\a"}} {
		cand.refused("POST", "/api/cabinet/appeal", bad, http.StatusBadRequest, "invalid")
	}
	cand.refused("POST", "/api/cabinet/appeal", map[string]string{"text": "x", "extra": "y"}, http.StatusBadRequest, "invalid")

	// Within the period: filed, once.
	var after replay.Cabinet
	if code, body := cand.do("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: text, Lang: "ru"}, &after); code != http.StatusCreated {
		t.Fatalf("appeal: %d %s", code, body)
	}
	if after.Appeal == nil || after.Appeal.Text != text || after.CanAppeal || after.Why != "cabinet.why.filed" {
		t.Fatalf("cabinet after the appeal = %+v", after)
	}
	cand.refused("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: "again"}, http.StatusConflict, "appeal_filed")

	// Logged with the text's hash, never the text (it may hold personal data).
	var filed *audit.Record
	for _, e := range s.entries() {
		if e.Entry.Kind == audit.KindAppeal {
			filed = &e
		}
	}
	if filed == nil {
		t.Fatal("the appeal is not in the audit log")
	}
	sum := sha256.Sum256([]byte(text))
	var data map[string]any
	if err := json.Unmarshal(filed.Entry.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data["step"] != "filed" || data["text_sha256"] != hex.EncodeToString(sum[:]) || data["verdict_record"] != float64(vrec.N) || filed.Entry.Actor != "candidate" {
		t.Fatalf("filing entry = %s by %s", filed.Entry.Data, filed.Entry.Actor)
	}
	if strings.Contains(string(filed.Raw), "AnyDesk") {
		t.Fatal("the appeal's text is in the audit log")
	}
	// The auditor finds it among the pending appeals.
	var res replay.SearchResult
	s.login(store.RoleAuditor).do("GET", "/api/replay/sittings?appeal=pending", nil, &res)
	if len(res.Sittings) != 1 || res.Sittings[0].Appeal != "pending" || res.Sittings[0].Verdict != protocol.VerdictViolation {
		t.Fatalf("pending appeals = %+v", res)
	}
	if v := s.verify(); !v.OK {
		t.Fatalf("the log with the appeal does not verify: %+v", v.Problem)
	}
}

func TestAppealOnlyAgainstAViolation(t *testing.T) {
	s := newSystem(t)
	s.publish(protocol.VerdictClean)
	cand := s.candidate(s.token)
	if cab := s.cabinet(cand); cab.CanAppeal || cab.Why != "cabinet.why.clean" || cab.Verdict == nil {
		t.Fatalf("cabinet of a clean verdict = %+v", cab)
	}
	cand.refused("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: "why?"}, http.StatusConflict, "clean_verdict")
}

func TestAppealPeriodEnds(t *testing.T) {
	s := newSystem(t)
	recs := s.sittingWithEvents()
	s.publish(protocol.VerdictViolation, recs[3].N)
	end := time.Date(2026, 11, 26, 0, 0, 0, 0, time.FixedZone("UTC+5", 5*3600))
	cand := s.candidate(s.token)
	s.clock.set(end)
	if cab := s.cabinet(cand); cab.CanAppeal || cab.Why != "cabinet.why.period_over" {
		t.Fatalf("cabinet at the deadline = %+v", cab)
	}
	cand.refused("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: "late"}, http.StatusConflict, "appeal_period_over")
	s.clock.set(end.Add(-time.Second))
	if code, body := cand.do("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: "just in time"}, nil); code != http.StatusCreated {
		t.Fatalf("a second before the deadline: %d %s", code, body)
	}
}

func TestAppealDecision(t *testing.T) {
	for _, outcome := range []replay.DecisionOutcome{replay.DecisionUpheld, replay.DecisionOverturned} {
		t.Run(string(outcome), func(t *testing.T) {
			s := newSystem(t)
			recs := s.sittingWithEvents()
			s.publish(protocol.VerdictViolation, recs[3].N)
			auditor := s.login(store.RoleAuditor)
			path := "/api/replay/sittings/" + string(s.id()) + "/appeal/decision"
			auditor.refused("POST", path, replay.DecisionRequest{Outcome: outcome, Reasons: "reviewed"}, http.StatusConflict, "no_appeal")
			cand := s.candidate(s.token)
			if code, body := cand.do("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: "The program was a driver updater."}, nil); code != http.StatusCreated {
				t.Fatalf("appeal: %d %s", code, body)
			}
			auditor.refused("POST", path, replay.DecisionRequest{Outcome: "maybe", Reasons: "x"}, http.StatusBadRequest, "invalid")
			auditor.refused("POST", path, replay.DecisionRequest{Outcome: outcome, Reasons: "  "}, http.StatusBadRequest, "invalid")
			s.login(store.RoleAdmin).refused("POST", path, replay.DecisionRequest{Outcome: outcome, Reasons: "x"}, http.StatusForbidden, "forbidden_role")

			reasons := "The recording at 00:50 shows the AnyDesk window in use (rule 10.9)."
			if outcome == replay.DecisionOverturned {
				reasons = "The process was the vendor's driver updater; no session was open (rule 10.9 not broken)."
			}
			var ap replay.Appeal
			if code, body := auditor.do("POST", path, replay.DecisionRequest{Outcome: outcome, Reasons: reasons}, &ap); code != http.StatusOK {
				t.Fatalf("decision: %d %s", code, body)
			}
			want := protocol.VerdictViolation
			if outcome == replay.DecisionOverturned {
				want = protocol.VerdictClean
			}
			if ap.Decision == nil || ap.Decision.Outcome != outcome || ap.Decision.Effective != want || ap.Decision.ActorName != "user-auditor" {
				t.Fatalf("decision = %+v", ap.Decision)
			}
			auditor.refused("POST", path, replay.DecisionRequest{Outcome: replay.DecisionOverturned, Reasons: "changed my mind"}, http.StatusConflict, "appeal_decided")

			// The sitting's effective verdict, which the workflow reads.
			st, err := s.st.Sitting(s.id())
			if err != nil {
				t.Fatal(err)
			}
			if st.EffectiveOutcome() != want || st.Verdict.Outcome != protocol.VerdictViolation || st.Appeal == nil || st.Appeal.Entry != ap.Decision.Entry {
				t.Fatalf("sitting after the decision: effective %q, published %q, appeal %+v", st.EffectiveOutcome(), st.Verdict.Outcome, st.Appeal)
			}
			// Logged, by the auditor's account, with the reasons.
			e, err := s.log.Entry(ap.Decision.Entry)
			if err != nil {
				t.Fatal(err)
			}
			acct, _ := s.st.AccountByUsername("user-auditor")
			if e.Entry.Kind != audit.KindAppeal || e.Entry.Actor != acct.ID || !strings.Contains(string(e.Entry.Data), `"outcome":"`+string(outcome)+`"`) ||
				!strings.Contains(string(e.Entry.Data), `"effective":"`+string(want)+`"`) {
				t.Fatalf("decision entry = %s by %s", e.Entry.Data, e.Entry.Actor)
			}
			// The candidate sees the decision and its reasons.
			cab := s.cabinet(cand)
			if cab.Appeal == nil || cab.Appeal.Decision == nil || cab.Appeal.Decision.Outcome != outcome || cab.Appeal.Decision.Reasons != reasons || cab.Effective != want {
				t.Fatalf("cabinet after the decision = %+v", cab)
			}
			// The timeline and the search show it.
			var tl replay.Timeline
			auditor.do("GET", "/api/replay/sittings/"+string(s.id()), nil, &tl)
			if tl.Effective != want || tl.Appeal == nil || tl.Appeal.Decision == nil || tl.Sitting.Appeal != string(outcome) {
				t.Fatalf("timeline after the decision: effective %q appeal %+v", tl.Effective, tl.Appeal)
			}
			var res replay.SearchResult
			auditor.do("GET", "/api/replay/sittings?appeal=pending", nil, &res)
			if len(res.Sittings) != 0 {
				t.Fatalf("still pending: %+v", res)
			}
			if v := s.verify(); !v.OK {
				t.Fatalf("the log with the decision does not verify: %+v", v.Problem)
			}
		})
	}
}

func TestCabinetRateLimitsWrongTokens(t *testing.T) {
	s := newSystem(t)
	bad := s.candidate("a-wrong-token")
	for range 10 {
		bad.refused("GET", "/api/cabinet", nil, http.StatusUnauthorized, "unauthorized")
	}
	bad.refused("GET", "/api/cabinet", nil, http.StatusTooManyRequests, "rate_limited")
	s.candidate(s.token).refused("GET", "/api/cabinet", nil, http.StatusTooManyRequests, "rate_limited")
}

// TestCabinetOpensOnlyWithTheCurrentTokenUntilAfterTheAppeal is issue
// 16's finding 2: a join token superseded by a new one read the verdict
// and filed the candidate's only appeal, and any token opened the cabinet
// for ever. Failed before the fix: the old token got 200 and 201.
func TestCabinetOpensOnlyWithTheCurrentTokenUntilAfterTheAppeal(t *testing.T) {
	s := newSystem(t)
	fresh, err := s.adm.ReissueToken(s.id())
	if err != nil {
		t.Fatal(err)
	}
	recs := s.sittingWithEvents()
	s.publish(protocol.VerdictViolation, recs[3].N)
	old := s.candidate(s.token)
	old.refused("GET", "/api/cabinet", nil, http.StatusUnauthorized, "unauthorized")
	old.refused("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: "filed with a leaked token"}, http.StatusUnauthorized, "unauthorized")
	cur := s.candidate(fresh)
	cab := s.cabinet(cur)
	if !cab.CanAppeal || cab.Deadline == nil {
		t.Fatalf("the current token's cabinet = %+v", cab)
	}

	// No appeal: open until 30 days after the appeal period, then closed.
	closes := cab.Deadline.Add(replay.CabinetAfterAppeal)
	s.clock.set(closes.Add(-time.Second))
	s.cabinet(cur)
	s.clock.set(closes)
	e := cur.refused("GET", "/api/cabinet", nil, http.StatusGone, "cabinet_closed")
	if e.Error.Key != "cabinet.error.closed" || !strings.Contains(e.Error.Message, closes.In(time.FixedZone("UTC+5", 5*3600)).Format("2006-01-02")) {
		t.Fatalf("closed cabinet: %+v", e.Error)
	}
}

// An appeal keeps the cabinet open until 30 days after its decision.
func TestCabinetStaysOpenWhileTheAppealWaits(t *testing.T) {
	s := newSystem(t)
	recs := s.sittingWithEvents()
	s.publish(protocol.VerdictViolation, recs[3].N)
	cand := s.candidate(s.token)
	if code, body := cand.do("POST", "/api/cabinet/appeal", replay.AppealRequest{Text: "It was a driver updater."}, nil); code != http.StatusCreated {
		t.Fatalf("appeal: %d %s", code, body)
	}
	s.clock.set(published.Add(90 * 24 * time.Hour))
	if cab := s.cabinet(cand); cab.Appeal == nil {
		t.Fatalf("cabinet with a waiting appeal = %+v", cab)
	}
	var ap replay.Appeal
	if code, body := s.login(store.RoleAuditor).do("POST", "/api/replay/sittings/"+string(s.id())+"/appeal/decision",
		replay.DecisionRequest{Outcome: replay.DecisionUpheld, Reasons: "the recording shows the session"}, &ap); code != http.StatusOK {
		t.Fatalf("decision: %d %s", code, body)
	}
	s.clock.set(ap.Decision.Time.Add(replay.CabinetAfterAppeal - time.Second))
	if cab := s.cabinet(cand); cab.Appeal == nil || cab.Appeal.Decision == nil {
		t.Fatalf("cabinet after the decision = %+v", cab)
	}
	s.clock.set(ap.Decision.Time.Add(replay.CabinetAfterAppeal))
	cand.refused("GET", "/api/cabinet", nil, http.StatusGone, "cabinet_closed")
}
