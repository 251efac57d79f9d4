package toolexec

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// processArgs returns the argv of process pid and its parent's pid, read
// with sysctl (kern.procargs2, kern.proc.pid); nil when they cannot be
// read.
func processArgs(pid int) (argv []string, ppid int) {
	raw, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil || len(raw) < 4 {
		return nil, 0
	}
	// argc, the executable's path, NUL padding, then argc NUL-terminated
	// arguments (and the environment, after them).
	argc := int(binary.LittleEndian.Uint32(raw))
	rest := raw[4:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return nil, 0
	}
	rest = bytes.TrimLeft(rest[i:], "\x00")
	for len(argv) < argc && len(rest) > 0 {
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			i = len(rest)
		}
		argv = append(argv, string(rest[:i]))
		rest = rest[min(i+1, len(rest)):]
	}
	if kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid); err == nil {
		ppid = int(kp.Eproc.Ppid)
	}
	return argv, ppid
}
