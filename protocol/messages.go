package protocol

import (
	"fmt"
	"strings"
	"time"
)

// Type names a message in the envelope.
type Type string

// Message types. A type's meaning depends on its channel and direction; see
// Routes for which types each one carries.
const (
	TypeHello     Type = "hello"
	TypeWelcome   Type = "welcome"
	TypeOffer     Type = "offer"
	TypeAnswer    Type = "answer"
	TypeCandidate Type = "candidate"
	TypeHeartbeat Type = "heartbeat"
	TypeEvent     Type = "event"
	TypeAck       Type = "ack"
	TypeCommand   Type = "command"
	TypeError     Type = "error"
	TypeSubscribe Type = "subscribe"
	TypeSittings  Type = "sittings"
	TypeSitting   Type = "sitting"
	TypeRecord    Type = "record"
	TypeWatch     Type = "watch"
	TypeWatching  Type = "watching"
	TypeUnwatch   Type = "unwatch"
	TypeStatus    Type = "status"
	// TypeFocus and TypeAssessment: the proctor's focus view asks for, and
	// receives, the explained risk of one sitting.
	TypeFocus      Type = "focus"
	TypeAssessment Type = "assessment"
)

// Message is the body of an envelope.
type Message interface {
	// Type is the envelope type this body travels under.
	Type() Type
	// Validate reports the first missing or out-of-range field.
	Validate() error
}

// SittingID identifies one sitting: one candidate in one stage.
type SittingID string

// ViewID identifies one watching peer connection a browser opened; a browser
// may watch several sittings, and one sitting twice (grid and focus).
type ViewID string

// ---- agent channel ----

// Hello is the agent's first message: who it is and which versions it speaks.
type Hello struct {
	// Versions lists the protocol versions the agent speaks.
	Versions []int `json:"versions"`
	// Token is the sitting's join token the candidate was given (first
	// connection) or the resume token the server gave back (thereafter).
	Token string `json:"token"`
	// Agent describes the program, for support; never personal data.
	Agent AgentInfo `json:"agent"`
	// Lang is the candidate's language: kk, ru or en.
	Lang string `json:"lang"`
}

