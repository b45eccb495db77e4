package e2e

import (
	"bytes"
	"context"
	"fmt"
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

// essayCandidates seeds, into a running server's store, one competition
// in its essay stage with n admitted candidates whose agents joined their
// sittings, and returns their cabinet tokens. It plays the competition's
// past with its own engine and clock over the same bbolt file, as the
// demo does.
func essayCandidates(b *testing.B, srv *server, data string, n int) []string {
	ctx := context.Background()
	now := time.Now()
	clock := now
	key, err := pii.LoadOrCreateKey(filepath.Join(data, "keys", "pii.key"))
	if err != nil {
		b.Fatal(err)
	}
	vault, err := pii.New(key)
	if err != nil {
		b.Fatal(err)
	}
	cal, err := calendar.Load("")
	if err != nil {
		b.Fatal(err)
	}
	rules, err := ruleset.Load(filepath.Join(data, "rulesets"))
	if err != nil {
		b.Fatal(err)
	}
	ws, err := boltstore.New(srv.ready.Store.DB())
	if err != nil {
		b.Fatal(err)
	}
	adm := admin.New(srv.ready.Store)
	e, err := workflow.New(workflow.Config{Store: ws, Vault: vault, Calendar: cal, Rules: rules,
		Sittings: proctorport.Port{Admin: adm, Store: srv.ready.Store}, Documents: filepath.Join(data, "documents"), Now: func() time.Time { return clock }})
	if err != nil {
		b.Fatal(err)
	}
	deadline := now.AddDate(0, 0, -25)
	opens := deadline.AddDate(0, 0, -10)
	clock = opens.Add(-24 * time.Hour)
	c, err := e.Create(ctx, "bench", workflow.NewCompetition{Body: "min-transport", Position: "bench: chief expert",
		Opens: opens.In(calendar.Zone).Format(time.DateOnly), Deadline: deadline.In(calendar.Zone).Format(time.DateOnly),
		Stages: []workflow.Stage{{Kind: workflow.StageEssay, Starts: now.Add(-30 * time.Minute), Ends: now.Add(4 * time.Hour)}}})
	if err != nil {
		b.Fatal(err)
	}
	clock = opens.Add(time.Hour)
	if _, err := e.Publish(ctx, "bench", c.ID); err != nil {
		b.Fatal(err)
	}
	doc := append([]byte("%PDF-1.4\n1 0 obj <<>> endobj\n"), bytes.Repeat([]byte("x"), 100)...)
	var apps []workflow.Applied
	iins := benchIINs(n)
	for i := range n {
		a, err := e.Apply(ctx, c.ID, workflow.Personal{Name: fmt.Sprintf("Bench %d", i), IIN: iins[i], Email: fmt.Sprintf("b%d@bench.kz", i), Phone: "+7 700 000 0000"},
			[]workflow.Upload{{Kind: workflow.DocEducation, Data: doc}, {Kind: workflow.DocEducationAttachment, Data: doc}})
		if err != nil {
			b.Fatal(err)
		}
		apps = append(apps, a)
	}
	clock = cal.AddDays(deadline, 1).Add(4 * time.Hour)
	if err := e.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	for _, a := range apps {
		if _, err := e.Review(ctx, "bench", a.Application.ID, workflow.Decision{Outcome: workflow.OutcomeAdmit}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.StartStages(ctx, "bench", c.ID); err != nil {
		b.Fatal(err)
	}
	clock = now.Add(-40 * time.Minute)
	if got, err := e.OpenStage(ctx, "bench", c.ID, workflow.StageEssay); err != nil || got != n {
		b.Fatalf("opened %d sittings: %v", got, err)
	}
	tokens := []string{}
	for _, a := range apps {
		app, err := e.Application(ctx, a.Application.ID)
		if err != nil {
			b.Fatal(err)
		}
		join, err := e.JoinToken(app.Sittings[0])
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := adm.Join(join); err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, a.Token)
	}
	return tokens
}

// BenchmarkEssaySaves1000Candidates: 1 000 candidates type their essays
// at once, each page saving its newest revision over HTTP to one
// kuzet-server (bbolt; a save is acknowledged only after its commit is
// on disk). One iteration is a round in which every candidate saves once:
// "burst" sends all 1 000 at the same instant (the capacity: saves per
// second), "paced" spreads each candidate's saves one second apart, as
// pages typing steadily do (the latency a candidate waits for). Reported:
// saves per second and the acknowledgement latency (p50, p99).
func BenchmarkEssaySaves1000Candidates(b *testing.B) {
	const candidates = 1000
	data := filepath.Join(b.TempDir(), "server")
	srv := startServer(b, data, freePort(b))
	defer srv.stop(b)
	tokens := essayCandidates(b, srv, data, candidates)
	rev := 0
	for _, mode := range []struct {
		name string
		gap  time.Duration
	}{{"burst", 0}, {"paced", time.Second}} {
		b.Run(mode.name, func(b *testing.B) {
			saveRounds(b, srv.ready.URL, tokens, &rev, mode.gap)
		})
	}
}

func saveRounds(b *testing.B, url string, tokens []string, rev *int, gap time.Duration) {
	candidates := len(tokens)
	base := *rev
	*rev += b.N
	tr := &http.Transport{MaxIdleConns: candidates, MaxIdleConnsPerHost: candidates, MaxConnsPerHost: candidates}
	cl := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	lat := make([][]time.Duration, candidates)
	var fails sync.Map
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if gap > 0 {
				time.Sleep(gap * time.Duration(i) / time.Duration(candidates))
			}
			for r := base + 1; r <= base+b.N; r++ {
				next := time.Now().Add(gap)
				body := fmt.Sprintf(`{"text":"эссе мәтіні %d, нұсқа %d","revision":%d}`, i, r, r)
				req, _ := http.NewRequest(http.MethodPut, url+"/api/cabinet/essay", bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				t0 := time.Now()
				resp, err := cl.Do(req)
				d := time.Since(t0)
				if err != nil || resp.StatusCode != http.StatusOK {
					code := 0
					if resp != nil {
						code = resp.StatusCode
					}
					fails.Store(i, fmt.Sprintf("%d %v", code, err))
				}
				if resp != nil {
					resp.Body.Close()
				}
				lat[i] = append(lat[i], d)
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
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "saves/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
}
