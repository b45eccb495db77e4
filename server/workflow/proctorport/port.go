// Package proctorport connects the competition engine to proctoring: it
// implements workflow.Sittings over server/admin and server/store (open a
// sitting under the candidate's PIN, tell whether the candidate joined)
// and workflow.Accounts over the staff accounts. It is the only package
// that knows both sides; proctoring never imports the workflow.
package proctorport

import (
	"context"
	"errors"
	"fmt"

	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/server/admin"
	"kuzet.kz/kuzet/server/store"
	"kuzet.kz/kuzet/server/workflow"
)

// Port implements workflow.Sittings and workflow.Accounts.
type Port struct {
	Admin *admin.Admin
	Store *store.Store
}

// Open implements workflow.Sittings: the competition's label record
// (what the dashboard shows: the position, never a person) is created on
// first use.
func (p Port) Open(ctx context.Context, c workflow.Competition, stage workflow.StageKind, pin string) (string, string, error) {
	if _, err := p.Store.Competition(c.ID); errors.Is(err, store.ErrNotFound) {
		if err := p.Store.PutCompetition(store.Competition{ID: c.ID, Title: c.Position, Created: c.Created}); err != nil {
			return "", "", err
		}
	} else if err != nil {
		return "", "", err
	}
	ns, err := p.Admin.CreateSittingFor(c.ID, string(stage), pin)
	if err != nil {
		return "", "", fmt.Errorf("open sitting: %w", err)
	}
	return string(ns.Sitting.ID), ns.Token, nil
}

// Joined implements workflow.Sittings.
func (p Port) Joined(ctx context.Context, sitting string) (bool, error) {
	st, err := p.Store.Sitting(protocol.SittingID(sitting))
	if err != nil {
		return false, err
	}
	return st.Joined != nil, nil
}

// HasRole implements workflow.Accounts.
func (p Port) HasRole(ctx context.Context, account, role string) (bool, error) {
	a, err := p.Store.Account(account)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && string(a.Role) == role, err
}

// WithRole implements workflow.Accounts.
func (p Port) WithRole(ctx context.Context, role string) ([]string, error) {
	all, err := p.Store.Accounts()
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, a := range all {
		if string(a.Role) == role {
			out = append(out, a.ID)
		}
	}
	return out, nil
}

// Verdict implements workflow.Sittings: the published check results and,
// once the appeal commission decided, the outcome that stands after it.
func (p Port) Verdict(ctx context.Context, sitting string) (workflow.Verdict, error) {
	st, err := p.Store.Sitting(protocol.SittingID(sitting))
	if err != nil {
		return workflow.Verdict{}, err
	}
	if st.Verdict == nil {
		return workflow.Verdict{}, nil
	}
	v := workflow.Verdict{Published: true, Clean: st.EffectiveOutcome() == protocol.VerdictClean, Since: st.Verdict.Time}
	if st.Appeal != nil {
		v.Appealed, v.Since = true, st.Appeal.Time
	}
	return v, nil
}
