package protocol

import "fmt"

// RuleID names one conduct rule of p.10 of the selection rules (Order No. 184,
// see ../shared/domain/rules.md), written as its clause number: "10.1" … "10.11".
// Every event the agent reports and every flag a proctor reviews cites one.
type RuleID string

// The conduct rules of p.10. The constants hold the clause numbers exactly as
// the order writes them, so they can be shown and cited as they are.
const (
	Rule10_1  RuleID = "10.1"  // takes part in person
	Rule10_2  RuleID = "10.2"  // no other persons present
	Rule10_3  RuleID = "10.3"  // does not leave the seat
	Rule10_4  RuleID = "10.4"  // does not turn away from the screen
	Rule10_5  RuleID = "10.5"  // does not cover the image
	Rule10_6  RuleID = "10.6"  // does not disconnect the video camera
	Rule10_7  RuleID = "10.7"  // makes a 360° review of the room on request
	Rule10_8  RuleID = "10.8"  // does not talk on the phone
	Rule10_9  RuleID = "10.9"  // no remote-access software
	Rule10_10 RuleID = "10.10" // no audio headset
	Rule10_11 RuleID = "10.11" // no auxiliary materials or devices
)

// Rule is one clause of p.10 with its obligation in English, as the working
// rendering in rules.md gives it. User-facing text uses the catalogue keys
// "rule.<id>.title" and "rule.<id>.fix" instead, in kk, ru and en.
type Rule struct {
	ID         RuleID `json:"id"`
	Obligation string `json:"obligation"`
}

// Rules lists every conduct rule of p.10 in clause order.
func Rules() []Rule {
	return []Rule{
		{Rule10_1, "takes part in person (is who they claim to be)"},
		{Rule10_2, "ensures no other persons are present"},
		{Rule10_3, "does not leave the seat"},
		{Rule10_4, "does not turn away from the screen"},
		{Rule10_5, "does not cover the image"},
		{Rule10_6, "does not disconnect the video camera"},
		{Rule10_7, "on the system's request makes a circular (360°) review of the room"},
		{Rule10_8, "does not talk on the phone"},
		{Rule10_9, "does not use, and ensures the absence of, software that lets other persons access the computer (remote-access programs)"},
		{Rule10_10, "does not use an audio headset (headphones)"},
		{Rule10_11, "does not use auxiliary electronic, printed, paper or other materials and items"},
	}
}

// Valid reports whether r is one of the clauses of p.10.
func (r RuleID) Valid() bool {
	for _, x := range Rules() {
		if x.ID == r {
			return true
		}
	}
	return false
}

// Obligation returns the clause text of r, or an error naming the unknown id.
func (r RuleID) Obligation() (string, error) {
	for _, x := range Rules() {
		if x.ID == r {
			return x.Obligation, nil
		}
	}
	return "", fmt.Errorf("rule %q is not a clause of p.10 (expected 10.1 … 10.11)", string(r))
}
