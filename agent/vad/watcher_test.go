package vad

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/finding"
	"kuzet.kz/kuzet/protocol"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// script turns a pattern into frames of 100 ms: 'S' speech, '.' none.
// Spaces are ignored, so patterns can be grouped by second.
func script(pattern string) []Frame {
	var frames []Frame
	for _, c := range strings.ReplaceAll(pattern, " ", "") {
		frames = append(frames, Frame{
			Start:    time.Duration(len(frames)) * 100 * time.Millisecond,
			Duration: 100 * time.Millisecond,
			Speech:   c == 'S',
		})
	}
	return frames
}

// feed gives the frames to w in batches of half a second, as the agent's
// loop would, and returns every transition with when it was returned.
type emitted struct {
	tr   finding.Transition
	when time.Duration // offset of the Update call that returned it
}

func feed(w *Watcher, frames []Frame) []emitted {
	var out []emitted
	for i := 0; i < len(frames); i += 5 {
		batch := frames[i:min(i+5, len(frames))]
		now := t0.Add(batch[len(batch)-1].End())
		for _, tr := range w.Update(now, batch) {
			out = append(out, emitted{tr, now.Sub(t0)})
		}
	}
	return out
}

// describe renders transitions compactly: "start@1s(4.5s) end@4s(9.5s)" gives
// the kind, At and, in brackets, when it was reported.
func describe(es []emitted) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, fmt.Sprintf("%s@%v(%v)", e.tr.Kind, e.tr.At.Sub(t0), e.when))
	}
	return strings.Join(parts, " ")
}

func TestWatcherScripts(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		want    string
	}{
		{"3 s of speech opens a span where it began; it ends 5 s after",
			".......... SSSSSSSSSS SSSSSSSSSS SSSSSSSSSS .......... .......... .......... .......... .......... ..........",
			"start@1s(4s) end@4s(9s)"},
		{"2.9 s of speech is not enough",
			"SSSSSSSSSS SSSSSSSSSS SSSSSSSSS. .......... .......... .......... ..........",
			""},
		{"bursts add up within the window",
			"SSSSSSSSSS .......... SSSSSSSSSS .......... SSSSSSSSSS .......... .......... .......... .......... ..........",
			"start@0s(5s) end@5s(10s)"},
		{"bursts too far apart never fill the window",
			"SSSSSSSSSS .......... .......... .......... .......... SSSSSSSSSS .......... .......... .......... .......... SSSSSSSSSS .......... .......... .......... .......... SSSSSSSSSS",
			""},
		{"a pause shorter than EndAfter keeps one span",
			"SSSSSSSSSS SSSSSSSSSS SSSSSSSSSS .......... .......... .......... ....SSSSSS .......... .......... .......... .......... .......... ..........",
			"start@0s(3s) end@7s(12s)"},
		{"after a span ends, a new one needs 3 s again",
			"SSSSSSSSSS SSSSSSSSSS SSSSSSSSSS .......... .......... .......... .......... .......... SSSSSSSSSS SSSSSSSSSS .......... .......... .......... .......... .......... SSSSSSSSSS SSSSSSSSSS SSSSSSSSSS .......... .......... .......... .......... ..........",
			"start@0s(3s) end@3s(8s) start@8s(16s) end@18s(23s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWatcher(WatcherConfig{})
			if err != nil {
				t.Fatal(err)
			}
			got := feed(w, script(tc.pattern))
			if d := describe(got); d != tc.want {
				t.Fatalf("got  %q\nwant %q", d, tc.want)
			}
			for _, e := range got {
				tr := e.tr
				if tr.Rule != protocol.Rule10_8 || tr.Subject != SubjectSpeech || tr.Severity != protocol.SeveritySuspected {
					t.Fatalf("transition %+v: want rule 10.8, subject speech, suspected", tr)
				}
				if tr.Kind == protocol.KindStart && tr.Key != "vad.speech.start" || tr.Kind == protocol.KindEnd && tr.Key != "vad.speech.end" {
					t.Fatalf("transition %s has key %q", tr.Kind, tr.Key)
				}
			}
		})
	}
}

