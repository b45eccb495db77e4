// Package authz is the server's authorisation table: for every route, who
// may call it. It is the one place to read and review access: the web
// server refuses to start if a route is registered that the table does not
// list, and serves each route only to the principals listed here.
package authz

import (
	"fmt"

	"kuzet.kz/kuzet/server/store"
)

// Principal is who calls: a staff role, or one of the non-staff callers.
type Principal string

// Principals besides the staff roles of store.Role.
const (
	// Public: anyone, without credentials (health, the web app, the catalogue, login).
	Public Principal = "public"
	// Agent: a kuzet-agent, by its sitting token (channel) or upload token.
	Agent Principal = "agent"
	// Candidate: the candidate, for one sitting only: the candidate's page
	// by its page token, the cabinet (server/replay) by the sitting token.
	Candidate Principal = "candidate"
)

// Staff turns a staff role into a principal.
func Staff(r store.Role) Principal { return Principal(r) }

// Rule says who may call one route.
type Rule struct {
	// Route is the method and pattern, as http.ServeMux writes them.
	Route string
	// Who lists the principals allowed.
	Who []Principal
	// Writes is true for routes that change state; auditors never get
	// them, except where Appeal is set.
	Writes bool
	// Appeal marks the decision on a candidate's appeal: the one write an
	// auditor may make. Auditors are the appeal commission (they replay
	// the evidence and prove the log; they never proctor, so they never
	// judge their own verdict).
	Appeal bool
	// Own marks a write to the caller's own credentials only (changing
	// one's own password): every staff role may make it, auditors too.
	Own bool
	// Why is a line for the reviewer.
	Why string
}

var (
	admin      = Staff(store.RoleAdmin)
	hr         = Staff(store.RoleHR)
	proctor    = Staff(store.RoleProctor)
	assessor   = Staff(store.RoleAssessor)
	auditor    = Staff(store.RoleAuditor)
	commission = Staff(store.RoleCommittee)
	anyStaff   = []Principal{admin, hr, proctor, assessor, auditor, commission}
)

