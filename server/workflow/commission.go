package workflow

import (
	"context"
	"crypto/rand"
	"math/big"
	"strconv"
	"time"

	"kuzet.kz/kuzet/server/calendar"
)

// ExtraAssessorCutoff is how long before the interview HR may still add
// an extra assessor (p.14-1).
const ExtraAssessorCutoff = 30 * time.Minute

// Accounts is what the engine knows of staff accounts: ids by role.
type Accounts interface {
	// HasRole reports whether the account exists with that role.
	HasRole(ctx context.Context, account, role string) (bool, error)
	// WithRole lists the ids of the accounts with that role.
	WithRole(ctx context.Context, role string) ([]string, error)
}

func member(c *Competition, account string) *Member {
	for i := range c.Commission {
		if c.Commission[i].Account == account && c.Commission[i].Removed == nil {
			return &c.Commission[i]
		}
	}
	return nil
}

// Propose draws n assessors at random from the assessor accounts not yet
// on the commission: the system's proposal, which each assessor then
// confirms (p.14-1).
func (e *Engine) Propose(ctx context.Context, accounts Accounts, actor, id string, n int) (Competition, error) {
	if n < 1 || n > 20 {
		return Competition{}, refuse(KindInvalid, "", "workflow.err.propose_count", "propose 1 to 20 assessors")
	}
	pool, err := accounts.WithRole(ctx, "assessor")
	if err != nil {
		return Competition{}, err
	}
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status == StatusCompleted || c.Status == StatusCancelled {
			return wrongStatus(c, StatusStages, "forming the commission")
		}
		free := []string{}
		for _, a := range pool {
			if member(c, a) == nil {
				free = append(free, a)
			}
		}
		if len(free) < n {
			return refuse(KindConflict, "p.14-1", "workflow.err.p14_1_pool", "only {free} assessors are free to propose, {n} were asked for; add assessor accounts", "free", strconv.Itoa(len(free)), "n", strconv.Itoa(n))
		}
		picked := []string{}
		for range n {
			k, err := rand.Int(rand.Reader, big.NewInt(int64(len(free))))
			if err != nil {
				return err
			}
			i := int(k.Int64())
			picked = append(picked, free[i])
			c.Commission = append(c.Commission, Member{Account: free[i], Role: RoleAssessor, Proposed: true, Added: now})
			free = append(free[:i], free[i+1:]...)
		}
		if _, err := logEntry(tx, now, c.ID, actor, "propose_assessors", map[string]any{"accounts": picked}); err != nil {
			return err
		}
		return tx.PutCompetition(*c)
	})
}

// AddMember puts a staff account on the commission: a member, or an
// extra assessor. p.14-1: an extra assessor no later than 30 minutes
// before the interview starts.
func (e *Engine) AddMember(ctx context.Context, accounts Accounts, actor, id, account string, role MemberRole) (Competition, error) {
	want := map[MemberRole]string{RoleMember: "commission", RoleAssessor: "assessor"}[role]
	if want == "" {
		return Competition{}, refuse(KindInvalid, "", "workflow.err.member_role", "role {role} is not member or assessor", "role", string(role))
	}
	ok, err := accounts.HasRole(ctx, account, want)
	if err != nil {
		return Competition{}, err
	}
	if !ok {
		return Competition{}, refuse(KindInvalid, "", "workflow.err.member_account", "account {account} does not have the {role} role", "account", account, "role", want)
	}
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		if c.Status == StatusCompleted || c.Status == StatusCancelled {
			return wrongStatus(c, StatusStages, "forming the commission")
		}
		if member(c, account) != nil {
			return refuse(KindConflict, "", "workflow.err.member_twice", "account {account} is on the commission already", "account", account)
		}
		if role == RoleAssessor {
			if iv, ok := c.Stage(StageInterview); ok && !now.Before(iv.Starts.Add(-ExtraAssessorCutoff)) {
				return refuse(KindConflict, "p.14-1", "workflow.err.p14_1_late", "an extra assessor may be added until 30 minutes before the interview ({starts}); it is too late",
					"starts", iv.Starts.In(calendar.Zone).Format("2006-01-02 15:04"))
			}
		}
		c.Commission = append(c.Commission, Member{Account: account, Role: role, Extra: role == RoleAssessor, Added: now})
		if _, err := logEntry(tx, now, c.ID, actor, "add_member", map[string]any{"account": account, "role": role}); err != nil {
			return err
		}
		return tx.PutCompetition(*c)
	})
}

// Confirm is a proposed assessor confirming they take part (p.14-1).
func (e *Engine) Confirm(ctx context.Context, account, id string) (Competition, error) {
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		m := member(c, account)
		if m == nil || !m.Proposed {
			return refuse(KindConflict, "p.14-1", "workflow.err.p14_1_not_proposed", "you are not a proposed assessor of this competition")
		}
		if m.Confirmed != nil {
			return nil
		}
		m.Confirmed = &now
		if _, err := logEntry(tx, now, c.ID, account, "confirm_assessor", map[string]any{"account": account}); err != nil {
			return err
		}
		return tx.PutCompetition(*c)
	})
}

var grounds = map[string]bool{GroundsAbsence: true, GroundsConflict: true, GroundsIllness: true, GroundsOther: true}

// Remove takes a member off the commission. p.14-1: a proposed assessor
// who confirmed cannot be removed without grounds; a removal for absence
// records the reason.
func (e *Engine) Remove(ctx context.Context, actor, id, account, ground, reason string) (Competition, error) {
	ground, reason = clean(ground), clean(reason)
	if ground != "" && !grounds[ground] {
		return Competition{}, refuse(KindInvalid, "p.14-1", "workflow.err.p14_1_grounds_kind", "grounds {grounds} are not one of absence, conflict_of_interest, illness, other", "grounds", ground)
	}
	if len(reason) > 1000 {
		return Competition{}, refuse(KindInvalid, "", "workflow.err.review_long", "at most 1000 characters of reason")
	}
	return e.update(ctx, id, func(tx Tx, c *Competition, now time.Time) error {
		m := member(c, account)
		if m == nil {
			return notFound("commission member", account)
		}
		if m.Proposed && m.Confirmed != nil && ground == "" {
			return refuse(KindConflict, "p.14-1", "workflow.err.p14_1_grounds", "this assessor was proposed by the system and confirmed taking part: give the grounds for removing them")
		}
		if ground == GroundsAbsence && reason == "" || ground == GroundsOther && reason == "" {
			return refuse(KindInvalid, "p.14-1", "workflow.err.p14_1_reason", "a removal for {grounds} records the reason: write it", "grounds", ground)
		}
		m.Removed, m.Grounds, m.Reason = &now, ground, reason
		if _, err := logEntry(tx, now, c.ID, actor, "remove_member", map[string]any{"account": account, "grounds": ground, "reason": reason}); err != nil {
			return err
		}
		return tx.PutCompetition(*c)
	})
}