func TestWatcherStartTimeIsWithinABatch(t *testing.T) {
	// Speech starts 1.3 s into the stream; the watcher gets all frames in
	// one call with now = the end of the last frame.
	w, _ := NewWatcher(WatcherConfig{})
	frames := script("............. SSSSSSSSSS SSSSSSSSSS SSSSSSSSSS")
	now := t0.Add(time.Hour)
	trs := w.Update(now, frames)
	if len(trs) != 1 || trs[0].Kind != protocol.KindStart {
		t.Fatalf("got %+v, want one start", trs)
	}
	if want := now.Add(-3 * time.Second); !trs[0].At.Equal(want) {
		t.Fatalf("start at %v, want %v (3 s before now)", trs[0].At, want)
	}
	if trs[0].Args["seconds"] != "3" || trs[0].Args["window"] != "10" {
		t.Fatalf("args %v", trs[0].Args)
	}
	// No frames at all (the microphone stopped): the span still ends.
	if trs := w.Update(now.Add(4*time.Second), nil); len(trs) != 0 {
		t.Fatalf("ended before EndAfter: %+v", trs)
	}
	trs = w.Update(now.Add(5*time.Second), nil)
	if len(trs) != 1 || trs[0].Kind != protocol.KindEnd || !trs[0].At.Equal(now) {
		t.Fatalf("got %+v, want an end at the last speech", trs)
	}
}

func TestWatcherStages(t *testing.T) {
	w, _ := NewWatcher(WatcherConfig{MinSpeech: 2 * time.Second, AlsoRule10_2: true})
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	speech := func(from, to int) []Frame { // whole seconds, in 100 ms frames
		var fs []Frame
		for ds := 10 * from; ds < 10*to; ds++ {
			fs = append(fs, Frame{Start: time.Duration(ds) * 100 * time.Millisecond, Duration: 100 * time.Millisecond, Speech: true})
		}
		return fs
	}
	// An interview: the candidate answers aloud; nothing is reported.
	if trs := w.SetSpeakingAllowed(at(0), true); len(trs) != 0 {
		t.Fatalf("allowing speech with nothing open: %+v", trs)
	}
	if trs := w.Update(at(5), speech(0, 5)); len(trs) != 0 {
		t.Fatalf("speech while allowed was reported: %+v", trs)
	}
	// Back to a written stage. The 5 s just spoken must not count.
	if trs := w.SetSpeakingAllowed(at(5), false); len(trs) != 0 {
		t.Fatalf("forbidding speech: %+v", trs)
	}
	if trs := w.Update(at(6), speech(5, 6)); len(trs) != 0 {
		t.Fatalf("speech before the stage counted: %+v", trs)
	}
	trs := w.Update(at(7), speech(6, 7))
	if len(trs) != 2 || trs[0].Rule != protocol.Rule10_8 || trs[1].Rule != protocol.Rule10_2 ||
		trs[1].Subject != SubjectVoice || trs[1].Key != "vad.voices.start" || !trs[0].At.Equal(at(5)) || !trs[1].At.Equal(at(5)) {
		t.Fatalf("got %+v, want 10.8 and 10.2 starts at 5 s", trs)
	}
	if !w.Active() {
		t.Fatal("not active after a start")
	}
	// The proctor starts an oral question mid-span: the span ends at the
	// last speech heard, not later.
	trs = w.SetSpeakingAllowed(at(8), true)
	if len(trs) != 2 || trs[0].Kind != protocol.KindEnd || !trs[0].At.Equal(at(7)) || trs[1].Rule != protocol.Rule10_2 {
		t.Fatalf("got %+v, want 10.8 and 10.2 ends at 7 s", trs)
	}
	if w.Active() {
		t.Fatal("still active")
	}
}

func TestWatcherConfig(t *testing.T) {
	bad := []WatcherConfig{
		{MinSpeech: 11 * time.Second},
		{Window: -time.Second},
		{EndAfter: time.Hour},
		{Severity: protocol.SeverityUnchecked},
		{Severity: "bogus"},
	}
	for _, c := range bad {
		if _, err := NewWatcher(c); !errors.Is(err, ErrConfig) {
			t.Errorf("NewWatcher(%+v) = %v, want ErrConfig", c, err)
		}
	}
	w, err := NewWatcher(WatcherConfig{Severity: protocol.SeverityViolation})
	if err != nil {
		t.Fatal(err)
	}
	if c := w.Config(); c.MinSpeech != 3*time.Second || c.Window != 10*time.Second || c.Severity != protocol.SeverityViolation {
		t.Fatalf("config %+v", c)
	}
}
