package probe

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"kuzet.kz/kuzet/agent/probe/display"
	"kuzet.kz/kuzet/agent/probe/vm"
	"kuzet.kz/kuzet/protocol"
	"kuzet.kz/kuzet/protocol/i18n"
)

// Displays is the rule 10.11 check that no more than Config.MaxDisplays
// displays are active.
type Displays struct {
	cfg   Config
	count func(ctx context.Context) (int, error)
}

var _ Checker = (*Displays)(nil)

// NewDisplays makes the check of the displays of the agent's session.
func NewDisplays(cfg Config) *Displays { return &Displays{cfg: cfg, count: display.Count} }

// Name implements Checker.
func (c *Displays) Name() string { return "displays" }

// Rule implements Checker.
func (c *Displays) Rule() protocol.RuleID { return protocol.Rule10_11 }

// Check implements Checker.
func (c *Displays) Check(ctx context.Context) Result {
	res := Result{Check: c.Name(), Rule: c.Rule()}
	n, err := c.count(ctx)
	if err != nil {
		res.Reason, res.Cause = i18n.Key("probe.unchecked.no_display"), err
		if errors.Is(err, display.ErrUnsupported) {
			res.Reason = i18n.Key("probe.unchecked.display_unsupported")
		}
		return res.finish()
	}
	if n > c.cfg.MaxDisplays {
		res.Findings = []Finding{{
			Rule: c.Rule(), Subject: "displays",
			Key:      i18n.Key("probe.displays.many"),
			Args:     i18n.Args{"count": strconv.Itoa(n), "max": strconv.Itoa(c.cfg.MaxDisplays)},
			Detail:   map[string]string{"count": strconv.Itoa(n), "max": strconv.Itoa(c.cfg.MaxDisplays)},
			Severity: protocol.SeverityViolation,
		}}
	}
	return res.finish()
}

// VirtualMachine is the rule 10.11 check that the agent does not run in a
// virtual machine. What a VM is (violation, suspected, ignored) is
// Config.VirtualMachine.
type VirtualMachine struct {
	cfg    Config
	root   string
	detect func(ctx context.Context, root string) (vm.Report, error)
}

var _ Checker = (*VirtualMachine)(nil)

// NewVirtualMachine makes the check; root is "/" outside tests.
func NewVirtualMachine(cfg Config, root string) *VirtualMachine {
	return &VirtualMachine{cfg: cfg, root: root, detect: vm.Detect}
}

func (c *VirtualMachine) slow() {}

// Name implements Checker.
func (c *VirtualMachine) Name() string { return "virtual-machine" }

// Rule implements Checker.
func (c *VirtualMachine) Rule() protocol.RuleID { return protocol.Rule10_11 }

// Check implements Checker.
func (c *VirtualMachine) Check(ctx context.Context) Result {
	res := Result{Check: c.Name(), Rule: c.Rule()}
	if c.cfg.VirtualMachine == ActionIgnore {
		return res.finish()
	}
	rep, err := c.detect(ctx, c.root)
	if err != nil {
		res.Reason, res.Cause = i18n.Key("probe.unchecked.vm"), err
		return res.finish()
	}
	if rep.VirtualMachine() {
		d := map[string]string{}
		for k, v := range rep.Facts {
			d[k] = v
		}
		var srcs []string
		for _, s := range rep.Signals {
			srcs = append(srcs, s.Source+"="+s.Value)
		}
		d["signals"] = strings.Join(srcs, "; ")
		res.Findings = []Finding{{
			Rule: c.Rule(), Subject: "virtual-machine",
			Key: i18n.Key("probe.vm.found"), Args: i18n.Args{"hypervisor": rep.Hypervisor()},
			Detail: d, Severity: c.cfg.VirtualMachine.severity(),
		}}
	}
	return res.finish()
}