// AgentInfo describes the agent program and its platform.
type AgentInfo struct {
	Version string `json:"version"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// Welcome accepts a hello: the negotiated version, the sitting, its policy.
type Welcome struct {
	// Version is the protocol version both sides now speak.
	Version int `json:"version"`
	// Sitting is the sitting the token belongs to.
	Sitting SittingInfo `json:"sitting"`
	// Policy is the exam policy the agent applies.
	Policy Policy `json:"policy"`
	// LastSeq is the highest event sequence number the server holds for
	// this sitting; the agent numbers new events after it.
	LastSeq uint64 `json:"last_seq"`
	// CandidateURL is the candidate's page for this sitting, to open in
	// the default browser.
	CandidateURL string `json:"candidate_url"`
	// ServerTime lets the agent notice a badly set clock.
	ServerTime time.Time `json:"server_time"`
	// ICEServers are STUN/TURN servers for the agent's peer connection.
	ICEServers []ICEServer `json:"ice_servers,omitempty"`
	// UploadToken authorises evidence uploads (POST /v1/evidence/{id},
	// "Authorization: Bearer …") while this connection is the sitting's.
	UploadToken string `json:"upload_token"`
	// ResumeToken, on the welcome that answers a join token, is what the
	// agent presents from then on: the join token opens the sitting once.
	ResumeToken string `json:"resume_token,omitempty"`
	// Consent is the candidate's decision on the consent notice, given in
	// the candidate page: the agent captures nothing (camera, microphone,
	// screen, processes, audio devices) until it is given, and learns of a
	// later decision from a consent command.
	Consent ConsentState `json:"consent"`
}

// ConsentState is where the candidate's consent to proctoring stands.
type ConsentState struct {
	// Given: the candidate agreed; capture may start.
	Given bool `json:"given"`
	// Declined: the candidate refused; nothing is captured and the stage
	// cannot be proctored.
	Declined bool `json:"declined"`
	// Time is when the decision was logged.
	Time *time.Time `json:"time,omitempty"`
}

// ConsentNotice is what the candidate is told before anything is
// captured: what is recorded and for which rule of p.10, who sees it, and
// how long it is kept. Digest identifies this notice; the candidate's
// decision names it, so the log says what they agreed to.
type ConsentNotice struct {
	// Items are what the agent captures, each with the rules it serves.
	Items []ConsentItem `json:"items"`
	// RetentionDays is how long recordings and evidence are kept.
	RetentionDays int `json:"retention_days"`
	// Version names the notice's wording (the catalogue texts).
	Version string `json:"version"`
	// Digest is the SHA-256 of the notice's items, retention and version.
	Digest string `json:"digest"`
}

// ConsentItem is one thing captured and why.
type ConsentItem struct {
	// What is captured: camera, microphone, screen, processes, audio_devices.
	What  string   `json:"what"`
	Rules []RuleID `json:"rules"`
}

// Acknowledgement is the candidate's "I have read it" for a proctor's
// message or warning (POST /v1/acknowledge).
type Acknowledgement struct {
	// Record is the number of the message's or warning's record.
	Record uint64 `json:"record"`
}

// ConsentDecision is the candidate's answer to a notice (POST /v1/consent).
type ConsentDecision struct {
	Given bool `json:"given"`
	// Notice is the digest of the notice the page showed.
	Notice string `json:"notice"`
	// Lang is the language the notice was read in.
	Lang string `json:"lang"`
}

// SittingInfo names a sitting as everyone but HR sees it: by PIN (p.74-1).
type SittingInfo struct {
	ID SittingID `json:"id"`
	// PIN is the candidate's personal identification number (p.74-1); the
	// only identity proctors, assessors and the commission ever see.
	PIN string `json:"pin"`
	// Competition is the competition's title.
	Competition string `json:"competition"`
	// Stage is the selection stage, e.g. "essay".
	Stage string `json:"stage"`
}

// ICEServer is a STUN or TURN server.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Offer carries an SDP offer. On the agent channel the agent offers its
// tracks; an offer with new ICE credentials restarts ICE.
type Offer struct {
	SDP string `json:"sdp"`
}

// Answer carries the SDP answer to an Offer.
type Answer struct {
	SDP string `json:"sdp"`
}

// Candidate is one trickled ICE candidate (RTCIceCandidateInit). An empty
// Candidate string marks the end of candidates.
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// Heartbeat says the sender is alive. The agent sends one every
// Policy.HeartbeatMS; the server answers each with its own.
type Heartbeat struct {
	Time time.Time `json:"time"`
	// Frames is how many camera frames the agent captured so far, so a
	// frozen agent shows up even while its socket stays open.
	Frames uint64 `json:"frames,omitempty"`
}

// Ack confirms that the server has stored the event with sequence Seq; the
// agent may drop it from its outbox. A resent event is acked again.
type Ack struct {
	Seq uint64 `json:"seq"`
}

// CommandKind is what a command asks of the agent.
type CommandKind string

// Command kinds.
const (
	CommandRoomScan   CommandKind = "room_scan"   // rule 10.7: turn the camera around the room
	CommandMessage    CommandKind = "message"     // a message to show the candidate
	CommandWarning    CommandKind = "warning"     // a formal warning citing a rule
	CommandPause      CommandKind = "pause"       // the proctor paused the sitting
	CommandResume     CommandKind = "resume"      // the proctor resumed it
	CommandEndSitting CommandKind = "end_sitting" // the sitting is over; stop
	// CommandConsent tells the agent the candidate's decision on the
	// consent notice (Args "given": "true" or "false").
	CommandConsent CommandKind = "consent"
)

// Command is an instruction from the proctor (or the system) to the agent
// and the candidate's page.
type Command struct {
	// ID identifies the command, for its acknowledgement and the audit log.
	ID string `json:"id"`
	// Kind is what is asked.
	Kind CommandKind `json:"kind"`
	// Rule is the clause the command cites, if any (a warning must cite one).
	Rule RuleID `json:"rule,omitempty"`
	// Key and Args give a catalogue text to show the candidate.
	Key  string            `json:"key,omitempty"`
	Args map[string]string `json:"args,omitempty"`
	// Text is a proctor's own words, shown as written.
	Text string `json:"text,omitempty"`
	// Time is when the command was issued.
	Time time.Time `json:"time"`
}

// ---- view channel (proctor's browser) ----

// Subscribe asks for the live list of sittings and their records. Since
// holds, per sitting, the last record number the browser has; the server
// sends only later ones, so a reconnect loses and repeats nothing.
type Subscribe struct {
	Since map[SittingID]uint64 `json:"since,omitempty"`
}

// SittingState is where a sitting is in its life.
type SittingState string

// Sitting states.
const (
	StateWaiting SittingState = "waiting" // no agent has connected yet
	StateLive    SittingState = "live"    // an agent is connected
	StateOffline SittingState = "offline" // the agent was connected and is gone
	StateEnded   SittingState = "ended"   // the sitting is over
)

// SittingSummary is one line of the proctor's list: one tile of the
// dashboard's grid.
type SittingSummary struct {
	SittingInfo
	State SittingState `json:"state"`
	// Media is true while the agent publishes its camera.
	Media bool `json:"media"`
	// LastSeen is the time of the agent's last message.
	LastSeen *time.Time `json:"last_seen,omitempty"`
	// Records is the number of records stored for the sitting.
	Records uint64 `json:"records"`
	// Rules is how each rule of p.10 stands (the tile's badges). A rule
	// missing from the map has no report yet (RuleNoData).
	Rules map[RuleID]RuleStatus `json:"rules,omitempty"`
	// Risk is the sitting's risk score: the sum of the points of its flags
	// (see Assessment for which flags, with which weights).
	Risk float64 `json:"risk"`
	// OpenFlags counts the flags no proctor has reviewed yet; a verdict
	// cannot be published while any is open.
	OpenFlags int `json:"open_flags"`
	// LastEvent is the agent's latest event.
	LastEvent *EventBrief `json:"last_event,omitempty"`
	// Paused is true between a proctor's pause and resume.
	Paused bool `json:"paused,omitempty"`
	// Link grades the agent's connection.
	Link LinkQuality `json:"link,omitempty"`
	// Reconnects counts how often the agent connected again after its first
	// connection since the server started.
	Reconnects int `json:"reconnects,omitempty"`
	// Verdict is the published check result, once published (p.115).
	Verdict *Verdict `json:"verdict,omitempty"`
}

// RuleState is how one rule of p.10 stands for a sitting, as a badge.
type RuleState string

// Rule states, from the most to the least serious.
const (
	// RuleViolation: a violation flag of the rule is not dismissed.
	RuleViolation RuleState = "violation"
	// RuleSuspected: a suspected flag of the rule is not dismissed.
	RuleSuspected RuleState = "suspected"
	// RuleUnchecked: a check of the rule could not run and no proctor has
	// dismissed that (a check that cannot run is never "clear").
	RuleUnchecked RuleState = "unchecked"
	// RuleClear: the agent reported on the rule and nothing stands.
	RuleClear RuleState = "clear"
	// RuleNoData: nothing was reported on the rule yet.
	RuleNoData RuleState = "no_data"
)

// RuleStatus is one badge of a tile.
type RuleStatus struct {
	State RuleState `json:"state"`
	// Active is true while a span of the rule (not info) is open now.
	Active bool `json:"active,omitempty"`
	// Open counts the rule's flags that are not reviewed yet.
	Open int `json:"open,omitempty"`
	// Risk is the rule's share of the risk score.
	Risk float64 `json:"risk,omitempty"`
}

// LinkQuality grades the agent's connection as the server sees it.
type LinkQuality string

// Link qualities.
const (
	// LinkGood: connected and the camera arrives.
	LinkGood LinkQuality = "good"
	// LinkDegraded: connected, but the camera does not arrive or the agent
	// had to reconnect in the last two minutes.
	LinkDegraded LinkQuality = "degraded"
	// LinkLost: the agent was connected and is not now.
	LinkLost LinkQuality = "lost"
	// LinkNone: no agent has connected yet, or the sitting has ended.
	LinkNone LinkQuality = "none"
)

// EventBrief is an event as a tile shows it: what, which rule, how serious.
type EventBrief struct {
	// N is the event's record number.
	N        uint64            `json:"n"`
	Time     time.Time         `json:"time"`
	Rule     RuleID            `json:"rule"`
	Kind     EventKind         `json:"kind"`
	Severity Severity          `json:"severity"`
	Key      string            `json:"key"`
	Args     map[string]string `json:"args,omitempty"`
}

// Sittings is the list of sittings the viewer may see. A long list comes in
// parts: every part but the last has More set, and the union of the parts
// is the full list.
type Sittings struct {
	Sittings []SittingSummary `json:"sittings"`
	// More says further parts of the list follow.
	More bool `json:"more,omitempty"`
}

// SittingUpdate replaces one line of the list.
type SittingUpdate struct {
	Sitting SittingSummary `json:"sitting"`
}

// Record is one stored entry of a sitting's feed, numbered by the server
// from 1 per sitting: either an agent's event or an action taken on the
// sitting (by a proctor, or by the server itself).
type Record struct {
	Sitting SittingID `json:"sitting"`
	// N is the record's number within the sitting.
	N uint64 `json:"n"`
	// Received is when the server stored it.
	Received time.Time `json:"received"`
	// Event is the agent's event, if the record is one.
	Event *Event `json:"event,omitempty"`
	// Action is what was done, if the record is an action.
	Action *Action `json:"action,omitempty"`
}

// ActionKind is what a proctor or the server did to a sitting.
type ActionKind string

// Action kinds.
const (
	// ActionFlagConfirmed: the proctor confirmed a flag (Target) as a breach.
	ActionFlagConfirmed ActionKind = "flag_confirmed"
	// ActionFlagDismissed: the proctor dismissed a flag (Target) as no breach.
	ActionFlagDismissed ActionKind = "flag_dismissed"
	// ActionMessage: a message was sent to the candidate.
	ActionMessage ActionKind = "message"
	// ActionWarning: a formal warning citing Rule was sent.
	ActionWarning ActionKind = "warning"
	// ActionRoomScan: a 360° room scan was requested (rule 10.7).
	ActionRoomScan ActionKind = "room_scan"
	// ActionPause and ActionResume: the sitting was paused or resumed.
	ActionPause  ActionKind = "pause"
	ActionResume ActionKind = "resume"
	// ActionEnd: the sitting was ended, with a reason in Note.
	ActionEnd ActionKind = "end"
	// ActionVerdict: the check results were published (p.115).
	ActionVerdict ActionKind = "verdict"
	// ActionAgentLost and ActionAgentBack: the server lost and regained the
	// agent (no heartbeat); the gap between them is a span of its own.
	ActionAgentLost ActionKind = "agent_lost"
	ActionAgentBack ActionKind = "agent_back"
	// ActionIdentityConfirmed and ActionIdentityRejected: HR compared the
	// ID-document photo (Target, rule 10.1) with the reference snapshot.
	// Only HR sees the ID photo (it shows the name and IIN, p.74-1); the
	// proctor sees this result. A rejection says why in Note.
	ActionIdentityConfirmed ActionKind = "identity_confirmed"
	ActionIdentityRejected  ActionKind = "identity_rejected"
	// ActionConsent and ActionConsentDeclined: the candidate agreed to, or
	// refused, the consent notice (Note: the notice's digest and the
	// language it was read in). Nothing is captured before consent.
	ActionConsent         ActionKind = "consent"
	ActionConsentDeclined ActionKind = "consent_declined"
	// ActionAcknowledged: the candidate read the message or warning in
	// record Target and said so in the page.
	ActionAcknowledged ActionKind = "acknowledged"
)

// Action is one thing done to a sitting, kept in its feed and in the audit
// log with who did it and when.
type Action struct {
	// ID identifies the action.
	ID string `json:"id"`
	// Kind is what was done.
	Kind ActionKind `json:"kind"`
	// Time is when.
	Time time.Time `json:"time"`
	// Actor is the staff account's username, or "system".
	Actor string `json:"actor"`
	// Target is the record number the action is about (a flag), if any.
	Target uint64 `json:"target,omitempty"`
	// Rule is the clause the action cites, if any.
	Rule RuleID `json:"rule,omitempty"`
	// Note is the proctor's words: a reason, a message.
	Note string `json:"note,omitempty"`
	// Verdict is the published check result, on ActionVerdict.
	Verdict *Verdict `json:"verdict,omitempty"`
}

// VerdictOutcome is what the check results say.
type VerdictOutcome string

// Verdict outcomes.
const (
	// VerdictClean: no rule was broken; the work goes on (p.115).
	VerdictClean VerdictOutcome = "clean"
	// VerdictViolation: rules were broken; the essay is not graded (p.115).
	VerdictViolation VerdictOutcome = "violation"
)

// Verdict is the proctor's published check result for a sitting. It is the
// only way proctoring affects the competition (p.115).
type Verdict struct {
	Outcome VerdictOutcome `json:"outcome"`
	// Rules lists the clauses broken (empty when clean).
	Rules []RuleID `json:"rules,omitempty"`
	// Evidence lists the record numbers that support it.
	Evidence []uint64 `json:"evidence,omitempty"`
}

func (v *Verdict) validate() error {
	switch v.Outcome {
	case VerdictClean:
		if len(v.Rules) > 0 {
			return fieldErr("action.verdict.rules", "must be empty for a clean verdict")
		}
	case VerdictViolation:
		if len(v.Rules) == 0 {
			return fieldErr("action.verdict.rules", "must name the rules broken")
		}
	default:
		return fieldErr("action.verdict.outcome", fmt.Sprintf("%q is not clean or violation", v.Outcome))
	}
	if len(v.Rules) > len(Rules()) || len(v.Evidence) > MaxAssessmentFlags {
		return fieldErr("action.verdict", "lists too many rules or evidence records")
	}
	for _, r := range v.Rules {
		if !r.Valid() {
			return fieldErr("action.verdict.rules", fmt.Sprintf("%q is not a clause of p.10", r))
		}
	}
	return nil
}

// Validate checks an action.
func (a *Action) Validate() error {
	switch a.Kind {
	case ActionFlagConfirmed, ActionFlagDismissed:
		if a.Target == 0 {
			return fieldErr("action.target", "must name the flag's record")
		}
	case ActionWarning:
		if !a.Rule.Valid() {
			return fieldErr("action.rule", "a warning cites a clause of p.10")
		}
	case ActionVerdict:
		if a.Verdict == nil {
			return fieldErr("action.verdict", "is missing")
		}
		if err := a.Verdict.validate(); err != nil {
			return err
		}
	case ActionIdentityConfirmed, ActionIdentityRejected:
		if a.Target == 0 {
			return fieldErr("action.target", "must name the ID photo's record")
		}
		if a.Rule != Rule10_1 {
			return fieldErr("action.rule", "an identity check cites rule 10.1")
		}
		if a.Kind == ActionIdentityRejected && strings.TrimSpace(a.Note) == "" {
			return fieldErr("action.note", "a rejected identity says why")
		}
	case ActionAcknowledged:
		if a.Target == 0 {
			return fieldErr("action.target", "must name the record acknowledged")
		}
	case ActionMessage, ActionRoomScan, ActionPause, ActionResume, ActionEnd, ActionAgentLost, ActionAgentBack, ActionConsent, ActionConsentDeclined:
	default:
		return fieldErr("action.kind", fmt.Sprintf("%q is not an action kind", a.Kind))
	}
	switch {
	case a.ID == "" || len(a.ID) > MaxIDLen:
		return fieldErr("action.id", "is missing")
	case a.Time.IsZero():
		return fieldErr("action.time", "is missing")
	case a.Actor == "" || len(a.Actor) > MaxIDLen:
		return fieldErr("action.actor", "is missing")
	case len(a.Note) > 4*MaxTextLen:
		return fieldErr("action.note", "is too long")
	}
	return nil
}

// Layer is which encoding of the camera a viewer receives.
type Layer string

// Camera layers: the agent publishes both.
const (
	// LayerFull is the camera at full quality, with the screen and the
	// microphone: the proctor's focus view.
	LayerFull Layer = "full"
	// LayerThumb is a small, low-rate camera only: the dashboard's grid.
	LayerThumb Layer = "thumb"
)

// Watch is a browser's SDP offer to receive a sitting's media.
type Watch struct {
	View    ViewID    `json:"view"`
	Sitting SittingID `json:"sitting"`
	SDP     string    `json:"sdp"`
	// Layer is full (the default when empty) or thumb.
	Layer Layer `json:"layer,omitempty"`
}

// Watching is the server's SDP answer to a Watch.
type Watching struct {
	View ViewID `json:"view"`
	SDP  string `json:"sdp"`
}

// ViewCandidate trickles an ICE candidate of a watching connection.
type ViewCandidate struct {
	View      ViewID    `json:"view"`
	Candidate Candidate `json:"candidate"`
}

// Unwatch closes a watching connection.
type Unwatch struct {
	View ViewID `json:"view"`
}

// Focus asks for the explained risk of one sitting (the focus view), now and
// whenever it changes, until another Focus; an empty Sitting stops it.
type Focus struct {
	Sitting SittingID `json:"sitting,omitempty"`
}

// Assessment explains a sitting's risk score: which flags, with which
// weights, make it up, and which flags still wait for review.
type Assessment struct {
	Sitting SittingID `json:"sitting"`
	// Risk is the score, the sum of the items' points.
	Risk float64 `json:"risk"`
	// Items are the contributions, in record order.
	Items []RiskItem `json:"items,omitempty"`
	// Weights are the weights the score was computed with.
	Weights RiskWeights `json:"weights"`
	// Flags counts every flag; OpenFlags lists the record numbers of the
	// flags not reviewed yet (at most MaxAssessmentFlags of them).
	Flags     int      `json:"flags"`
	OpenFlags []uint64 `json:"open_flags,omitempty"`
}

// MaxAssessmentItems and MaxAssessmentFlags bound an Assessment, so it fits
// one frame whatever an agent reported.
const (
	MaxAssessmentItems = 256
	MaxAssessmentFlags = 1000
)

// RiskItem is one contribution to a risk score: a flag (or, with Count over
// one, several later flags of one rule taken together).
type RiskItem struct {
	// N is the flag's record number (the first one's, when Count > 1).
	N uint64 `json:"n"`
	// Count is how many flags the item stands for (1 when omitted).
	Count    int      `json:"count,omitempty"`
	Rule     RuleID   `json:"rule"`
	Severity Severity `json:"severity"`
	// Confirmed is true when a proctor confirmed the flag as a breach.
	Confirmed bool `json:"confirmed,omitempty"`
	// Weight is the rule's weight; Factor the severity's factor times the
	// repeat factor; Points = Weight × Factor.
	Weight float64 `json:"weight"`
	Factor float64 `json:"factor"`
	Points float64 `json:"points"`
}

// RiskWeights are the weights of a risk score: points per rule for one
// violation flag, a factor per severity, and the factor by which each
// further flag of the same rule counts less than the one before.
type RiskWeights struct {
	Rules    map[RuleID]float64   `json:"rules"`
	Severity map[Severity]float64 `json:"severity"`
	Repeat   float64              `json:"repeat"`
}

// ---- candidate channel ----

// Status tells the candidate's page the state of its sitting.
type Status struct {
	Sitting SittingInfo  `json:"sitting"`
	State   SittingState `json:"state"`
	Media   bool         `json:"media"`
	// Notice is the consent notice the page shows before capture starts;
	// the decision comes back as a consent record.
	Notice *ConsentNotice `json:"notice,omitempty"`
}

// ---- Type and Validate ----

func (*Hello) Type() Type         { return TypeHello }
func (*Welcome) Type() Type       { return TypeWelcome }
func (*Offer) Type() Type         { return TypeOffer }
func (*Answer) Type() Type        { return TypeAnswer }
func (*Candidate) Type() Type     { return TypeCandidate }
func (*Heartbeat) Type() Type     { return TypeHeartbeat }
func (*Event) Type() Type         { return TypeEvent }
func (*Ack) Type() Type           { return TypeAck }
func (*Command) Type() Type       { return TypeCommand }
func (*Error) Type() Type         { return TypeError }
func (*Subscribe) Type() Type     { return TypeSubscribe }
func (*Sittings) Type() Type      { return TypeSittings }
func (*SittingUpdate) Type() Type { return TypeSitting }
func (*Record) Type() Type        { return TypeRecord }
func (*Watch) Type() Type         { return TypeWatch }
func (*Watching) Type() Type      { return TypeWatching }
func (*ViewCandidate) Type() Type { return TypeCandidate }
func (*Unwatch) Type() Type       { return TypeUnwatch }
func (*Status) Type() Type        { return TypeStatus }
func (*Focus) Type() Type         { return TypeFocus }
func (*Assessment) Type() Type    { return TypeAssessment }

// MaxTokenLen caps a sitting token.
const MaxTokenLen = 512

// MaxSDPLen caps an SDP body.
const MaxSDPLen = 32 << 10

// Validate checks a hello.
func (m *Hello) Validate() error {
	switch {
	case len(m.Versions) == 0 || len(m.Versions) > 16:
		return fieldErr("versions", "must list 1 to 16 protocol versions")
	case m.Token == "":
		return Errorf(ErrUnauthorized, "no sitting token: start the agent with --token as given for your stage")
	case len(m.Token) > MaxTokenLen:
		return Errorf(ErrUnauthorized, "the sitting token is longer than %d characters; check that it was copied correctly", MaxTokenLen)
	case len(m.Agent.Version) > MaxIDLen || len(m.Agent.OS) > MaxIDLen || len(m.Agent.Arch) > MaxIDLen:
		return fieldErr("agent", fmt.Sprintf("fields must be up to %d characters", MaxIDLen))
	}
	switch m.Lang {
	case "kk", "ru", "en":
	default:
		return fieldErr("lang", fmt.Sprintf("%q is not kk, ru or en", m.Lang))
	}
	return nil
}

// Validate checks a welcome.
func (m *Welcome) Validate() error {
	switch {
	case m.Version <= 0:
		return fieldErr("version", "must be positive")
	case m.Sitting.ID == "":
		return fieldErr("sitting.id", "is missing")
	case m.Sitting.PIN == "":
		return fieldErr("sitting.pin", "is missing")
	case m.ServerTime.IsZero():
		return fieldErr("server_time", "is missing")
	case m.UploadToken == "" || len(m.UploadToken) > MaxTokenLen:
		return fieldErr("upload_token", "is missing")
	}
	return m.Policy.Validate()
}

func validSDP(sdp string) error {
	switch {
	case sdp == "":
		return fieldErr("sdp", "is missing")
	case len(sdp) > MaxSDPLen:
		return fieldErr("sdp", fmt.Sprintf("is over %d bytes", MaxSDPLen))
	case !strings.HasPrefix(sdp, "v=0"):
		return fieldErr("sdp", "is not a session description (must start with v=0)")
	}
	return nil
}

// Validate checks an offer.
func (m *Offer) Validate() error { return validSDP(m.SDP) }

// Validate checks an answer.
func (m *Answer) Validate() error { return validSDP(m.SDP) }

// Validate checks a candidate.
func (m *Candidate) Validate() error {
	if len(m.Candidate) > 1024 {
		return fieldErr("candidate", "is over 1024 bytes")
	}
	if m.Candidate != "" && !strings.HasPrefix(m.Candidate, "candidate:") {
		return fieldErr("candidate", "must start with \"candidate:\" (or be empty to end candidates)")
	}
	if m.SDPMid != nil && len(*m.SDPMid) > 32 {
		return fieldErr("sdpMid", "is over 32 bytes")
	}
	if m.UsernameFragment != nil && len(*m.UsernameFragment) > 256 {
		return fieldErr("usernameFragment", "is over 256 bytes")
	}
	return nil
}

// Validate checks a heartbeat.
func (m *Heartbeat) Validate() error {
	if m.Time.IsZero() {
		return fieldErr("time", "is missing")
	}
	return nil
}

// Validate checks an ack.
func (m *Ack) Validate() error {
	if m.Seq == 0 {
		return fieldErr("seq", "must be 1 or more")
	}
	return nil
}

// Validate checks a command.
func (m *Command) Validate() error {
	switch m.Kind {
	case CommandRoomScan, CommandMessage, CommandPause, CommandResume, CommandEndSitting, CommandConsent:
	case CommandWarning:
		if m.Rule == "" {
			return fieldErr("rule", "is required on a warning: a warning cites the rule that was broken")
		}
	default:
		return fieldErr("kind", fmt.Sprintf("%q is not a command kind", m.Kind))
	}
	switch {
	case m.ID == "" || len(m.ID) > MaxIDLen:
		return fieldErr("id", fmt.Sprintf("must be 1 to %d characters", MaxIDLen))
	case m.Rule != "" && !m.Rule.Valid():
		return fieldErr("rule", fmt.Sprintf("%q is not a clause of p.10", m.Rule))
	case len(m.Key) > MaxIDLen:
		return fieldErr("key", "is too long")
	case len(m.Args) > MaxEventArgs:
		return fieldErr("args", "has too many entries")
	case len(m.Text) > 4*MaxTextLen:
		return fieldErr("text", fmt.Sprintf("is over %d characters", 4*MaxTextLen))
	case m.Time.IsZero():
		return fieldErr("time", "is missing")
	}
	return nil
}

// Validate checks an error message.
func (m *Error) Validate() error {
	if m.Code == "" {
		return fieldErr("code", "is missing")
	}
	return nil
}

// Validate checks a subscribe.
func (m *Subscribe) Validate() error {
	if len(m.Since) > 10000 {
		return fieldErr("since", "names over 10000 sittings")
	}
	for id := range m.Since {
		if id == "" || len(id) > MaxIDLen {
			return fieldErr("since", "has an empty or overlong sitting id")
		}
	}
	return nil
}

// Validate checks a sittings list.
func (m *Sittings) Validate() error {
	for i := range m.Sittings {
		if err := m.Sittings[i].validate(); err != nil {
			return fmt.Errorf("sittings[%d]: %w", i, err)
		}
	}
	return nil
}

// Validate checks a sitting update.
func (m *SittingUpdate) Validate() error { return m.Sitting.validate() }

func (s *SittingSummary) validate() error {
	if s.ID == "" {
		return fieldErr("sitting.id", "is missing")
	}
	if len(s.Rules) > len(Rules()) {
		return fieldErr("rules", "has more entries than p.10 has clauses")
	}
	for id, st := range s.Rules {
		if !id.Valid() {
			return fieldErr("rules", fmt.Sprintf("%q is not a clause of p.10", id))
		}
		switch st.State {
		case RuleViolation, RuleSuspected, RuleUnchecked, RuleClear, RuleNoData:
		default:
			return fieldErr("rules", fmt.Sprintf("rule %s: %q is not a rule state", id, st.State))
		}
		if st.Open < 0 || st.Risk < 0 {
			return fieldErr("rules", fmt.Sprintf("rule %s: negative count or risk", id))
		}
	}
	switch s.Link {
	case "", LinkGood, LinkDegraded, LinkLost, LinkNone:
	default:
		return fieldErr("link", fmt.Sprintf("%q is not good, degraded, lost or none", s.Link))
	}
	if s.Risk < 0 || s.OpenFlags < 0 || s.Reconnects < 0 {
		return fieldErr("risk", "and the counts must not be negative")
	}
	if e := s.LastEvent; e != nil {
		if e.N == 0 || !e.Rule.Valid() || e.Key == "" || len(e.Args) > MaxEventArgs {
			return fieldErr("last_event", "needs a record number, a clause of p.10, a key and at most 16 args")
		}
	}
	if s.Verdict != nil {
		if err := s.Verdict.validate(); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a record.
func (m *Record) Validate() error {
	if m.Sitting == "" || m.N == 0 {
		return fieldErr("sitting", "and n are required")
	}
	switch {
	case m.Event != nil && m.Action == nil:
		return m.Event.Validate()
	case m.Action != nil && m.Event == nil:
		return m.Action.Validate()
	}
	return fieldErr("record", "must hold exactly one of event and action")
}

func validView(v ViewID) error {
	if v == "" || len(v) > MaxIDLen {
		return fieldErr("view", fmt.Sprintf("must be 1 to %d characters", MaxIDLen))
	}
	return nil
}

// Validate checks a watch.
func (m *Watch) Validate() error {
	if err := validView(m.View); err != nil {
		return err
	}
	switch m.Layer {
	case "", LayerFull, LayerThumb:
	default:
		return fieldErr("layer", fmt.Sprintf("%q is not full or thumb", m.Layer))
	}
	if m.Sitting == "" || len(m.Sitting) > MaxIDLen {
		return fieldErr("sitting", "is missing")
	}
	return validSDP(m.SDP)
}

// Validate checks a watching.
func (m *Watching) Validate() error {
	if err := validView(m.View); err != nil {
		return err
	}
	return validSDP(m.SDP)
}

// Validate checks a view candidate.
func (m *ViewCandidate) Validate() error {
	if err := validView(m.View); err != nil {
		return err
	}
	return m.Candidate.Validate()
}

// Validate checks an unwatch.
func (m *Unwatch) Validate() error { return validView(m.View) }

// Validate checks a focus.
func (m *Focus) Validate() error {
	if len(m.Sitting) > MaxIDLen {
		return fieldErr("sitting", fmt.Sprintf("is over %d characters", MaxIDLen))
	}
	return nil
}

// Validate checks an assessment.
func (m *Assessment) Validate() error {
	switch {
	case m.Sitting == "" || len(m.Sitting) > MaxIDLen:
		return fieldErr("sitting", "is missing")
	case len(m.Items) > MaxAssessmentItems:
		return fieldErr("items", fmt.Sprintf("has over %d entries", MaxAssessmentItems))
	case len(m.OpenFlags) > MaxAssessmentFlags:
		return fieldErr("open_flags", fmt.Sprintf("has over %d entries", MaxAssessmentFlags))
	case m.Risk < 0 || m.Flags < 0 || m.Flags < len(m.OpenFlags):
		return fieldErr("flags", "must count at least the open flags, and the risk must not be negative")
	case m.Weights.Repeat < 0 || m.Weights.Repeat > 1:
		return fieldErr("weights.repeat", "must be between 0 and 1")
	}
	for i, it := range m.Items {
		if it.N == 0 || !it.Rule.Valid() || it.Count < 0 || it.Points < 0 || it.Weight < 0 || it.Factor < 0 {
			return fieldErr(fmt.Sprintf("items[%d]", i), "needs a record number, a clause of p.10 and non-negative numbers")
		}
	}
	for id, w := range m.Weights.Rules {
		if !id.Valid() || w < 0 {
			return fieldErr("weights.rules", fmt.Sprintf("%q: a clause of p.10 with a non-negative weight", id))
		}
	}
	for sev, f := range m.Weights.Severity {
		switch sev {
		case SeverityInfo, SeveritySuspected, SeverityViolation, SeverityUnchecked:
		default:
			return fieldErr("weights.severity", fmt.Sprintf("%q is not a severity", sev))
		}
		if f < 0 {
			return fieldErr("weights.severity", "factors must not be negative")
		}
	}
	return nil
}

// Validate checks a status.
func (m *Status) Validate() error {
	if m.Sitting.ID == "" {
		return fieldErr("sitting.id", "is missing")
	}
	return nil
}

// Validate checks a consent decision: the notice's digest (64 hex digits)
// and a language of the catalogue.
func (m *ConsentDecision) Validate() error {
	if len(m.Notice) != 64 || strings.Trim(m.Notice, "0123456789abcdef") != "" {
		return fieldErr("notice", "must be the digest of the notice shown (64 hex digits)")
	}
	switch m.Lang {
	case "kk", "ru", "en":
	default:
		return fieldErr("lang", fmt.Sprintf("%q is not kk, ru or en", m.Lang))
	}
	return nil
}
