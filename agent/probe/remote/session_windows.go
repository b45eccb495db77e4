//go:build windows

package remote

import (
	"context"

	"golang.org/x/sys/windows"
)

// GetSystemMetrics indexes (winuser.h).
const (
	smRemoteSession = 0x1000
	smRemoteControl = 0x2001
)

// DetectSession finds whether the agent runs in a Remote Desktop session
// (SM_REMOTESESSION) or a session shadowed by another user
// (SM_REMOTECONTROL), or an SSH session. root is unused on Windows.
func DetectSession(_ context.Context, env Env, _ string) (Session, error) {
	user32 := windows.NewLazySystemDLL("user32.dll")
	gsm := user32.NewProc("GetSystemMetrics")
	if err := gsm.Find(); err != nil {
		return Session{}, err
	}
	if r, _, _ := gsm.Call(smRemoteSession); r != 0 {
		return Session{Remote: true, Kind: "rdp", Detail: map[string]string{"metric": "SM_REMOTESESSION"}}, nil
	}
	if r, _, _ := gsm.Call(smRemoteControl); r != 0 {
		return Session{Remote: true, Kind: "remote_control", Detail: map[string]string{"metric": "SM_REMOTECONTROL"}}, nil
	}
	if s, ok := sessionFromEnv(env); ok {
		return s, nil
	}
	return Session{}, nil
}
