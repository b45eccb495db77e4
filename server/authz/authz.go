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
	// Candidate: the candidate's page, by its page token; one sitting only.
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
	// Writes is true for routes that change state; auditors never get them.
	Writes bool
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
		{Route: "GET /v1/agent", Who: []Principal{Agent}, Writes: true, Why: "the agent channel; the sitting token is checked in hello"},
		{Route: "POST /v1/evidence/{id}", Who: []Principal{Agent}, Writes: true, Why: "evidence upload with the connection's upload token"},
		{Route: "GET /v1/candidate", Who: []Principal{Candidate}, Why: "the candidate page's channel, by page token"},
		{Route: "GET /v1/view", Who: []Principal{proctor, admin, auditor}, Why: "live list, feed and media of viewable sittings"},
		{Route: "GET /api/sittings/{id}/evidence/{sha}", Who: []Principal{proctor, admin, auditor}, Why: "evidence of a viewable sitting"},
		{Route: "POST /api/competitions", Who: []Principal{admin, hr}, Writes: true, Why: "HR sets up competitions"},
		{Route: "POST /api/sittings", Who: []Principal{admin, hr}, Writes: true, Why: "HR admits candidates to a stage"},
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
	if r.Writes && p == auditor {
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
			if !(r.Writes && w == auditor) {
				out = append(out, store.Role(w))
			}
		}
	}
	return out
}
