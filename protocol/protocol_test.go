package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the examples")

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// examples holds one message of every type on every route. The golden files
// pin their wire form; changing a field's name or shape fails the test.
func examples() map[Route][]Message {
	ev := Event{
		Seq: 7, Time: t0, Rule: Rule10_6, Kind: KindStart, Subject: "camera",
		Severity: SeverityViolation, Key: "camera.lost", Args: map[string]string{"seconds": "2"},
		Evidence: []EvidenceRef{{ID: "ev-7", Kind: EvidenceSnapshot, MIME: "image/jpeg",
			SHA256: strings.Repeat("ab", 32), Size: 2048}},
	}
	info := SittingInfo{ID: "s-1", PIN: "483920", Competition: "Ministry of Transport, chief expert", Stage: "essay"}
	return map[Route][]Message{
		AgentToServer: {
			&Hello{Versions: []int{1}, Token: "tok-123", Agent: AgentInfo{Version: "0.1.0", OS: "linux", Arch: "amd64"}, Lang: "kk"},
			&Offer{SDP: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"},
			&Candidate{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host", SDPMid: ptr("0"), SDPMLineIndex: ptr[uint16](0)},
			&Heartbeat{Time: t0, Frames: 450},
			&ev,
		},
		ServerToAgent: {
			&Welcome{Version: 1, Sitting: info, Policy: Policy{HeartbeatMS: 2000, CameraLostMS: 2000,
				Checks: ChecksPolicy{Categories: map[string]string{"remote_shell": "ignore"}, Allow: []string{"zoom"}, MaxDisplays: 1}}, LastSeq: 6,
				CandidateURL: "http://127.0.0.1:8080/candidate/#page=pt-1", ServerTime: t0,
				ICEServers: []ICEServer{{URLs: []string{"stun:stun.example.kz:3478"}}}, UploadToken: "up-1", ResumeToken: "rs-1",
				Consent: ConsentState{Given: true, Time: &t0}},
			&Answer{SDP: "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\n"},
			&Candidate{Candidate: ""},
			&Heartbeat{Time: t0},
			&Ack{Seq: 7},
			&Command{ID: "c-1", Kind: CommandWarning, Rule: Rule10_3, Key: "rule.10.3.fix", Time: t0},
			&Error{Code: ErrUnauthorized, Message: "the sitting token is not valid"},
		},
		ViewerToServer: {
			&Subscribe{Since: map[SittingID]uint64{"s-1": 12}},
			&Watch{View: "v-1", Sitting: "s-1", SDP: "v=0\r\n", Layer: LayerThumb},
			&ViewCandidate{View: "v-1", Candidate: Candidate{Candidate: "candidate:2 1 udp 1 10.0.0.2 9 typ host", SDPMLineIndex: ptr[uint16](1)}},
			&Unwatch{View: "v-1"},
			&Focus{Sitting: "s-1"},
		},
		ServerToViewer: {
			&Sittings{Sittings: []SittingSummary{{SittingInfo: info, State: StateLive, Media: true, LastSeen: ptr(t0), Records: 12,
				Rules: map[RuleID]RuleStatus{
					Rule10_6: {State: RuleViolation, Active: true, Open: 1, Risk: 20},
					Rule10_9: {State: RuleClear},
				},
				Risk: 20, OpenFlags: 1, Link: LinkGood, Reconnects: 1,
				LastEvent: &EventBrief{N: 12, Time: t0, Rule: Rule10_6, Kind: KindStart, Severity: SeverityViolation,
					Key: "camera.lost", Args: map[string]string{"seconds": "2"}}}}, More: true},
			&SittingUpdate{Sitting: SittingSummary{SittingInfo: info, State: StateEnded, Paused: true, Link: LinkNone,
				Verdict: &Verdict{Outcome: VerdictViolation, Rules: []RuleID{Rule10_6}, Evidence: []uint64{12}}}},
			&Record{Sitting: "s-1", N: 12, Received: t0.Add(time.Second), Event: &ev},
			&Watching{View: "v-1", SDP: "v=0\r\n"},
			&Assessment{Sitting: "s-1", Risk: 27.5, Flags: 3, OpenFlags: []uint64{12},
				Items: []RiskItem{
					{N: 12, Rule: Rule10_6, Severity: SeverityViolation, Weight: 20, Factor: 1, Points: 20},
					{N: 15, Count: 2, Rule: Rule10_6, Severity: SeveritySuspected, Confirmed: true, Weight: 20, Factor: 0.375, Points: 7.5},
				},
				Weights: RiskWeights{Rules: map[RuleID]float64{Rule10_6: 20}, Severity: map[Severity]float64{SeverityViolation: 1, SeveritySuspected: 0.5}, Repeat: 0.5}},
			&ViewCandidate{View: "v-1", Candidate: Candidate{Candidate: ""}},
			&Error{Code: ErrForbidden, Message: "this sitting is not assigned to you"},
		},
		CandidateToServer: {
			&Heartbeat{Time: t0},
		},
		ServerToCandidate: {
			&Status{Sitting: info, State: StateLive, Media: true, Notice: &ConsentNotice{Items: []ConsentItem{{What: "camera", Rules: []RuleID{Rule10_1, Rule10_2}},
				{What: "processes", Rules: []RuleID{Rule10_9}}}, RetentionDays: 365, Version: "2026-12-1", Digest: strings.Repeat("ab", 32)}},
			&Record{Sitting: "s-1", N: 13, Received: t0, Action: &Action{ID: "a-1", Kind: ActionVerdict, Time: t0, Actor: "proctor7",
				Verdict: &Verdict{Outcome: VerdictViolation, Rules: []RuleID{Rule10_6}, Evidence: []uint64{12}}}},
			&Command{ID: "c-2", Kind: CommandMessage, Text: "Please sit closer to the camera.", Time: t0},
			&Error{Code: ErrSittingClosed, Message: "the sitting has ended"},
		},
	}
}

func routeDir(r Route) string {
	return strings.NewReplacer("→", "-to-").Replace(string(r))
}

// counterpart returns the route whose codec encodes messages of r.
func encoderFor(r Route) *Codec { return NewCodec(r, r) }

func TestGoldenRoundTrip(t *testing.T) {
	for route, msgs := range examples() {
		seen := map[Type]bool{}
		for _, m := range msgs {
			seen[m.Type()] = true
			name := filepath.Join("testdata", routeDir(route), string(m.Type())+".json")
			t.Run(name, func(t *testing.T) {
				c := encoderFor(route)
				frame, err := c.Encode(m)
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, frame, "", "  "); err != nil {
					t.Fatal(err)
				}
				pretty.WriteByte('\n')
				if *update {
					if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(name, pretty.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				golden, err := os.ReadFile(name)
				if err != nil {
					t.Fatalf("no golden file (run go test ./protocol -update once, then review it): %v", err)
				}
				if !bytes.Equal(golden, pretty.Bytes()) {
					t.Fatalf("wire format changed.\n got: %s\nwant: %s", pretty.Bytes(), golden)
				}
				back, err := c.Decode(golden)
				if err != nil {
					t.Fatalf("decode golden: %v", err)
				}
				again, err := c.Encode(back)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, frame) {
					t.Fatalf("round trip differs:\n%s\n%s", again, frame)
				}
			})
		}
		for typ := range Routes()[route] {
			if !seen[typ] {
				t.Errorf("route %s: no example (and so no golden file) for type %q", route, typ)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	c := NewCodec(AgentToServer, ServerToAgent)
	hello := `{"versions":[1],"token":"t","agent":{"version":"1","os":"linux","arch":"amd64"},"lang":"en"}`
	event := `{"seq":1,"time":"2026-11-23T09:30:00Z","rule":"10.6","kind":"start","subject":"camera","severity":"violation","key":"camera.lost"}`
	cases := []struct {
		name  string
		frame string
		code  ErrorCode
		close int
		text  string
	}{
		{"not json", `{"v":1,`, ErrMalformed, 4000, "envelope"},
		{"array", `[1,2]`, ErrMalformed, 4000, "envelope"},
		{"trailing data", `{"v":1,"type":"hello","body":` + hello + `} {}`, ErrMalformed, 4000, "trailing"},
		{"no type", `{"v":1,"body":{}}`, ErrMalformed, 4000, `no "type"`},
		{"no body", `{"v":1,"type":"hello"}`, ErrMalformed, 4000, `no "body"`},
		{"unknown envelope field", `{"v":1,"type":"hello","body":` + hello + `,"x":1}`, ErrMalformed, 4000, "unknown field"},
		{"unknown type", `{"v":1,"type":"launch","body":{}}`, ErrUnknownType, 4001, `"launch"`},
		{"type of another route", `{"v":1,"type":"ack","body":{"seq":1}}`, ErrUnknownType, 4001, `"ack"`},
		{"wrong version", `{"v":2,"type":"hello","body":` + hello + `}`, ErrUnsupportedVersion, 4002, "version 2"},
		{"missing version", `{"type":"hello","body":` + hello + `}`, ErrUnsupportedVersion, 4002, "version 0"},
		{"unknown body field", `{"v":1,"type":"heartbeat","body":{"time":"2026-11-23T09:30:00Z","cpu":3}}`, ErrInvalid, 4003, `unknown field "cpu"`},
		{"wrong field type", `{"v":1,"type":"heartbeat","body":{"time":12}}`, ErrInvalid, 4003, "heartbeat body"},
		{"missing field", `{"v":1,"type":"heartbeat","body":{}}`, ErrInvalid, 4003, `"time" is missing`},
		{"event without seq", `{"v":1,"type":"event","body":` + strings.Replace(event, `"seq":1`, `"seq":0`, 1) + `}`, ErrInvalid, 4003, `"seq"`},
		{"event with unknown rule", `{"v":1,"type":"event","body":` + strings.Replace(event, `"10.6"`, `"10.12"`, 1) + `}`, ErrInvalid, 4003, `10.12`},
		{"end without start", `{"v":1,"type":"event","body":` + strings.Replace(event, `"start"`, `"end"`, 1) + `}`, ErrInvalid, 4003, `start_seq`},
		{"bad token (empty)", `{"v":1,"type":"hello","body":` + strings.Replace(hello, `"t"`, `""`, 1) + `}`, ErrUnauthorized, 4401, "token"},
		{"bad token (huge)", `{"v":1,"type":"hello","body":` + strings.Replace(hello, `"t"`, `"`+strings.Repeat("x", 600)+`"`, 1) + `}`, ErrUnauthorized, 4401, "token"},
		{"bad language", `{"v":1,"type":"hello","body":` + strings.Replace(hello, `"en"`, `"de"`, 1) + `}`, ErrInvalid, 4003, "lang"},
		{"oversize frame", `{"v":1,"type":"offer","body":{"sdp":"v=0` + strings.Repeat("a", MaxMessageBytes) + `"}}`, ErrTooLarge, 1009, "limit"},
		{"not an sdp", `{"v":1,"type":"offer","body":{"sdp":"hello"}}`, ErrInvalid, 4003, "v=0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Decode([]byte(tc.frame))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Decode error = %v (%T), want *Error", err, err)
			}
			if pe.Code != tc.code || pe.Code.CloseCode() != tc.close {
				t.Fatalf("code = %s (close %d), want %s (close %d); message: %s", pe.Code, pe.Code.CloseCode(), tc.code, tc.close, pe.Message)
			}
			if !strings.Contains(pe.Message, tc.text) {
				t.Fatalf("message %q does not mention %q", pe.Message, tc.text)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	if v, err := Negotiate([]int{3, 1}); err != nil || v != 1 {
		t.Fatalf("Negotiate([3 1]) = %d, %v", v, err)
	}
	_, err := Negotiate([]int{2, 3})
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != ErrUnsupportedVersion || pe.Code.CloseCode() != CloseUnsupportedVersion {
		t.Fatalf("Negotiate([2 3]) error = %v", err)
	}
}

func TestEncodeRefusesInvalidOrMisrouted(t *testing.T) {
	c := NewCodec(ServerToAgent, AgentToServer)
	if _, err := c.Encode(&Ack{Seq: 1}); err == nil {
		t.Fatal("agent encoded an ack, which only the server sends")
	}
	if _, err := c.Encode(&Heartbeat{}); err == nil {
		t.Fatal("encoded a heartbeat without time")
	}
}

func TestEveryErrorCodeHasCloseCode(t *testing.T) {
	for _, c := range []ErrorCode{ErrMalformed, ErrUnknownType, ErrUnsupportedVersion, ErrInvalid, ErrUnexpected,
		ErrTooLarge, ErrUnauthorized, ErrForbidden, ErrSittingClosed, ErrRateLimited, ErrShuttingDown} {
		if c.CloseCode() == CloseInternal {
			t.Errorf("%s maps to the generic internal close code", c)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for route, msgs := range examples() {
		for _, m := range msgs {
			if frame, err := encoderFor(route).Encode(m); err == nil {
				f.Add(frame)
			}
		}
	}
	f.Add([]byte(`{"v":1,"type":"event","body":{"seq":18446744073709551615}}`))
	f.Add([]byte(`{"v":1,"type":"hello","body":null}`))
	routes := []Route{AgentToServer, ServerToAgent, ViewerToServer, ServerToViewer, CandidateToServer, ServerToCandidate}
	f.Fuzz(func(t *testing.T, frame []byte) {
		for _, r := range routes {
			c := NewCodec(r, r)
			m, err := c.Decode(frame)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || pe.Code == "" {
					t.Fatalf("route %s: error %v is not a protocol error with a code", r, err)
				}
				continue
			}
			// Whatever decodes must encode again and decode to the same.
			out, err := c.Encode(m)
			if err != nil {
				t.Fatalf("route %s: decoded %s does not re-encode: %v", r, m.Type(), err)
			}
			if _, err := c.Decode(out); err != nil {
				t.Fatalf("route %s: re-encoded %s does not decode: %v", r, m.Type(), err)
			}
		}
	})
}

func ExampleCodec_Decode() {
	server := NewCodec(AgentToServer, ServerToAgent)
	_, err := server.Decode([]byte(`{"v":2,"type":"hello","body":{}}`))
	var pe *Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Code, pe.Code.CloseCode())
	}
	// Output: unsupported_version 4002
}

func TestRecordHoldsExactlyOneOfEventAndAction(t *testing.T) {
	ev := Event{Seq: 1, Time: t0, Rule: Rule10_6, Kind: KindInstant, Subject: "camera", Severity: SeverityInfo, Key: "k"}
	act := Action{ID: "a", Kind: ActionPause, Time: t0, Actor: "system"}
	for _, r := range []Record{{Sitting: "s", N: 1}, {Sitting: "s", N: 1, Event: &ev, Action: &act}} {
		if err := r.Validate(); err == nil {
			t.Errorf("record %+v accepted", r)
		}
	}
	bad := []Action{
		{ID: "a", Kind: ActionWarning, Time: t0, Actor: "p"},                                                                      // no rule
		{ID: "a", Kind: ActionFlagConfirmed, Time: t0, Actor: "p"},                                                                // no target
		{ID: "a", Kind: ActionVerdict, Time: t0, Actor: "p", Verdict: &Verdict{Outcome: VerdictViolation}},                        // no rules
		{ID: "a", Kind: ActionVerdict, Time: t0, Actor: "p", Verdict: &Verdict{Outcome: VerdictClean, Rules: []RuleID{Rule10_2}}}, // clean with rules
		{ID: "a", Kind: "shout", Time: t0, Actor: "p"},
	}
	for _, a := range bad {
		if err := a.Validate(); err == nil {
			t.Errorf("action %+v accepted", a)
		}
	}
}
