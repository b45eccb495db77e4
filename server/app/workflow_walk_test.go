package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/app"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/config"
	"kuzet.kz/kuzet/server/pii"
)

// clock is a movable clock for the server's workflow.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// almaty is a wall-clock time in Kazakhstan.
func almaty(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Zone)
	if err != nil {
		panic(err)
	}
	return t
}

// TestP117_CompetitionWalksFromDraftToCompletedThroughTheAPI drives one
// competition through the real server's HTTP API, as HR and as two
// candidates, on the dates of March 2026 (8 March is a Sunday, so Monday
// the 9th is a day off): created as a draft, published, two applications
// with their scans, the review after the deadline (the tick moves it), one
// package incomplete and completed once (p.73), both admitted with PINs
// (p.74-1), the stages started and the essay's sittings opened, then the
// essay ends with nobody joined and the tick completes the competition by
// itself, every candidate notified in kk, ru and en (p.117); the interview notice is
// refused, nobody having been selected for it (p.120).
func TestP117_CompetitionWalksFromDraftToCompletedThroughTheAPI(t *testing.T) {
	clk := &clock{t: almaty("2026-03-02 09:00")}
	r := startWith(t, clk.now)
	hr := login(t, r, r.Demo.HRUser, r.Demo.HRPassword)
	anon := &http.Client{Timeout: 10 * time.Second}
	ctx := context.Background()

	type errBody struct {
		Error struct {
			Code, Key, Message string
			Args               map[string]string
		} `json:"error"`
	}
	do := func(c *http.Client, method, path, token string, body any, want int, out any) errBody {
		t.Helper()
		var rd io.Reader
		ctype := "application/json"
		switch b := body.(type) {
		case nil:
		case []byte:
			rd, ctype = bytes.NewReader(b), "application/octet-stream"
		default:
			raw, _ := json.Marshal(b)
			rd = bytes.NewReader(raw)
		}
		if method == http.MethodPost && rd == nil {
			rd = strings.NewReader("{}")
		}
		req, _ := http.NewRequest(method, r.URL+path, rd)
		if rd != nil {
			req.Header.Set("Content-Type", ctype)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, raw, want)
		}
		var e errBody
		_ = json.Unmarshal(raw, &e)
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("%s %s: %v in %s", method, path, err, raw)
			}
		}
		return e
	}
	type comp struct {
		ID        string         `json:"id"`
		Status    string         `json:"status"`
		ReviewDay string         `json:"review_last_day"`
		Counts    map[string]int `json:"counts"`
	}
	stages := []map[string]any{
		{"kind": "essay", "starts": almaty("2026-03-16 10:00"), "ends": almaty("2026-03-16 12:00")},
		{"kind": "interview", "starts": almaty("2026-03-18 10:00"), "ends": almaty("2026-03-18 13:00"), "link": "https://meet.example.kz/int"},
	}
	newComp := map[string]any{"body": "min-justice", "position": "Chief expert, legal department", "requires_experience": true,
		"opens": "2026-03-02", "deadline": "2026-03-04", "stages": stages}

	// Bad input first: dates out of order, refused with the key, nothing stored.
	bad := map[string]any{}
	for k, v := range newComp {
		bad[k] = v
	}
	bad["deadline"] = "2026-03-01"
	if e := do(hr, "POST", "/api/competitions", "", bad, http.StatusBadRequest, nil); e.Error.Key != "workflow.err.dates_order" || e.Error.Args["opens"] != "2026-03-02" {
		t.Fatalf("dates out of order: %+v", e.Error)
	}
	var before []comp
	do(hr, "GET", "/api/competitions", "", nil, http.StatusOK, &before)

	var c comp
	do(hr, "POST", "/api/competitions", "", newComp, http.StatusCreated, &c)
	if c.Status != "draft" {
		t.Fatalf("a new competition is %s, want draft", c.Status)
	}
	var after []comp
	do(hr, "GET", "/api/competitions", "", nil, http.StatusOK, &after)
	if len(after) != len(before)+1 {
		t.Fatalf("%d competitions after one create, %d before: the refused one was stored?", len(after), len(before))
	}
	// p.73: the review ends 3 working days after 4 March: 5, 6 and then
	// 10 March (the 7th and 8th are the weekend, the 9th the day off for
	// 8 March).
	if got := c.ReviewDay; got != "2026-03-10" {
		t.Errorf("review due %s, want 2026-03-10", got)
	}
	do(hr, "POST", "/api/competitions/"+c.ID+"/apply", "", map[string]string{"name": "Test Candidate", "iin": validIIN(t, 0), "email": "a@example.kz"}, http.StatusConflict, nil)
	do(hr, "POST", "/api/competitions/"+c.ID+"/publish", "", nil, http.StatusOK, &c)
	if c.Status != "accepting" {
		t.Fatalf("published: %s", c.Status)
	}

	// Two candidates apply on the public form and upload their scans in
	// their cabinets.
	type applied struct {
		Application, Token, Link string
	}
	var cand [2]applied
	for i := range cand {
		do(anon, "POST", "/api/competitions/"+c.ID+"/apply", "", map[string]string{
			"name": fmt.Sprintf("Walk Candidate %d", i), "iin": validIIN(t, i), "email": fmt.Sprintf("walk%d@example.kz", i), "phone": "+7 701 000 0000",
		}, http.StatusCreated, &cand[i])
		if !strings.Contains(cand[i].Link, "/cabinet.html#inbox=") {
			t.Fatalf("cabinet link %q", cand[i].Link)
		}
	}
	do(anon, "POST", "/api/competitions/"+c.ID+"/apply", "", map[string]string{"name": "Walk Candidate 0", "iin": validIIN(t, 0), "email": "x@example.kz"}, http.StatusConflict, nil)
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	kinds := [][]string{{"education", "education_attachment", "experience"}, {"education", "education_attachment"}}
	for i, ks := range kinds {
		for _, k := range ks {
			do(anon, "POST", "/api/cabinet/documents?kind="+k, cand[i].Token, pdf, http.StatusCreated, nil)
		}
	}
	if e := do(anon, "POST", "/api/cabinet/documents?kind=other", cand[1].Token, []byte("GIF89a not a scan"), http.StatusBadRequest, nil); e.Error.Key != "workflow.err.doc_type" {
		t.Fatalf("a GIF: %+v", e.Error)
	}

	// After the deadline the tick ends the acceptance: review.
	clk.set(almaty("2026-03-05 09:00"))
	if err := r.Workflow.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	do(hr, "GET", "/api/competitions/"+c.ID, "", nil, http.StatusOK, &c)
	if c.Status != "review" || c.Counts["submitted"] != 2 {
		t.Fatalf("after the deadline: %s %v", c.Status, c.Counts)
	}

	// p.73: a complete package is admitted; the one without proof of
	// experience cannot be, is marked incomplete and completed once.
	if e := do(hr, "POST", "/api/applications/"+cand[1].Application+"/review", "", map[string]any{"outcome": "admitted"}, http.StatusConflict, nil); e.Error.Key != "workflow.err.p73_lacking" {
		t.Fatalf("admitting a package without proof of experience: %+v", e.Error)
	}
	do(hr, "POST", "/api/applications/"+cand[0].Application+"/review", "", map[string]any{"outcome": "admitted"}, http.StatusOK, nil)
	do(hr, "POST", "/api/applications/"+cand[1].Application+"/review", "", map[string]any{"outcome": "incomplete", "missing": []string{"proof of work experience"}}, http.StatusOK, nil)
	clk.set(almaty("2026-03-05 15:00"))
	do(anon, "POST", "/api/cabinet/documents?kind=experience", cand[1].Token, pdf, http.StatusCreated, nil)
	do(anon, "POST", "/api/cabinet/supplement", cand[1].Token, nil, http.StatusOK, nil)
	if e := do(anon, "POST", "/api/cabinet/supplement", cand[1].Token, nil, http.StatusConflict, nil); e.Error.Key != "workflow.err.p73_once" {
		t.Fatalf("a second supplement: %+v", e.Error)
	}
	do(hr, "POST", "/api/applications/"+cand[1].Application+"/review", "", map[string]any{"outcome": "admitted"}, http.StatusOK, nil)

	// p.74-1: both have PINs, the PIN list shows nothing else.
	var pins []map[string]any
	do(hr, "GET", "/api/competitions/"+c.ID+"/pins", "", nil, http.StatusOK, &pins)
	if len(pins) != 2 {
		t.Fatalf("pins: %v", pins)
	}
	do(hr, "POST", "/api/competitions/"+c.ID+"/start-stages", "", nil, http.StatusOK, &c)
	if c.Status != "stages" {
		t.Fatalf("start stages: %s", c.Status)
	}
	clk.set(almaty("2026-03-16 09:00"))
	do(hr, "POST", "/api/competitions/"+c.ID+"/stages/essay/open", "", nil, http.StatusOK, nil)
	// p.120: the interview notice goes to the finalists only, so it is
	// refused until the system selected them (after the essay).
	if e := do(hr, "POST", "/api/competitions/"+c.ID+"/interview/notify", "", nil, http.StatusConflict, nil); e.Error.Key != "workflow.err.p120_not_selected" || e.Error.Args["clause"] != "p.120" {
		t.Fatalf("the interview notice before the finalists were selected: %+v", e.Error)
	}

	// The essay ends; nobody joined its sittings.
	clk.set(almaty("2026-03-16 12:01"))
	if err := r.Workflow.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	do(hr, "GET", "/api/competitions/"+c.ID, "", nil, http.StatusOK, &c)
	if c.Status != "completed" {
		t.Fatalf("after an essay nobody took: %s, want completed (p.117)", c.Status)
	}
	for i := range cand {
		var inbox struct {
			Application   struct{ Status, PIN string }
			Notifications []struct {
				Key  string
				Text map[string]string
			}
			Join []struct{ Stage, Link string }
		}
		do(anon, "GET", "/api/cabinet/inbox", cand[i].Token, nil, http.StatusOK, &inbox)
		var keys []string
		for _, n := range inbox.Notifications {
			keys = append(keys, n.Key)
			for _, l := range []string{"kk", "ru", "en"} {
				if n.Text[l] == "" || strings.ContainsAny(n.Text[l], "{}") {
					t.Errorf("candidate %d: notice %s in %s is %q", i, n.Key, l, n.Text[l])
				}
			}
		}
		got := strings.Join(keys, " ")
		for _, want := range []string{"workflow.notify.received", "workflow.notify.admitted", "workflow.notify.completed_p117"} {
			if !strings.Contains(got, want) {
				t.Errorf("candidate %d's inbox lacks %s: %s", i, want, got)
			}
		}
		if strings.Contains(got, "workflow.notify.interview") {
			t.Errorf("candidate %d was invited to an interview nobody was selected for (p.120): %s", i, got)
		}
		if i == 1 && !strings.Contains(got, "workflow.notify.incomplete") {
			t.Errorf("the incomplete package's notice is missing: %s", got)
		}
		if inbox.Application.PIN == "" {
			t.Errorf("candidate %d has no PIN in the cabinet", i)
		}
	}
	// Nothing more can happen to a completed competition.
	do(hr, "POST", "/api/competitions/"+c.ID+"/cancel", "", map[string]string{"reason": "late"}, http.StatusConflict, nil)
}

// startWith starts the demo server with the workflow on the given clock.
func startWith(t testing.TB, now func() time.Time) app.Ready {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.PublicURL = "http://127.0.0.1"
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Demo = true
	cfg.Now = now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan app.Ready, 1)
	go func() { done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), func(r app.Ready) { ready <- r }) }()
	var r app.Ready
	select {
	case r = <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return r
}

// validIIN makes a valid IIN of a fictional person born in 1985.
func validIIN(t *testing.T, i int) string {
	t.Helper()
	p := fmt.Sprintf("850315%d%04d", 3+i%2, 2000+i)
	for d := '0'; d <= '9'; d++ {
		if pii.CheckIIN(p+string(d)) == nil {
			return p + string(d)
		}
	}
	t.Fatalf("no check digit for %s", p)
	return ""
}
