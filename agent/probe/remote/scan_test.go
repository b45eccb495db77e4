package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"kuzet.kz/kuzet/agent/probe/probetest"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// faultProc is a process whose reads fail as told: the faults a real
// system produces only by chance (a process exiting between two reads) or
// not at all for root (permission denied).
type faultProc struct {
	pid          int32
	name, exe    string
	nameErr      error
	exeErr       error
	nameCalls    int
	nameErrAfter int // fail Name from this call on (0: per nameErr)
	mu           sync.Mutex
}

func (p *faultProc) PID() int32 { return p.pid }
func (p *faultProc) Name(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nameCalls++
	if p.nameErrAfter > 0 && p.nameCalls >= p.nameErrAfter {
		return "", fmt.Errorf("open /proc/%d/status: %w", p.pid, fs.ErrNotExist)
	}
	return p.name, p.nameErr
}
func (p *faultProc) Exe(context.Context) (string, error)    { return p.exe, p.exeErr }
func (p *faultProc) Args(context.Context) ([]string, error) { return []string{p.exe}, nil }

type faultSystem struct {
	procs    []Process
	procsErr error
	socks    []Socket
	socksErr error
}

func (s faultSystem) Processes(context.Context) ([]Process, error) { return s.procs, s.procsErr }

// Listening gives no owners, as the Linux table does.
func (s faultSystem) Listening(context.Context) ([]Socket, error) {
	var out []Socket
	for _, so := range s.socks {
		if so.Listening {
			so.PID = 0
			out = append(out, so)
		}
	}
	return out, s.socksErr
}

func (s faultSystem) Connections(_ context.Context, pid int32) ([]Socket, error) {
	var out []Socket
	for _, so := range s.socks {
		if so.PID == pid {
			out = append(out, so)
		}
	}
	return out, nil
}

func TestScanFaults(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	denied := fmt.Errorf("open /proc/1/status: %w", fs.ErrPermission)
	cases := []struct {
		name           string
		sys            faultSystem
		wantErr        error
		wantTools      []string
		wantUnreadable int
		wantGone       int
		wantSocketsErr bool
	}{
		{
			name:    "process list unreadable",
			sys:     faultSystem{procsErr: fs.ErrPermission},
			wantErr: ErrProcessList,
		},
		{
			name:           "permission denied reading a process name",
			sys:            faultSystem{procs: []Process{&faultProc{pid: 10, name: "anydesk"}, &faultProc{pid: 11, nameErr: denied}}},
			wantTools:      []string{"anydesk"},
			wantUnreadable: 1,
		},
		{
			name:      "permission denied reading the executable still matches by name",
			sys:       faultSystem{procs: []Process{&faultProc{pid: 12, name: "rustdesk", exeErr: fmt.Errorf("readlink: %w", fs.ErrPermission)}}},
			wantTools: []string{"rustdesk"},
		},
		{
			name:     "process exits before its name is read",
			sys:      faultSystem{procs: []Process{&faultProc{pid: 13, nameErr: fmt.Errorf("status: %w", syscall.ESRCH)}}},
			wantGone: 1,
		},
		{
			name: "process exits between its name and its executable",
			sys: faultSystem{procs: []Process{&faultProc{pid: 14, name: "teamviewer",
				exeErr: fmt.Errorf("readlink: %w", fs.ErrNotExist), nameErrAfter: 2}}},
			wantGone: 1,
		},
		{
			name:           "socket table unreadable",
			sys:            faultSystem{procs: []Process{&faultProc{pid: 15, name: "bash"}}, socksErr: fs.ErrPermission},
			wantSocketsErr: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewScanner(cat, tc.sys, "linux", discard())
			rep, err := s.Scan(context.Background())
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Scan error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var tools []string
			for _, m := range rep.Processes {
				tools = append(tools, m.Tool.ID)
			}
			if fmt.Sprint(tools) != fmt.Sprint(tc.wantTools) {
				t.Errorf("tools = %v, want %v", tools, tc.wantTools)
			}
			if rep.Unreadable != tc.wantUnreadable || rep.Gone != tc.wantGone {
				t.Errorf("unreadable %d gone %d, want %d %d", rep.Unreadable, rep.Gone, tc.wantUnreadable, tc.wantGone)
			}
			if (rep.SocketsErr != nil) != tc.wantSocketsErr {
				t.Errorf("SocketsErr = %v", rep.SocketsErr)
			}
			if rep.Complete() != (tc.wantUnreadable == 0 && !tc.wantSocketsErr) {
				t.Errorf("Complete() = %v", rep.Complete())
			}
		})
	}
}

