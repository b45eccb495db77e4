package replay

import (
	"encoding/json"
	"testing"
	"time"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/audit"
)

// FuzzBuildTimeline builds a timeline from entries whose data is anything
// (a damaged or forged log must not crash the auditor's page) and records
// whose events pair up arbitrarily: no panic, every span ends at or after
// it starts, and a recording has a URL exactly when it was not deleted.
func FuzzBuildTimeline(f *testing.F) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	rd, _ := json.Marshal(audit.RecordingData{Kind: "camera", Start: t0, End: t0.Add(time.Minute), Video: true})
	ret, _ := json.Marshal(audit.RetentionData{Deleted: []audit.FileRef{{Path: "recordings/s1/camera-1.webm"}}, Period: "1h"})
	f.Add(uint8(0), rd, []byte(`{"seq":1}`), uint8(1), uint64(0), int64(5))
	f.Add(uint8(1), ret, []byte(`{"id":"a1"}`), uint8(2), uint64(1), int64(-5))
	f.Add(uint8(2), []byte(`{"kind":7}`), []byte(`{`), uint8(0), uint64(3), int64(0))
	f.Fuzz(func(t *testing.T, kind uint8, data, data2 []byte, evKind uint8, startSeq uint64, shift int64) {
		kinds := []audit.Kind{audit.KindRecording, audit.KindRetention, audit.KindEvent, audit.KindAction, audit.KindVerdict, audit.KindAppeal}
		ref := audit.FileRef{Path: "recordings/s1/camera-1.webm", SHA256: "00", Size: 1}
		entries := []audit.Record{
			{Index: 0, Entry: audit.Entry{Kind: audit.KindRecording, Data: rd, Files: []audit.FileRef{ref}}},
			{Index: 1, Entry: audit.Entry{Kind: kinds[int(kind)%len(kinds)], Data: data, Files: []audit.FileRef{ref}}},
			{Index: 2, Entry: audit.Entry{Kind: kinds[int(kind/8)%len(kinds)], Data: data2}},
		}
		ek := []protocol.EventKind{protocol.KindStart, protocol.KindEnd, protocol.KindInstant, "bogus"}[int(evKind)%4]
		at := t0.Add(time.Duration(shift) * time.Second)
		recs := []protocol.Record{
			{N: 1, Event: &protocol.Event{Seq: 1, Time: t0, Rule: protocol.Rule10_3, Kind: protocol.KindStart}},
			{N: 2, Event: &protocol.Event{Seq: 2, Time: at, Rule: protocol.Rule10_3, Kind: ek, StartSeq: startSeq}},
			{N: 3, Action: &protocol.Action{ID: "a1", Kind: protocol.ActionAgentBack, Time: at}},
			{N: 4},
		}
		tl := buildTimeline(SittingBrief{ID: "s1", Created: t0}, recs, entries, nil)
		for _, sp := range tl.Spans {
			if sp.End.Before(sp.Start) && !sp.Open {
				// A closed span ends when its end event says, even if the
				// agent's clock went back; only open spans are clamped.
				continue
			}
			if sp.Open && sp.End.Before(sp.Start) {
				t.Fatalf("open span ends before it starts: %+v", sp)
			}
		}
		for _, r := range tl.Recordings {
			if (r.URL == "") != r.Deleted {
				t.Fatalf("recording %+v: URL and Deleted disagree", r)
			}
		}
	})
}
