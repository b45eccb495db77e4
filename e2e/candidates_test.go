package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/calendar"
	"kuzet.kz/kuzet/server/pii"
	"kuzet.kz/kuzet/server/ruleset"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow"
	"kuzet.kz/kuzet/server/workflow/boltstore"
	"kuzet.kz/kuzet/server/workflow/proctorport"
)

// benchIINs are n valid IINs of people born 1 January 1990 (some serial
// numbers have no valid check digit and are skipped).
func benchIINs(n int) []string {
	out := []string{}
	for serial := 0; len(out) < n; serial++ {
		for d := 0; d <= 9; d++ {
			if s := fmt.Sprintf("9001013%04d%d", serial, d); pii.CheckIIN(s) == nil {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// seedCompetition seeds, into a server's store (a running server's, or
// the store of a stopped one's data directory), one competition whose
// only stage is stage, with n admitted candidates whose agents joined
// their sittings of it, and returns its engine and their cabinet tokens.
// It plays the competition's past with its own engine and clock over the
// same bbolt file, as the demo does; the engine's clock is left 40
// minutes before now (what it imports then is dated so).
func seedCompetition(tb testing.TB, st *store.Store, data string, n int, stage workflow.Stage) (*workflow.Engine, []string) {
	ctx := context.Background()
	fail := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	now := time.Now()
	clock := now
	key, err := pii.LoadOrCreateKey(filepath.Join(data, "keys", "pii.key"))
	fail(err)
	vault, err := pii.New(key)
	fail(err)
	cal, err := calendar.Load("")
	fail(err)
	rules, err := ruleset.Load(filepath.Join(data, "rulesets"))
	fail(err)
	ws, err := boltstore.New(st.DB())
	fail(err)
	adm := admin.New(st)
	e, err := workflow.New(workflow.Config{Store: ws, Vault: vault, Calendar: cal, Rules: rules,
		Sittings: proctorport.Port{Admin: adm, Store: st}, Documents: filepath.Join(data, "documents"), Now: func() time.Time { return clock }})
	fail(err)
	deadline := now.AddDate(0, 0, -25)
	opens := deadline.AddDate(0, 0, -10)
	clock = opens.Add(-24 * time.Hour)
	c, err := e.Create(ctx, "bench", workflow.NewCompetition{Body: "min-transport", Position: "bench: chief expert",
		Opens: opens.In(calendar.Zone).Format(time.DateOnly), Deadline: deadline.In(calendar.Zone).Format(time.DateOnly),
		Stages: []workflow.Stage{stage}})
	fail(err)
	clock = opens.Add(time.Hour)
	_, err = e.Publish(ctx, "bench", c.ID)
	fail(err)
	doc := append([]byte("%PDF-1.4\n1 0 obj <<>> endobj\n"), bytes.Repeat([]byte("x"), 100)...)
	var apps []workflow.Applied
	iins := benchIINs(n)
	for i := range n {
		a, err := e.Apply(ctx, c.ID, workflow.Personal{Name: fmt.Sprintf("Bench %d", i), IIN: iins[i], Email: fmt.Sprintf("b%d@bench.kz", i), Phone: "+7 700 000 0000"},
			[]workflow.Upload{{Kind: workflow.DocEducation, Data: doc}, {Kind: workflow.DocEducationAttachment, Data: doc}})
		fail(err)
		apps = append(apps, a)
	}
	clock = cal.AddDays(deadline, 1).Add(4 * time.Hour)
	fail(e.Tick(ctx))
	for _, a := range apps {
		_, err := e.Review(ctx, "bench", a.Application.ID, workflow.Decision{Outcome: workflow.OutcomeAdmit})
		fail(err)
	}
	_, err = e.StartStages(ctx, "bench", c.ID)
	fail(err)
	clock = now.Add(-40 * time.Minute)
	if got, err := e.OpenStage(ctx, "bench", c.ID, stage.Kind); err != nil || got != n {
		tb.Fatalf("opened %d sittings: %v", got, err)
	}
	tokens := []string{}
	for _, a := range apps {
		app, err := e.Application(ctx, a.Application.ID)
		fail(err)
		join, err := e.JoinToken(app.Sittings[0])
		fail(err)
		_, _, err = adm.Join(join)
		fail(err)
		tokens = append(tokens, a.Token)
	}
	return e, tokens
}

// benchServer starts an in-process server for a benchmark, stopped when
// the benchmark ends, and returns it with its data directory.
func benchServer(b *testing.B) (*server, string) {
	data := filepath.Join(b.TempDir(), "server")
	srv := startServer(b, data, freePort(b))
	b.Cleanup(func() { srv.stop(b) })
	return srv, data
}

// cabinetCall sends a cabinet request (in, when not nil, as JSON) with the
// candidate's token and decodes a 200 answer into out (when not nil).
func cabinetCall(cl *http.Client, method, url, token string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return 0, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

// benchClient keeps a connection per candidate, as each candidate's
// browser does.
func benchClient(candidates int) *http.Client {
	tr := &http.Transport{MaxIdleConns: candidates, MaxIdleConnsPerHost: candidates, MaxConnsPerHost: candidates}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// benchModes are the two ways the save benchmarks send: "burst", every
// candidate at the same instant (the capacity), and "paced", each
// candidate once a second (the latency a candidate waits for).
var benchModes = []struct {
	name string
	gap  time.Duration
}{{"burst", 0}, {"paced", time.Second}}

// saveRounds runs b.N rounds in which each of the candidates saves once:
// save(cl, i, r) makes candidate i's save of revision r (revisions go on
// from *rev, across the sub-benchmarks) and fails the run with an error.
// gap 0 sends every candidate's save at the same instant; otherwise each
// candidate saves every gap, the candidates spread over it. Reported:
// saves per second (unit) and the acknowledgement latency (p50, p99).
func saveRounds(b *testing.B, candidates int, rev *int, gap time.Duration, unit string, save func(cl *http.Client, i, r int) error) {
	base := *rev
	*rev += b.N
	cl := benchClient(candidates)
	lat := make([][]time.Duration, candidates)
	var fails sync.Map
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range candidates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if gap > 0 {
				time.Sleep(gap * time.Duration(i) / time.Duration(candidates))
			}
			for r := base + 1; r <= base+b.N; r++ {
				next := time.Now().Add(gap)
				t0 := time.Now()
				err := save(cl, i, r)
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil {
					fails.Store(i, err)
				}
				time.Sleep(time.Until(next))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	fails.Range(func(k, v any) bool {
		b.Fatalf("candidate %v: save refused or failed: %v", k, v)
		return false
	})
	all := []time.Duration{}
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), unit)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
}
