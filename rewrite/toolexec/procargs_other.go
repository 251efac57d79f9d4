//go:build !linux && !darwin

package toolexec

// processArgs cannot read another process's argv on this platform: the
// go command's flags come from GOFLAGS and the compiler's arguments only.
func processArgs(pid int) (argv []string, ppid int) { return nil, 0 }
