// Package proc reads a Linux process's memory and CPU time from /proc, for
// the benchmark and the end-to-end tests that measure real processes.
package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of CPU times in /proc/PID/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// Memory returns a size field of /proc/PID/status ("VmRSS", "VmHWM"), in bytes.
func Memory(pid int, field string) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s %q: %w", field, rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// Stat is a process's parent and CPU time.
type Stat struct {
	PPID     int
	CPU      time.Duration // user and system time of the process itself
	Children time.Duration // of its children that exited and were waited for
}

// Read reads /proc/PID/stat.
func Read(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	// The command name, in parentheses, may hold spaces: count from after it.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 15 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	n := func(i int) int64 { v, _ := strconv.ParseInt(fields[i], 10, 64); return v }
	return Stat{
		PPID:     int(n(1)),
		CPU:      time.Duration(n(11)+n(12)) * clockTick,
		Children: time.Duration(n(13)+n(14)) * clockTick,
	}, nil
}

// TreeCPU is the CPU time of a process, of its living children and of
// those that exited: what a server made of processes (PostgreSQL) has used.
func TreeCPU(pid int) (time.Duration, error) {
	root, err := Read(pid)
	if err != nil {
		return 0, err
	}
	total := root.CPU + root.Children
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		if st, err := Read(child); err == nil && st.PPID == pid {
			total += st.CPU
		}
	}
	return total, nil
}
