// Package workflow is the competition engine of the selection (the
// HR service's side): competitions under a rule set (p.1, Annex 4),
// applications and their review in working days (p.73), admission with a
// PIN (p.74-1), the commission and its assessors (p.14-1), the interview
// notice (p.122), completion when nobody took part in the essay (p.117),
// and the candidate's inbox of notifications.
//
// It is its own layer over proctoring: it reads only what the Sittings
// port gives (has the candidate joined, the published and appealed
// verdict), never raw events, and proctoring never imports it. Every
// decision is one entry of the audit log (kind "workflow", chained on the
// competition id in Entry.Sitting), written in the same transaction as the
// state it changes (Store.Update). Personal data is sealed with a key kept
// apart from the database (server/pii): the stored records hold only
// ciphertext and a keyed blind index of the IIN.
package workflow

import (
	"time"
)

// Status is where a competition is in its life.
type Status string

// Competition statuses, in order; completed and cancelled are final.
const (
	StatusDraft     Status = "draft"
	StatusAccepting Status = "accepting"
	StatusReview    Status = "review"
	StatusStages    Status = "stages"
	StatusCompleted Status = "completed"
	StatusCancelled Status = "cancelled"
)

// StageKind names a selection stage.
type StageKind string

// Stage kinds, in the order a competition runs them.
const (
	// StageLegislation is the legislation knowledge test (p.14), first.
	StageLegislation StageKind = "legislation"
	StagePersonal    StageKind = "personal_qualities"
	StageTextual     StageKind = "textual_numerical"
	StageEssay       StageKind = "essay"
	StageInterview   StageKind = "interview"
)

var stageOrder = map[StageKind]int{StageLegislation: 1, StagePersonal: 2, StageTextual: 3, StageEssay: 4, StageInterview: 5}

// Stage is one stage of a competition and its schedule.
type Stage struct {
	Kind   StageKind `json:"kind"`
	Starts time.Time `json:"starts"`
	Ends   time.Time `json:"ends"`
	// Link is where the stage is held online (the interview's video
	// link, p.122); empty for stages taken in the candidate page.
	Link string `json:"link"`
	// Notified is when candidates were told of the interview (p.122).
	Notified *time.Time `json:"notified,omitempty"`
	// Sittings is true once the stage's sittings were opened.
	Sittings bool `json:"sittings"`
	// Program is the test program of a test stage (personal qualities,
	// textual/numerical): the id of a program of server/exam, by default
	// the example program of the stage's kind. Empty for the other stages.
	Program string `json:"program,omitempty"`
	// Bank is the item bank a test stage draws its variants from, by
	// default the bank named like the stage's kind. Empty for the others.
	Bank string `json:"bank,omitempty"`
}

// Transition is one change of a competition's status: who, why, when and
// the audit entry that records it.
type Transition struct {
	From  Status    `json:"from"`
	To    Status    `json:"to"`
	Actor string    `json:"actor"`
	Why   string    `json:"why"`
	Time  time.Time `json:"time"`
	Entry int64     `json:"entry"`
}

// MemberRole is a commission member's part.
type MemberRole string

// Commission roles.
const (
	RoleMember   MemberRole = "member"
	RoleAssessor MemberRole = "assessor"
)

// Removal grounds (p.14-1).
const (
	GroundsAbsence  = "absence"
	GroundsConflict = "conflict_of_interest"
	GroundsIllness  = "illness"
	GroundsOther    = "other"
)

// Member is one person of the commission, by staff account id.
type Member struct {
	Account string     `json:"account"`
	Role    MemberRole `json:"role"`
	// Proposed is true for an assessor the system proposed (p.14-1).
	Proposed bool `json:"proposed"`
	// Confirmed is when the assessor confirmed taking part.
	Confirmed *time.Time `json:"confirmed,omitempty"`
	Added     time.Time  `json:"added"`
	// Extra is true for an assessor HR added beside those proposed.
	Extra bool `json:"extra"`
	// Removed is when the member was removed, with Grounds and Reason.
	Removed *time.Time `json:"removed,omitempty"`
	Grounds string     `json:"grounds,omitempty"`
	Reason  string     `json:"reason,omitempty"`
}

// Competition is a selection for one position of corps "B".
type Competition struct {
	ID       string `json:"id"`
	Body     string `json:"body"`
	Position string `json:"position"`
	// RequiresExperience: the position asks for work experience, so
	// its proof is part of a complete package (p.73).
	RequiresExperience bool `json:"requires_experience"`
	// Managerial: a managerial position (the commission is formed for it).
	Managerial bool   `json:"managerial"`
	Status     Status `json:"status"`
	// RuleSet and the period within it under which the competition runs (p.1).
	RuleSet    string       `json:"rule_set"`
	Period     string       `json:"period"`
	Opens      time.Time    `json:"opens"`
	Deadline   time.Time    `json:"deadline"`
	Stages     []Stage      `json:"stages"`
	Commission []Member     `json:"commission"`
	History    []Transition `json:"history"`
	// EssayGraders is how many members grade each essay, fixed when the
	// first essay is released so every essay gets the same number (p.115).
	EssayGraders int `json:"essay_graders"`
	// Interview is the interview's finalists and scores (p.120, p.130),
	// once HR selected them.
	Interview *Interview `json:"interview,omitempty"`
	Created   time.Time  `json:"created"`
	CreatedBy string     `json:"created_by"`
}

