package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"kuzet.kz/kuzet/server/store"
)

// answered are the answers a candidate's page sent and had acknowledged,
// the newest of each item.
type answered map[string]heldAnswer

// check fails t unless v holds exactly the acknowledged answers, each at
// its acknowledged revision with its response; pending, when its item is
// not zero, is a save sent but not acknowledged (cut off by the kill),
// which the server may hold instead.
func (acked answered) check(t *testing.T, v *testView, pending heldAnswer) {
	t.Helper()
	for item, a := range acked {
		h, ok := v.held(item)
		same := ok && h.Revision == a.Revision && slices.Equal(h.Response, a.Response)
		inFlight := ok && item == pending.Item && h.Revision == pending.Revision && slices.Equal(h.Response, pending.Response)
		if !same && !inFlight {
			t.Errorf("item %s: acknowledged %+v, the server holds %+v (present %v)", item, a, h, ok)
		}
	}
	for _, h := range v.Answers {
		if _, ok := acked[h.Item]; !ok && (h.Item != pending.Item || h.Revision != pending.Revision) {
			t.Errorf("the server holds an answer never sent: %+v", h)
		}
	}
}

// correctOf counts the held answers that are right (choice A).
func correctOf(v *testView) int {
	n := 0
	for _, a := range v.Answers {
		if slices.Equal(a.Response, []string{"A"}) {
			n++
		}
	}
	return n
}

// checkGraded fails t unless v is submitted (auto as given) and scored by
// Annex 3 from exactly the answers it holds.
func checkGraded(t *testing.T, who string, v *testView, auto bool) {
	t.Helper()
	if v.Submitted == nil || v.Auto != auto || v.Correct == nil || v.Score == nil {
		t.Fatalf("%s: not graded as expected (auto %v): submitted %v, auto %v, correct %v, score %v", who, auto, v.Submitted, v.Auto, v.Correct, v.Score)
	}
	want := correctOf(v)
	if *v.Correct != want || !v.Score.Equal(expectedScore(want)) {
		t.Fatalf("%s: %d of the held answers are right (score %s), the server graded %d correct, score %s", who, want, expectedScore(want), *v.Correct, v.Score)
	}
}

