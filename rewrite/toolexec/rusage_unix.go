//go:build unix

package toolexec

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// selfMaxRSS returns the peak resident set size of this process in KiB, or
// 0 when it cannot be read. On Linux it reads VmHWM: getrusage's maxrss
// keeps the high-water mark of the go command's image that this process
// replaced by exec.
func selfMaxRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range bytes.Split(b, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
				n, _ := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
				return n
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss)
}

// cpuSeconds returns the user and system time of this process and of its
// children that have ended (the real tool it ran), in seconds.
func cpuSeconds() (self, children float64) {
	sec := func(who int) float64 {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) != nil {
			return 0
		}
		return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	return sec(syscall.RUSAGE_SELF), sec(syscall.RUSAGE_CHILDREN)
}
