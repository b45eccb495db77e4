package assess

import (
	"encoding/json"
	"testing"

	"kuzet.kz/kuzet/protocol"
)

// FuzzApply folds records an agent or a proctor could have produced (each
// valid on its own, in any order and combination) and checks that the
// summary and the assessment are always well-formed: the state never
// panics, the score is the sum of its items, and a dismissed flag adds
// nothing.
func FuzzApply(f *testing.F) {
	f.Add([]byte(`[{"event":{"seq":1,"time":"2026-11-23T09:00:00Z","rule":"10.2","kind":"start","subject":"x","severity":"violation","key":"k"}},
{"action":{"id":"a","kind":"flag_dismissed","time":"2026-11-23T09:00:01Z","actor":"p","target":1}},
{"event":{"seq":2,"time":"2026-11-23T09:00:02Z","rule":"10.2","kind":"end","start_seq":1,"subject":"x","severity":"info","key":"k"}}]`))
	f.Add([]byte(`[{"action":{"id":"a","kind":"verdict","time":"2026-11-23T09:00:01Z","actor":"p","verdict":{"outcome":"clean"}}},{"action":{"id":"b","kind":"pause","time":"2026-11-23T09:00:01Z","actor":"p"}}]`))
	w := DefaultWeights()
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []protocol.Record
		if json.Unmarshal(data, &recs) != nil || len(recs) > 2000 {
			return
		}
		s := New()
		n := uint64(0)
		for i := range recs {
			r := recs[i]
			r.Sitting = "s"
			n++
			r.N = n
			if r.Validate() != nil {
				n--
				continue
			}
			if err := s.Apply(&r); err != nil {
				t.Fatalf("record %d: %v", r.N, err)
			}
		}
		sum := protocol.SittingSummary{SittingInfo: protocol.SittingInfo{ID: "s"}}
		s.Summarize(w, &sum)
		if err := (&protocol.SittingUpdate{Sitting: sum}).Validate(); err != nil {
			t.Fatalf("summary does not validate: %v (%+v)", err, sum)
		}
		a := s.Assessment("s", w)
		if err := a.Validate(); err != nil {
			t.Fatalf("assessment does not validate: %v", err)
		}
		total := 0.0
		for _, it := range a.Items {
			total += it.Points
			if fl, ok := s.Flag(it.N); !ok || fl.Dismissed() {
				t.Fatalf("item %+v is not a standing flag", it)
			}
		}
		if d := total - a.Risk; d > 0.01 || d < -0.01 {
			t.Fatalf("items sum to %v, risk is %v", total, a.Risk)
		}
		if sum.OpenFlags != len(s.OpenFlags()) {
			t.Fatalf("summary says %d open flags, state %d", sum.OpenFlags, len(s.OpenFlags()))
		}
	})
}
