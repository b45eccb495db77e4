//go:build linux

package remote

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fastName reads /proc/<pid>/comm in three system calls (os.ReadFile
// takes five), which is most of a scan's cost with hundreds of processes.
// It gives up (false) on any error: gopsutil then reads the name and
// reports the error. A name the kernel cut to 15 characters is returned
// as it is: Catalogue.Match matches such a name by prefix, and the
// executable path and command line by their full names.
func fastName(pid int32) (string, bool) {
	fd, err := unix.Open("/proc/"+strconv.Itoa(int(pid))+"/comm", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	var buf [64]byte
	n, err := unix.Read(fd, buf[:])
	if err != nil || n <= 0 {
		return "", false
	}
	name := strings.TrimSuffix(string(buf[:n]), "\n")
	if name == "" {
		return "", false
	}
	return name, true
}
