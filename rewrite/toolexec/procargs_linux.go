package toolexec

import (
	"os"
	"strconv"
	"strings"
)

// processArgs returns the argv of process pid and its parent's pid, read
// from /proc; nil when they cannot be read.
func processArgs(pid int) (argv []string, ppid int) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, 0
	}
	argv = strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return argv, 0
	}
	// pid (comm) state ppid ...; comm may contain spaces and parentheses.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return argv, 0
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 2 {
		return argv, 0
	}
	ppid, _ = strconv.Atoi(fields[1])
	return argv, ppid
}