// Stage returns the competition's stage of kind k.
func (c *Competition) Stage(k StageKind) (*Stage, bool) {
	for i := range c.Stages {
		if c.Stages[i].Kind == k {
			return &c.Stages[i], true
		}
	}
	return nil, false
}

// Candidate is a person who applied. Everything that identifies them is
// in Sealed; IINIndex is a keyed hash, so a copied database reveals
// neither, and the same IIN is still found again.
type Candidate struct {
	ID       string    `json:"id"`
	IINIndex string    `json:"iin_index"`
	Sealed   []byte    `json:"sealed"`
	Created  time.Time `json:"created"`
}

// Personal is a candidate's personal data, only ever shown to HR and
// administrators (p.74-1).
type Personal struct {
	Name  string `json:"name"`
	IIN   string `json:"iin"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// AppStatus is where an application is in its review (p.73).
type AppStatus string

// Application statuses.
const (
	AppSubmitted    AppStatus = "submitted"
	AppIncomplete   AppStatus = "incomplete"
	AppSupplemented AppStatus = "supplemented"
	AppAdmitted     AppStatus = "admitted"
	AppRefused      AppStatus = "refused"
)

// DocKind is what a document proves (p.73).
type DocKind string

// Document kinds.
const (
	DocEducation           DocKind = "education"
	DocEducationAttachment DocKind = "education_attachment"
	DocExperience          DocKind = "experience"
	DocIdentity            DocKind = "identity"
	DocOther               DocKind = "other"
)

// Document is one uploaded scan; its bytes are sealed in a file.
type Document struct {
	ID     string    `json:"id"`
	Kind   DocKind   `json:"kind"`
	Type   string    `json:"type"`
	SHA256 string    `json:"sha256"`
	Size   int64     `json:"size"`
	Added  time.Time `json:"added"`
	// Supplement is true for a document added while completing an
	// incomplete package (p.73).
	Supplement bool `json:"supplement"`
}

// Application is one candidate's application to one competition.
type Application struct {
	ID          string     `json:"id"`
	Competition string     `json:"competition"`
	Candidate   string     `json:"candidate"`
	Status      AppStatus  `json:"status"`
	Submitted   time.Time  `json:"submitted"`
	Documents   []Document `json:"documents"`
	// Missing lists what HR found missing when it marked the package
	// incomplete; Reason is the reason of a refusal.
	Missing []string `json:"missing"`
	Reason  string   `json:"reason,omitempty"`
	// Incomplete is when HR found the package incomplete; SupplementDue
	// is the end of the one working day the candidate has to complete it;
	// Supplemented when they did; RecheckDue the end of HR's working day
	// to check it again (p.73).
	Incomplete    *time.Time `json:"incomplete,omitempty"`
	SupplementDue *time.Time `json:"supplement_due,omitempty"`
	Supplemented  *time.Time `json:"supplemented,omitempty"`
	RecheckDue    *time.Time `json:"recheck_due,omitempty"`
	Decided       *time.Time `json:"decided,omitempty"`
	DecidedBy     string     `json:"decided_by,omitempty"`
	// PIN is given on admission (p.74-1).
	PIN string `json:"pin,omitempty"`
	// CabinetHash is the SHA-256 of the current cabinet token; only the
	// newest one opens the cabinet, until CabinetExpires.
	CabinetHash    string    `json:"cabinet_hash"`
	CabinetExpires time.Time `json:"cabinet_expires"`
	// Sittings are the proctored sittings opened for the candidate, by
	// stage, with their join tokens sealed.
	Sittings []StageSitting `json:"sittings"`
}

// StageSitting is the sitting of one stage for one application.
type StageSitting struct {
	Stage   StageKind `json:"stage"`
	Sitting string    `json:"sitting"`
	// Token is the sealed join token the cabinet shows the candidate.
	Token []byte `json:"token"`
}

// Notification is one message to a candidate: a catalogue key and its
// arguments, rendered in the reader's language.
type Notification struct {
	ID          string            `json:"id"`
	Application string            `json:"application"`
	Key         string            `json:"key"`
	Args        map[string]string `json:"args"`
	Time        time.Time         `json:"time"`
	// Entry is the audit entry that logged it.
	Entry int64 `json:"entry"`
}