// Table lists every route the server serves. Sitting-level checks (a
// proctor sees only assigned sittings, p.74-1 anonymity) are made by the
// handlers on top of this.
func Table() []Rule {
	return []Rule{
		{Route: "GET /healthz", Who: []Principal{Public}, Why: "load balancers and scripts"},
		{Route: "GET /", Who: []Principal{Public}, Why: "the web app's static files"},
		{Route: "GET /api/i18n", Who: []Principal{Public}, Why: "texts are not secret; the login page needs them"},
		{Route: "POST /api/login", Who: []Principal{Public}, Writes: true, Why: "rate-limited per address"},
		{Route: "POST /api/logout", Who: []Principal{Public}, Writes: true, Why: "ends the caller's own session, if any"},
		{Route: "GET /api/me", Who: anyStaff, Why: "who is logged in"},
		// Account management (server/accounts): administrators only; each
		// change is in the audit log with who made it, never a password.
		{Route: "POST /api/me/password", Who: anyStaff, Writes: true, Own: true, Why: "change one's own password (the current one required); the caller's other sessions end"},
		{Route: "GET /api/accounts", Who: []Principal{admin}, Why: "staff accounts: username, role, disabled, created, last login (never password hashes)"},
		{Route: "POST /api/accounts", Who: []Principal{admin}, Writes: true, Why: "create a staff account of any role"},
		{Route: "POST /api/accounts/{id}/disable", Who: []Principal{admin}, Writes: true, Why: "disable an account: it cannot log in and its sessions end at once"},
		{Route: "POST /api/accounts/{id}/enable", Who: []Principal{admin}, Writes: true, Why: "enable a disabled account again"},
		{Route: "POST /api/accounts/{id}/password", Who: []Principal{admin}, Writes: true, Why: "reset an account's password; its sessions end"},
		{Route: "GET /api/accounts/{id}/sessions", Who: []Principal{admin}, Why: "an account's login sessions (when, until when; never the cookie)"},
		{Route: "DELETE /api/accounts/{id}/sessions", Who: []Principal{admin}, Writes: true, Why: "end every session of an account (a lost laptop)"},
		{Route: "GET /v1/agent", Who: []Principal{Agent}, Writes: true, Why: "the agent channel; the sitting token is checked in hello"},
		{Route: "POST /v1/evidence/{id}", Who: []Principal{Agent}, Writes: true, Why: "evidence upload with the connection's upload token"},
		{Route: "GET /v1/candidate", Who: []Principal{Candidate}, Why: "the candidate page's channel, by page token"},
		{Route: "GET /v1/consent", Who: []Principal{Candidate}, Why: "the consent notice and the decision so far, by page token"},
		{Route: "POST /v1/acknowledge", Who: []Principal{Candidate}, Writes: true, Why: "the candidate read a proctor's message or warning, by page token; logged"},
		{Route: "POST /v1/consent", Who: []Principal{Candidate}, Writes: true, Why: "the candidate's decision on the consent notice, by page token; nothing is captured before it"},
		{Route: "GET /v1/view", Who: []Principal{proctor, admin, auditor}, Why: "live list, feed and media of viewable sittings"},
		// The auditor's replay (server/replay): read-only, every sitting.
		{Route: "GET /api/replay/sittings", Who: []Principal{auditor, admin}, Why: "find sittings to replay by PIN, or those with a pending appeal"},
		{Route: "GET /api/replay/sittings/{id}", Who: []Principal{auditor, admin}, Why: "a sitting's timeline: records, spans, evidence, recordings, verdict, appeal"},
		{Route: "GET /api/replay/sittings/{id}/recordings/{name}", Who: []Principal{auditor, admin}, Why: "a recording segment the log names, with Range for seeking"},
		{Route: "GET /api/replay/sittings/{id}/proofs", Who: []Principal{auditor, admin}, Why: "inclusion proofs of the sitting's log entries"},
		{Route: "GET /api/replay/sittings/{id}/verify", Who: []Principal{auditor, admin}, Why: "verify the sitting against a signed checkpoint (may sign one on demand; changes no fact)"},
		{Route: "GET /api/replay/checkpoint", Who: []Principal{auditor, admin}, Why: "the latest signed checkpoint and consistency proofs"},
		{Route: "POST /api/replay/sittings/{id}/appeal/decision", Who: []Principal{auditor}, Writes: true, Appeal: true, Why: "the appeal commission (auditors) upholds or overturns a verdict, with reasons; logged"},
		// The candidate's cabinet (server/replay), by the sitting token.
		{Route: "GET /api/cabinet", Who: []Principal{Candidate}, Why: "the candidate's published verdict and appeal, by PIN"},
		{Route: "POST /api/cabinet/appeal", Who: []Principal{Candidate}, Writes: true, Why: "appeal a published violation verdict once, within the appeal period"},
		{Route: "GET /api/sittings/{id}/evidence/{sha}", Who: []Principal{proctor, admin, auditor}, Why: "evidence of a viewable sitting"},
		{Route: "POST /api/sittings/{id}/token", Who: []Principal{admin, hr}, Writes: true, Why: "HR issues a new join token (new computer, expired token); the old ones stop"},
		{Route: "GET /api/stats", Who: []Principal{admin}, Why: "operators and the soak test: goroutines, memory, media figures"},
		{Route: "POST /api/sittings", Who: []Principal{admin, hr}, Writes: true, Why: "HR admits candidates to a stage"},
		// The proctor's actions (server/proctoring): only a proctor assigned
		// to the sitting, checked by the handler; each is logged with who.
		{Route: "POST /api/sittings/{id}/room-scan", Who: []Principal{proctor}, Writes: true, Why: "ask the agent for a 360° room scan (rule 10.7)"},
		{Route: "POST /api/sittings/{id}/message", Who: []Principal{proctor}, Writes: true, Why: "a message to the candidate's page and agent"},
		{Route: "POST /api/sittings/{id}/warning", Who: []Principal{proctor}, Writes: true, Why: "a formal warning citing a rule"},
		{Route: "POST /api/sittings/{id}/pause", Who: []Principal{proctor}, Writes: true, Why: "pause the sitting"},
		{Route: "POST /api/sittings/{id}/resume", Who: []Principal{proctor}, Writes: true, Why: "resume the sitting"},
		{Route: "POST /api/sittings/{id}/end", Who: []Principal{proctor}, Writes: true, Why: "end the sitting with a reason"},
		{Route: "POST /api/sittings/{id}/flags/{n}/review", Who: []Principal{proctor}, Writes: true, Why: "confirm or dismiss a flag with a note"},
		{Route: "POST /api/sittings/{id}/verdict", Who: []Principal{proctor}, Writes: true, Why: "publish the check results once (p.115)"},
		{Route: "GET /api/sittings/{id}/verdict", Who: []Principal{proctor, admin, hr, auditor, commission}, Why: "the published check results (PIN-based, no personal data); a proctor only for assigned sittings"},
		{Route: "PUT /api/sittings/{id}/proctors", Who: []Principal{admin, hr}, Writes: true, Why: "HR assigns proctors to sittings"},
		{Route: "GET /api/sittings/{id}/proctors", Who: []Principal{admin, hr}, Why: "who is assigned"},
		// The competition workflow (server/workflow/httpapi). Personal data
		// only on the routes of HR and administrators (p.74-1).
		// HR's identity check of rule 10.1 (server/identity): the ID
		// document shows the name and IIN, so HR only (p.74-1).
		{Route: "GET /api/identity", Who: []Principal{admin, hr}, Why: "sittings whose ID photo waits for HR's check (rule 10.1), by PIN"},
		{Route: "GET /api/identity/{id}/images/{sha}", Who: []Principal{admin, hr}, Why: "the ID photo and the reference snapshot: HR only (p.74-1)"},
		{Route: "POST /api/identity/{id}", Who: []Principal{admin, hr}, Writes: true, Why: "HR confirms or rejects the identity (rule 10.1); the proctor sees the result, not the photo"},
		{Route: "GET /api/bodies", Who: []Principal{admin, hr}, Why: "the register of state bodies (p.1)"},
		{Route: "GET /api/rulesets", Who: []Principal{admin, hr}, Why: "the rule sets and the periods they cover (p.1, Annex 4)"},
		{Route: "GET /api/commission/accounts", Who: []Principal{admin, hr}, Why: "assessor and commission accounts to form a commission (usernames, no candidate data)"},
		{Route: "GET /api/proctors", Who: []Principal{admin, hr}, Why: "proctor accounts (usernames) for HR to assign to sittings; no candidate data"},
		{Route: "GET /api/competitions", Who: []Principal{admin, hr, commission, assessor}, Why: "competitions, their status and schedule (no candidate data)"},
		{Route: "POST /api/competitions", Who: []Principal{admin, hr}, Writes: true, Why: "HR creates a competition (p.1 checked)"},
		{Route: "GET /api/competitions/{id}", Who: []Principal{admin, hr, commission, assessor}, Why: "one competition (no candidate data)"},
		{Route: "POST /api/competitions/{id}/publish", Who: []Principal{admin, hr}, Writes: true, Why: "open for applications"},
		{Route: "POST /api/competitions/{id}/cancel", Who: []Principal{admin, hr}, Writes: true, Why: "cancel with a reason"},
		{Route: "POST /api/competitions/{id}/start-stages", Who: []Principal{admin, hr}, Writes: true, Why: "end the review (p.73)"},
		{Route: "POST /api/competitions/{id}/stages/{kind}/open", Who: []Principal{admin, hr}, Writes: true, Why: "open the proctored sittings of a stage under the PINs"},
		{Route: "POST /api/competitions/{id}/interview/notify", Who: []Principal{admin, hr}, Writes: true, Why: "the interview notice with date and link (p.122)"},
		{Route: "POST /api/competitions/{id}/commission/propose", Who: []Principal{admin, hr}, Writes: true, Why: "the system proposes assessors at random (p.14-1)"},
		{Route: "POST /api/competitions/{id}/commission", Who: []Principal{admin, hr}, Writes: true, Why: "add a member or an extra assessor (p.14-1: not within 30 minutes of the interview)"},
		{Route: "POST /api/competitions/{id}/commission/{account}/remove", Who: []Principal{admin, hr}, Writes: true, Why: "remove a member, with grounds (p.14-1)"},
		{Route: "POST /api/competitions/{id}/commission/confirm", Who: []Principal{assessor}, Writes: true, Why: "a proposed assessor confirms taking part (p.14-1)"},
		{Route: "GET /api/competitions/{id}/applications", Who: []Principal{admin, hr}, Why: "applications with personal data and documents: HR only (p.74-1)"},
		{Route: "GET /api/competitions/{id}/overdue", Who: []Principal{admin, hr}, Why: "deadlines HR let pass (p.73, p.122)"},
		{Route: "GET /api/competitions/{id}/pins", Who: []Principal{admin, hr, commission, assessor, proctor}, Why: "the admitted candidates by PIN only (p.74-1)"},
		{Route: "GET /api/applications/{id}", Who: []Principal{admin, hr}, Why: "one application with personal data and its notices"},
		{Route: "POST /api/applications/{id}/review", Who: []Principal{admin, hr}, Writes: true, Why: "admit, mark incomplete or refuse (p.73)"},
		{Route: "POST /api/applications/{id}/cabinet", Who: []Principal{admin, hr}, Writes: true, Why: "a new cabinet link; the old one stops working"},
		{Route: "GET /api/applications/{id}/documents/{doc}", Who: []Principal{admin, hr}, Why: "a document scan, for HR only"},
		{Route: "GET /api/open-competitions", Who: []Principal{Public}, Why: "competitions accepting applications: public by nature"},
		{Route: "POST /api/competitions/{id}/apply", Who: []Principal{Public}, Writes: true, Why: "a candidate applies; rate-limited per address; returns the cabinet token once"},
		{Route: "GET /api/cabinet/inbox", Who: []Principal{Candidate}, Why: "the candidate's application, notices and join links, by cabinet token"},
		{Route: "POST /api/cabinet/documents", Who: []Principal{Candidate}, Writes: true, Why: "the candidate uploads a scan (PDF, JPEG, PNG; at most 10 MiB)"},
		{Route: "POST /api/cabinet/supplement", Who: []Principal{Candidate}, Writes: true, Why: "complete an incomplete package, once (p.73)"},
		// The stages (server/workflow): the essay, signed grades, the interview, results.
		{Route: "GET /api/cabinet/essay", Who: []Principal{Candidate}, Why: "the candidate's essay as the server holds it, with the server's clock (p.115)"},
		{Route: "PUT /api/cabinet/essay", Who: []Principal{Candidate}, Writes: true, Why: "save the essay as it is typed, idempotent by revision; only under a joined agent"},
		{Route: "POST /api/cabinet/essay/submit", Who: []Principal{Candidate}, Writes: true, Why: "submit the essay (at most 250 words); its hash is logged"},
		{Route: "POST /api/cabinet/tests/{kind}/start", Who: []Principal{Candidate}, Writes: true, Why: "start a test stage under a joined agent: the server draws the variant with a fresh seed and logs the seed and item versions"},
		{Route: "GET /api/cabinet/tests/{kind}", Who: []Principal{Candidate}, Why: "the candidate's own questions, choices in the presented order, saved answers and the server's clock; never the correct responses"},
		{Route: "PUT /api/cabinet/tests/{kind}/answers", Who: []Principal{Candidate}, Writes: true, Why: "save one answer, idempotent by revision, before the deadline on the server's clock"},
		{Route: "POST /api/cabinet/tests/{kind}/submit", Who: []Principal{Candidate}, Writes: true, Why: "submit the test: graded and scored by Annex 3, the result logged"},
		{Route: "GET /api/cabinet/certificate.pdf", Who: []Principal{Candidate}, Why: "the candidate's own certificate of a below-pass legislation result (p.14, Annex 6), by PIN"},
		{Route: "GET /api/cabinet/tests/{kind}/assets/{item}/{path}", Who: []Principal{Candidate}, Why: "a picture (PNG, JPEG, GIF, WebP; never SVG) of a question of the candidate's own started attempt, never cached; nobody else's items"},
		{Route: "POST /api/banks/{bank}/import", Who: []Principal{admin, hr}, Writes: true, Why: "import QTI 2.1 items into a bank; refused items reported by identifier; one audit entry"},
		{Route: "GET /api/banks/{bank}", Who: []Principal{admin, hr}, Why: "the bank's items: identifier, title, version, categories, interaction (no correct responses)"},
		{Route: "GET /api/test-programs", Who: []Principal{admin, hr}, Why: "the test stages' programs, shipped and defined by HR: the categories and counts each section draws, for HR to see a bank's shortfall"},
		{Route: "POST /api/test-programs", Who: []Principal{admin, hr}, Writes: true, Why: "define a test program (sections by category with counts, time limit, pass values) as data; never changed once stored, logged with its digest"},
		{Route: "GET /api/competitions/{id}/tests", Who: []Principal{admin, hr}, Why: "the test attempts by PIN with results, seeds and pools, never names (p.74-1)"},
		{Route: "GET /api/me/signing-key", Who: []Principal{commission, assessor}, Why: "the member's registered signing key (fingerprint)"},
		{Route: "POST /api/me/signing-key", Who: []Principal{commission, assessor}, Writes: true, Why: "register the public key the member's browser signs grades with (p.115, p.130)"},
		{Route: "GET /api/grading/essays", Who: []Principal{commission, assessor}, Why: "the released essays assigned to the member, by PIN (p.115, p.74-1)"},
		{Route: "GET /api/grading/interviews", Who: []Principal{commission, assessor}, Why: "the interviews' finalists by PIN and the member's own scores (p.130)"},
		{Route: "GET /api/grading/essays/{app}", Who: []Principal{commission, assessor}, Why: "one released essay's text and PIN; a held one is refused citing p.115"},
		{Route: "POST /api/grading/essays/{app}/payload", Who: []Principal{commission, assessor}, Writes: true, Why: "the canonical payload of a grade to sign"},
		{Route: "POST /api/grading/essays/{app}/grade", Who: []Principal{commission, assessor}, Writes: true, Why: "a signed 0-5 essay grade, once (p.115)"},
		{Route: "GET /api/competitions/{id}/essays", Who: []Principal{admin, hr}, Why: "the essays' states, graders and scores, without the text"},
		{Route: "GET /api/competitions/{id}/standings", Who: []Principal{admin, hr, commission, assessor}, Why: "the cumulative scores by PIN in the p.120 order"},
		{Route: "POST /api/competitions/{id}/interview/select", Who: []Principal{admin, hr}, Writes: true, Why: "the system selects at most three finalists (p.120); HR cannot pick"},
		{Route: "POST /api/competitions/{id}/interview/{app}/payload", Who: []Principal{commission, assessor}, Writes: true, Why: "the canonical payload of an interview score to sign"},
		{Route: "POST /api/competitions/{id}/interview/{app}/score", Who: []Principal{commission, assessor}, Writes: true, Why: "a signed 0-3 interview score, once (p.130)"},
		{Route: "GET /api/competitions/{id}/results", Who: []Principal{admin, hr, commission, assessor}, Why: "the final ranking by PIN with every stage's scores"},
		{Route: "GET /api/competitions/{id}/results.csv", Who: []Principal{admin, hr}, Why: "the final ranking as CSV for the state body"},
		{Route: "GET /api/competitions/{id}/results.pdf", Who: []Principal{admin, hr}, Why: "the final ranking as PDF for the state body, by PIN"},
	}
}

// Lookup returns the rule of a route.
func Lookup(route string) (Rule, error) {
	for _, r := range Table() {
		if r.Route == route {
			return r, nil
		}
	}
	return Rule{}, fmt.Errorf("route %q is not in the authorisation table (server/authz): add it with who may call it", route)
}

// Allows reports whether principal p may call the route of rule r.
func (r Rule) Allows(p Principal) bool {
	if r.Writes && p == auditor && !r.Appeal && !r.Own {
		return false
	}
	for _, w := range r.Who {
		if w == p {
			return true
		}
	}
	return false
}

// StaffRoles returns the staff roles a rule admits.
func (r Rule) StaffRoles() []store.Role {
	var out []store.Role
	for _, w := range r.Who {
		switch w {
		case Public, Agent, Candidate:
		default:
			if !(r.Writes && w == auditor && !r.Appeal && !r.Own) {
				out = append(out, store.Role(w))
			}
		}
	}
	return out
}
