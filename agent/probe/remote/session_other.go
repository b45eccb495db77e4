//go:build !linux && !windows

package remote

import (
	"context"
	"fmt"
	"strings"

	"github.com/shirou/gopsutil/v4/process"
)

// DetectSession finds whether the Mac is being watched or controlled
// through Screen Sharing or Apple Remote Desktop: screensharingd runs only
// while a viewer is connected. SSH sessions are found by their variables.
// root is unused here.
func DetectSession(ctx context.Context, env Env, _ string) (Session, error) {
	if s, ok := sessionFromEnv(env); ok {
		return s, nil
	}
	ps, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return Session{}, fmt.Errorf("list processes: %w", err)
	}
	for _, p := range ps {
		name, err := p.NameWithContext(ctx)
		if err != nil {
			continue
		}
		if strings.EqualFold(name, "screensharingd") {
			return Session{Remote: true, Kind: "screen_sharing", Detail: map[string]string{"server": name}}, nil
		}
	}
	return Session{}, nil
}
