package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/workflow"
)

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
	srv, data := benchServer(b)
	now := time.Now()
	_, tokens := seedCompetition(b, srv.ready.Store, data, candidates,
		workflow.Stage{Kind: workflow.StageEssay, Starts: now.Add(-30 * time.Minute), Ends: now.Add(4 * time.Hour)})
	url := srv.ready.URL + "/api/cabinet/essay"
	rev := 0
	for _, mode := range benchModes {
		b.Run(mode.name, func(b *testing.B) {
			saveRounds(b, candidates, &rev, mode.gap, "saves/s", func(cl *http.Client, i, r int) error {
				in := map[string]any{"text": fmt.Sprintf("эссе мәтіні %d, нұсқа %d", i, r), "revision": r}
				if code, err := cabinetCall(cl, http.MethodPut, url, tokens[i], in, nil); err != nil || code != http.StatusOK {
					return fmt.Errorf("%d %v", code, err)
				}
				return nil
			})
		})
	}
}
