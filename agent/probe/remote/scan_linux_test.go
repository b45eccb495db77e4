package remote

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"kuzet.kz/kuzet/agent/probe/probetest"
)

// TestScanAsUnprivilegedUser runs a scan as user nobody, who may not read
// root's executables (a real permission denied): processes are still
// found by name and nothing is counted unreadable.
func TestScanAsUnprivilegedUser(t *testing.T) {
	if os.Getenv("KUZET_SCAN_CHILD") == "1" {
		scanChild()
		return
	}
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs Linux and root to start a process as nobody")
	}
	cmd, _ := probetest.Process(t, "teamviewer")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// t.TempDir's parent is private to root; nobody must reach the binary.
	dir, err := os.MkdirTemp("", "scan")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := dir + "/remote.test"
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(bin, "-test.run=^TestScanAsUnprivilegedUser$")
	child.Env = append(os.Environ(), "KUZET_SCAN_CHILD=1")
	child.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := child.CombinedOutput()
	if err != nil {
		t.Fatalf("scan as nobody failed: %v\n%s", err, out)
	}
	want := fmt.Sprintf("teamviewer %d exe=\"\"", cmd.Process.Pid)
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "unreadable=0") {
		t.Fatalf("scan as nobody did not find %q:\n%s", want, out)
	}
}

func scanChild() {
	cat, err := Load()
	if err != nil {
		fmt.Println("load:", err)
		os.Exit(1)
	}
	rep, err := NewScanner(cat, SystemSource{}, "linux", discard()).Scan(context.Background())
	if err != nil {
		fmt.Println("scan:", err)
		os.Exit(1)
	}
	for _, m := range rep.Processes {
		fmt.Printf("%s %d exe=%q\n", m.Tool.ID, m.PID, m.Exe)
	}
	fmt.Printf("unreadable=%d\n", rep.Unreadable)
}
