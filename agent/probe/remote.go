package probe

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/agent/probe/remote"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// maxListed bounds how many peers or ports one finding's detail lists.
const maxListed = 8

// RemoteAccess is the rule 10.9 check of running remote-access tools and
// the sockets listening on their ports.
type RemoteAccess struct {
	cfg     Config
	scanner *remote.Scanner
}

var _ Checker = (*RemoteAccess)(nil)

// NewRemoteAccess makes the check over sys (remote.SystemSource{} for the
// real system) on goos.
func NewRemoteAccess(cfg Config, cat *remote.Catalogue, sys remote.System, goos string, log *slog.Logger) *RemoteAccess {
	return &RemoteAccess{cfg: cfg, scanner: remote.NewScanner(cat, sys, goos, log)}
}

// Name implements Checker.
func (c *RemoteAccess) Name() string { return "remote-access" }

// Rule implements Checker.
func (c *RemoteAccess) Rule() protocol.RuleID { return protocol.Rule10_9 }

// Check implements Checker.
func (c *RemoteAccess) Check(ctx context.Context) Result {
	res := Result{Check: c.Name(), Rule: c.Rule()}
	rep, err := c.scanner.Scan(ctx)
	if err != nil {
		res.Reason, res.Cause = i18n.Key("probe.unchecked.processes"), err
		if errors.Is(err, context.DeadlineExceeded) {
			res.Reason = i18n.Key("probe.unchecked.timeout")
		}
		return res.finish()
	}
	// One finding per tool, however many of its processes run: the span
	// lasts while any of them does.
	byTool := map[string]*Finding{}
	for _, m := range rep.Processes {
		if c.cfg.allowed(m.Tool) {
			continue
		}
		a := c.cfg.action(m.Tool.Category)
		if a == ActionIgnore {
			continue
		}
		f, ok := byTool[m.Tool.ID]
		if !ok {
			f = &Finding{
				Rule: c.Rule(), Subject: "process:" + m.Tool.ID,
				Key: i18n.Key("probe.remote.process"), Args: i18n.Args{"tool": m.Tool.Name, "process": m.Name},
				Detail: map[string]string{
					"tool": m.Tool.ID, "category": string(m.Tool.Category), "pid": strconv.Itoa(int(m.PID)),
					"name": m.Name, "matched_by": string(m.By),
				},
				Severity: a.severity(),
			}
			if m.Exe != "" {
				f.Detail["exe"] = m.Exe
			}
			byTool[m.Tool.ID] = f
		} else {
			f.Detail["pid"] += "," + strconv.Itoa(int(m.PID))
		}
		d := f.Detail
		if len(m.Listening) > 0 {
			d["listening"] = joinLimited(d["listening"], m.Listening)
		}
		if len(m.Established) > 0 {
			d["established"] = joinLimited(d["established"], m.Established)
			n, _ := strconv.Atoi(d["established_count"])
			d["established_count"] = strconv.Itoa(n + len(m.Established))
		}
	}
	for _, f := range byTool {
		res.Findings = append(res.Findings, *f)
	}
	for _, p := range rep.Ports {
		a, tools := ActionIgnore, []string{}
		names := []string{}
		for _, t := range p.Tools {
			if c.cfg.allowed(t) {
				continue
			}
			if ta := c.cfg.action(t.Category); ta != ActionIgnore && (a == ActionIgnore || ta == ActionViolation) {
				a = ta
			}
			tools, names = append(tools, t.ID), append(names, t.Name)
		}
		if a == ActionIgnore || len(tools) == 0 {
			continue
		}
		port := p.Proto + "/" + strconv.Itoa(int(p.Port))
		d := map[string]string{"port": port, "tools": strings.Join(tools, ",")}
		if p.PID != 0 {
			d["pid"] = strconv.Itoa(int(p.PID))
		}
		if p.Process != "" {
			d["process"] = p.Process
		}
		res.Findings = append(res.Findings, Finding{
			Rule: c.Rule(), Subject: "port:" + port,
			Key: i18n.Key("probe.remote.port"), Args: i18n.Args{"port": port, "tool": strings.Join(limit(names), ", ")},
			Detail: d, Severity: a.severity(),
		})
	}
	sortFindings(res.Findings)
	switch {
	case rep.Unreadable > 0:
		res.Reason = i18n.Key("probe.unchecked.processes_partial")
		res.ReasonArgs = i18n.Args{"count": strconv.Itoa(rep.Unreadable)}
		res.Cause = rep.UnreadableErr
	case rep.SocketsErr != nil:
		res.Reason, res.Cause = i18n.Key("probe.unchecked.sockets"), rep.SocketsErr
	}
	return res.finish()
}

// joinLimited appends xs to the comma-separated list have, keeping at
// most maxListed entries.
func joinLimited(have string, xs []string) string {
	var all []string
	if have != "" {
		all = strings.Split(have, ",")
	}
	return strings.Join(limit(append(all, xs...)), ",")
}

func limit(xs []string) []string {
	if len(xs) > maxListed {
		return xs[:maxListed]
	}
	return xs
}

func sortFindings(fs []Finding) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Subject < fs[j].Subject })
}

// RemoteSession is the rule 10.9 check that the agent's own session is not
// served to or controlled from another computer (RDP, VNC, SSH).
type RemoteSession struct {
	cfg  Config
	env  remote.Env
	root string
}

var _ Checker = (*RemoteSession)(nil)

// NewRemoteSession makes the check; env reads the agent's environment
// (os.Getenv) and root is "/" outside tests.
func NewRemoteSession(cfg Config, env remote.Env, root string) *RemoteSession {
	if env == nil {
		env = os.Getenv
	}
	return &RemoteSession{cfg: cfg, env: env, root: root}
}

// Name implements Checker.
func (c *RemoteSession) Name() string { return "remote-session" }

// Rule implements Checker.
func (c *RemoteSession) Rule() protocol.RuleID { return protocol.Rule10_9 }

// sessionCategory maps a remote session's kind to the catalogue category
// whose policy applies.
func sessionCategory(kind string) remote.Category {
	switch kind {
	case "rdp":
		return remote.CategoryRDP
	case "vnc", "screen_sharing":
		return remote.CategoryVNC
	case "ssh", "x11_forwarded":
		return remote.CategoryRemoteShell
	}
	return remote.CategoryRemoteControl
}

// Check implements Checker.
func (c *RemoteSession) Check(ctx context.Context) Result {
	res := Result{Check: c.Name(), Rule: c.Rule()}
	s, err := remote.DetectSession(ctx, c.env, c.root)
	if err != nil {
		res.Reason, res.Cause = i18n.Key("probe.unchecked.session"), err
		return res.finish()
	}
	if s.Remote {
		a := c.cfg.action(sessionCategory(s.Kind))
		if a != ActionIgnore {
			d := map[string]string{"kind": s.Kind}
			for k, v := range s.Detail {
				d[k] = v
			}
			res.Findings = append(res.Findings, Finding{
				Rule: c.Rule(), Subject: "session:" + s.Kind,
				Key: i18n.Key("probe.remote.session"), Args: i18n.Args{"kind": strings.ToUpper(s.Kind)},
				Detail: d, Severity: a.severity(),
			})
		}
	}
	return res.finish()
}
