package proctoring_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/admin"
)

// viewer is a proctor's view channel.
type viewer struct {
	t     *testing.T
	ws    *websocket.Conn
	codec *protocol.Codec
}

func (u *user) view() *viewer {
	u.t.Helper()
	hdr := http.Header{}
	req, _ := http.NewRequest("GET", u.base, nil)
	for _, ck := range u.c.Jar.Cookies(req.URL) {
		hdr.Add("Cookie", ck.String())
	}
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(u.base, "/v1/view"), hdr)
	if err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { ws.Close() })
	return &viewer{t: u.t, ws: ws, codec: protocol.NewCodec(protocol.ServerToViewer, protocol.ViewerToServer)}
}

func (v *viewer) send(m protocol.Message) {
	v.t.Helper()
	frame, err := v.codec.Encode(m)
	if err != nil {
		v.t.Fatal(err)
	}
	if err := v.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		v.t.Fatal(err)
	}
}

// next returns the next message match accepts, within 10 s.
func (v *viewer) next(what string, match func(protocol.Message) bool) protocol.Message {
	v.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = v.ws.SetReadDeadline(deadline)
		_, data, err := v.ws.ReadMessage()
		if err != nil {
			v.t.Fatalf("waiting for %s: %v", what, err)
		}
		m, err := v.codec.Decode(data)
		if err != nil {
			v.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(m) {
			return m
		}
	}
}

// A flag raised at the agent reaches the dashboard as a badge and a risk
// score in the sitting's summary, and the focus view gets the score
// explained, updated after each review.
func TestDashboardSummaryAndAssessment(t *testing.T) {
	r := start(t, tempDir(t))
	id := protocol.SittingID(r.Demo.SittingID)
	p := login(t, r.URL, r.Demo.ProctorUser, r.Demo.ProctorPassword)
	v := p.view()
	v.send(&protocol.Subscribe{})
	list := v.next("the list", func(m protocol.Message) bool { _, ok := m.(*protocol.Sittings); return ok }).(*protocol.Sittings)
	if len(list.Sittings) != 1 || list.Sittings[0].ID != id || list.Sittings[0].Risk != 0 || list.Sittings[0].Link != protocol.LinkNone {
		t.Fatalf("list = %+v", list)
	}
	ag := connectAgent(t, r.URL, r.Demo.SittingToken)
	ag.event(protocol.Rule10_9, protocol.KindInstant, protocol.SeverityInfo, 0)
	ag.event(protocol.Rule10_2, protocol.KindStart, protocol.SeverityViolation, 0)

	sum := v.next("a summary with the 10.2 flag", func(m protocol.Message) bool {
		u, ok := m.(*protocol.SittingUpdate)
		return ok && u.Sitting.Rules[protocol.Rule10_2].State == protocol.RuleViolation
	}).(*protocol.SittingUpdate).Sitting
	want := protocol.RuleStatus{State: protocol.RuleViolation, Active: true, Open: 1, Risk: 35}
	if sum.Rules[protocol.Rule10_2] != want || sum.Rules[protocol.Rule10_9].State != protocol.RuleClear || sum.Risk != 35 ||
		sum.OpenFlags != 1 || sum.State != protocol.StateLive || sum.Link != protocol.LinkDegraded || sum.LastEvent == nil || sum.LastEvent.Rule != protocol.Rule10_2 {
		t.Fatalf("summary = %+v", sum)
	}
	if _, ok := sum.Rules[protocol.Rule10_7]; ok {
		t.Fatalf("rule 10.7 has no data but shows %+v", sum.Rules[protocol.Rule10_7])
	}

	v.send(&protocol.Focus{Sitting: id})
	as := v.next("the assessment", func(m protocol.Message) bool { _, ok := m.(*protocol.Assessment); return ok }).(*protocol.Assessment)
	if as.Risk != 35 || len(as.Items) != 1 || as.Items[0].Weight != 35 || as.Items[0].Factor != 1 || len(as.OpenFlags) != 1 {
		t.Fatalf("assessment = %+v", as)
	}
	flag := as.OpenFlags[0]
	if code, body := p.do("POST", path(string(id), "flags/"+itoa(flag)+"/review"), map[string]string{"decision": "dismiss", "note": "a poster on the wall"}, nil); code != http.StatusCreated {
		t.Fatalf("dismiss: %d %s", code, body)
	}
	as = v.next("the assessment after the review", func(m protocol.Message) bool {
		a, ok := m.(*protocol.Assessment)
		return ok && len(a.OpenFlags) == 0
	}).(*protocol.Assessment)
	if as.Risk != 0 || len(as.Items) != 0 || as.Flags != 1 {
		t.Fatalf("after dismissal: %+v", as)
	}

	// Another proctor's sitting cannot be focused.
	adm := admin.New(r.Store)
	if _, err := adm.CreateAccount("proctor2", "correct-horse-battery", "proctor"); err != nil {
		t.Fatal(err)
	}
	other := login(t, r.URL, "proctor2", "correct-horse-battery").view()
	other.send(&protocol.Subscribe{})
	if l := other.next("the list", func(m protocol.Message) bool { _, ok := m.(*protocol.Sittings); return ok }).(*protocol.Sittings); len(l.Sittings) != 0 {
		t.Fatalf("an unassigned proctor sees %+v", l.Sittings)
	}
	other.send(&protocol.Focus{Sitting: id})
	e := other.next("a refusal", func(m protocol.Message) bool { _, ok := m.(*protocol.Error); return ok }).(*protocol.Error)
	if e.Code != protocol.ErrForbidden {
		t.Fatalf("focus on another's sitting: %+v", e)
	}
}

// A list too long for one frame comes in parts, each within the frame
// limit, and the parts together hold every sitting.
func TestLongListComesInParts(t *testing.T) {
	r := start(t, tempDir(t))
	adm := admin.New(r.Store)
	big := map[string]string{}
	for i := range protocol.MaxEventArgs {
		big[strings.Repeat("k", 3)+itoa(uint64(i))] = strings.Repeat("x", protocol.MaxTextLen)
	}
	// The demo's competitions hold sittings of their own; the admin sees
	// those and the n made here.
	existing, err := r.Store.Sittings()
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	for range n {
		ns, err := adm.CreateSitting(r.Demo.Competition, "essay")
		if err != nil {
			t.Fatal(err)
		}
		ev := protocol.Event{Seq: 1, Time: time.Now().UTC(), Rule: protocol.Rule10_11, Kind: protocol.KindInstant,
			Severity: protocol.SeveritySuspected, Subject: "window", Key: "x", Args: big}
		if _, _, err := r.Store.AppendEvent(ns.Sitting.ID, ev, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	v := login(t, r.URL, r.Demo.AdminUser, r.Demo.AdminPassword).view()
	v.send(&protocol.Subscribe{})
	seen := map[protocol.SittingID]bool{}
	parts := 0
	for {
		l := v.next("a part of the list", func(m protocol.Message) bool { _, ok := m.(*protocol.Sittings); return ok }).(*protocol.Sittings)
		parts++
		for _, s := range l.Sittings {
			seen[s.ID] = true
		}
		if !l.More {
			break
		}
	}
	if len(seen) != n+len(existing) || parts < 2 {
		t.Fatalf("%d sittings in %d parts, want %d in several", len(seen), parts, n+len(existing))
	}
}