func TestScanPortsAndConnections(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	sys := faultSystem{
		procs: []Process{&faultProc{pid: 20, name: "x11vnc"}, &faultProc{pid: 21, name: "nginx"}},
		socks: []Socket{
			{Proto: "tcp", LocalPort: 5900, Listening: true, PID: 20},
			{Proto: "tcp", LocalPort: 5900, RemoteAddr: "203.0.113.7", RemotePort: 51000, Established: true, PID: 20},
			{Proto: "tcp", LocalPort: 80, Listening: true, PID: 21},
			{Proto: "tcp", LocalPort: 3389, Listening: true}, // owner unknown
		},
	}
	rep, err := NewScanner(cat, sys, "linux", discard()).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Processes) != 1 || rep.Processes[0].Tool.ID != "x11vnc" {
		t.Fatalf("processes = %+v", rep.Processes)
	}
	m := rep.Processes[0]
	if fmt.Sprint(m.Listening) != "[tcp/5900]" || fmt.Sprint(m.Established) != "[203.0.113.7:51000]" {
		t.Errorf("x11vnc listening %v established %v", m.Listening, m.Established)
	}
	if len(rep.Ports) != 2 || rep.Ports[0].Port != 3389 || rep.Ports[1].Port != 5900 || rep.Ports[1].Process != "x11vnc" {
		t.Errorf("ports = %+v", rep.Ports)
	}
}

// TestScanLive runs real processes under catalogued names and finds them
// through gopsutil, and finds them gone once they exit.
func TestScanLive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("live process test runs on Linux")
	}
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	s := NewScanner(cat, SystemSource{}, runtime.GOOS, discard())
	cmd, kill := probetest.Process(t, "rustdesk")
	rep, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !hasPID(rep, "rustdesk", int32(cmd.Process.Pid)) {
		t.Fatalf("rustdesk (pid %d) not found in %+v", cmd.Process.Pid, rep.Processes)
	}
	if rep.Unreadable != 0 {
		t.Errorf("as root every process is readable, got %d unreadable: %v", rep.Unreadable, rep.UnreadableErr)
	}
	kill()
	rep, err = s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if hasPID(rep, "rustdesk", int32(cmd.Process.Pid)) {
		t.Fatal("rustdesk still reported after it exited")
	}
}

func hasPID(rep Report, tool string, pid int32) bool {
	for _, m := range rep.Processes {
		if m.Tool.ID == tool && m.PID == pid {
			return true
		}
	}
	return false
}

// TestScanChurn scans while processes start and exit all the time: a
// process that exits mid-scan must be counted as gone, never as
// unreadable, and nothing may fail.
func TestScanChurn(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("live process test runs on Linux")
	}
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	s := NewScanner(cat, SystemSource{}, runtime.GOOS, discard())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			_ = exec.Command("/bin/true").Run()
		}
	}()
	defer wg.Wait()
	scans, gone := 0, 0
	for ctx.Err() == nil {
		rep, err := s.Scan(context.Background())
		if err != nil {
			t.Fatalf("scan %d: %v", scans, err)
		}
		if rep.Unreadable != 0 {
			t.Fatalf("scan %d: %d processes unreadable (%v); an exited process must count as gone", scans, rep.Unreadable, rep.UnreadableErr)
		}
		scans++
		gone += rep.Gone
	}
	t.Logf("%d scans, %d processes exited mid-scan", scans, gone)
}

func TestParseProcNet(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:170C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
   1: 0100007F:170C 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 31338 1 0000000000000000 20 4 30 10 -1
`
	socks, err := ParseProcNet("tcp", []byte(tcp))
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 1 || socks[0].LocalPort != 5900 || socks[0].LocalAddr != "127.0.0.1" || !socks[0].Listening {
		t.Fatalf("tcp = %+v, want one listener on 127.0.0.1:5900", socks)
	}
	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0D3D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
`
	socks, err = ParseProcNet("tcp", []byte(tcp6))
	if err != nil || len(socks) != 1 || socks[0].LocalAddr != "::1" || socks[0].LocalPort != 3389 {
		t.Fatalf("tcp6 = %+v %v, want ::1 port 3389", socks, err)
	}
	udp := `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:1F40 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 5555 2 0000000000000000 0
`
	socks, err = ParseProcNet("udp", []byte(udp))
	if err != nil || len(socks) != 1 || socks[0].Proto != "udp" || socks[0].LocalPort != 8000 {
		t.Fatalf("udp = %+v %v", socks, err)
	}
	for _, bad := range []string{"", "garbage", "  sl  local_address\n 0: zz:0000 00000000:0000 0A a b c d e f g\n", "  sl  local_address\n 0: 0100007F:170C\n"} {
		if _, err := ParseProcNet("tcp", []byte(bad)); !errors.Is(err, ErrProcNet) {
			t.Errorf("ParseProcNet(%q) = %v, want ErrProcNet", bad, err)
		}
	}
}

func FuzzParseProcNet(f *testing.F) {
	f.Add([]byte("  sl  local_address rem_address   st\n   0: 0100007F:170C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		socks, err := ParseProcNet("tcp", data)
		if err != nil {
			return
		}
		for _, s := range socks {
			if !s.Listening || s.LocalPort > 65535 {
				t.Fatalf("bad socket %+v", s)
			}
		}
	})
}