// The server is killed (SIGKILL) while a candidate's page saves test
// answers as they are chosen (some items again and again, with growing
// revisions): after it restarts on the same data, every acknowledged
// answer is held at its revision, an older revision resent changes
// nothing, the candidate answers on and submits, and the score is that of
// the answers held. Another candidate's test, whose deadline comes after
// the restart, is submitted by the restarted server's tick at the
// deadline with what was acknowledged before the kill.
func TestTestAnswersSurviveKill9(t *testing.T) {
	bin := serverBinary(t)
	data := filepath.Join(t.TempDir(), "server")
	port := freePort(t)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	tick := []string{"-workflow-tick", "1s"}
	srv := startServerProcess(t, bin, data, port, tick...)
	// The first start seeded the demo; the test's two competitions are
	// seeded into the stopped server's store (bbolt lets one process in).
	srv.Process.Signal(os.Interrupt)
	srv.Wait()
	st, err := store.Open(filepath.Join(data, "kuzet.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	main := seedTestStage(t, st, data, 1, now.Add(-30*time.Minute), now.Add(4*time.Hour))[0]
	// The second's stage ends, and so its test's deadline comes, after
	// the restart.
	ends := time.Now().Add(40 * time.Second)
	late := seedTestStage(t, st, data, 1, now.Add(-30*time.Minute), ends)[0]
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	srv = startServerProcess(t, bin, data, port, tick...)
	defer func() { srv.Process.Kill(); srv.Wait() }()
	cl := &http.Client{Timeout: 3 * time.Second}
	start := func(token string) testView {
		t.Helper()
		var v testView
		if code, err := cabinetCall(cl, http.MethodPost, url+"/api/cabinet/tests/"+pqKind+"/start", token, nil, &v); err != nil || code != http.StatusOK || len(v.Questions) != pqQuestions {
			t.Fatalf("start the test: %d %v, %d questions", code, err, len(v.Questions))
		}
		return v
	}
	read := func(token string) testView {
		t.Helper()
		var v testView
		if code, err := cabinetCall(cl, http.MethodGet, url+"/api/cabinet/tests/"+pqKind, token, nil, &v); err != nil || code != http.StatusOK {
			t.Fatalf("read the test: %d %v", code, err)
		}
		return v
	}
	save := func(token string, a heldAnswer) heldAnswer {
		t.Helper()
		ack, code, err := saveAnswer(cl, url, token, a)
		if err != nil || code != http.StatusOK {
			t.Fatalf("save %+v: %d %v", a, code, err)
		}
		return ack
	}

	// The late candidate answers three questions, one of them twice.
	lateView := start(late)
	if !lateView.Deadline.Equal(ends) {
		t.Fatalf("the late test's deadline is %s, its stage ends at %s", lateView.Deadline, ends)
	}
	lateAcked := answered{}
	for _, qr := range [][2]int{{0, 1}, {1, 1}, {0, 2}, {2, 1}} {
		a := lateView.answerOf(qr[0], qr[1])
		lateAcked[a.Item] = save(late, a)
	}

	// The main candidate's page answers the first 30 questions in turn,
	// again and again with growing revisions, resending a save that got
	// no acknowledgement; the server is killed mid-stream.
	view := start(main)
	const asked = 30
	acked := answered{}
	var pending heldAnswer
	var nAcked atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := 0; ; {
			select {
			case <-stop:
				return
			default:
			}
			a := view.answerOf(k%asked, k/asked+1)
			pending = a
			ack, code, err := saveAnswer(cl, url, main, a)
			if err != nil || code != http.StatusOK {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			if ack.Revision != a.Revision || !slices.Equal(ack.Response, a.Response) {
				panic("saved " + a.Item + " at revision " + strconv.FormatInt(a.Revision, 10) + ", acknowledged revision " + strconv.FormatInt(ack.Revision, 10))
			}
			acked[a.Item] = ack
			pending = heldAnswer{}
			nAcked.Add(1)
			k++
		}
	}()
	time.Sleep(3 * time.Second)
	srv.Process.Kill() // SIGKILL: no shutdown, no flush
	srv.Wait()
	killedAt := nAcked.Load()
	time.Sleep(time.Second)
	srv = startServerProcess(t, bin, data, port, tick...)
	restarted := time.Now()
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	if killedAt < 2*asked {
		t.Fatalf("only %d answers were acknowledged before the kill: the test did not exercise the server", killedAt)
	}
	if nAcked.Load() == killedAt {
		t.Fatal("no answer was acknowledged after the restart")
	}
	if !restarted.Before(ends) {
		t.Fatalf("the server came back at %s, after the late test's deadline %s: the machine is too slow for this test", restarted, ends)
	}

	// Every acknowledged answer is held at its newest acknowledged
	// revision (the save cut off last may be held instead).
	held := read(main)
	acked.check(t, &held, pending)
	if len(acked) != asked {
		t.Fatalf("%d items answered, want %d", len(acked), asked)
	}
	t.Logf("%d answers acknowledged before the kill, %d in all; the first item at revision %d", killedAt, nAcked.Load(), acked[view.Questions[0].Item].Revision)
	if pending.Item != "" { // the last sent one is now acknowledged as held
		acked[pending.Item] = save(main, pending)
	}

	// A resent older revision changes nothing: the held answer comes back.
	q0 := view.Questions[0].Item
	newest := acked[q0]
	if newest.Revision < 2 {
		t.Fatalf("item %s was answered once only (revision %d)", q0, newest.Revision)
	}
	old := view.answerOf(0, int(newest.Revision)-1)
	if slices.Equal(old.Response, newest.Response) {
		t.Fatalf("revisions %d and %d of %s have the same response: the test cannot tell them apart", old.Revision, newest.Revision, q0)
	}
	if ack := save(main, old); ack.Revision != newest.Revision || !slices.Equal(ack.Response, newest.Response) {
		t.Fatalf("the older revision %+v was acknowledged as %+v; the server held %+v", old, ack, newest)
	}
	held = read(main)
	acked.check(t, &held, heldAnswer{})

	// The candidate answers the other questions and submits; the score is
	// that of the answers held.
	for q := asked; q < pqQuestions; q++ {
		a := view.answerOf(q, 1)
		acked[a.Item] = save(main, a)
	}
	var submitted testView
	if code, err := cabinetCall(cl, http.MethodPost, url+"/api/cabinet/tests/"+pqKind+"/submit", main, nil, &submitted); err != nil || code != http.StatusOK {
		t.Fatalf("submit: %d %v", code, err)
	}
	acked.check(t, &submitted, heldAnswer{})
	if len(submitted.Answers) != pqQuestions {
		t.Fatalf("%d answers held at the submission, want %d", len(submitted.Answers), pqQuestions)
	}
	checkGraded(t, "the candidate's submission", &submitted, false)
	if _, code, _ := saveAnswer(cl, url, main, view.answerOf(asked, 2)); code != http.StatusConflict {
		t.Fatalf("a new answer after the submission: %d, want 409", code)
	}

	// The late test is open until its deadline, then the restarted
	// server's tick submits what was acknowledged before the kill.
	if v := read(late); v.Submitted != nil {
		t.Fatalf("the late test was submitted at %s, before its deadline %s", v.Submitted, ends)
	}
	var lv testView
	for lv = read(late); lv.Submitted == nil; lv = read(late) {
		if time.Now().After(ends.Add(15 * time.Second)) {
			t.Fatalf("the late test was not submitted within 15 s of its deadline %s", ends)
		}
		time.Sleep(200 * time.Millisecond)
	}
	lateAcked.check(t, &lv, heldAnswer{})
	if !lv.Submitted.Equal(lv.Deadline) {
		t.Fatalf("the late test was submitted as at %s, its deadline was %s", lv.Submitted, lv.Deadline)
	}
	checkGraded(t, "the tick's submission", &lv, true)
	t.Logf("the tick submitted the late test at its deadline with %d answers, %d right", len(lv.Answers), *lv.Correct)
}
