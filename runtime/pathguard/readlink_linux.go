//go:build linux

package pathguard

import (
	"syscall"
	"unsafe"
)

// atFDCWD is AT_FDCWD: a relative path is taken from the working directory.
var atFDCWD = -100

// readLink reads the target of the symbolic link at path (which must end
// with a NUL byte, not counted by the kernel) into buf. It returns the
// target's length and what the file is: linkIs when it is a link,
// linkNot when it exists and is not one, linkMissing when it or a
// directory before it does not exist, linkUnknown otherwise (permission,
// target longer than buf). It does not allocate.
func readLink(path []byte, buf []byte) (int, linkState) {
	n, _, e := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(&path[0])),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	switch e {
	case 0:
		if int(n) >= len(buf) {
			return 0, linkUnknown // may be truncated
		}
		return int(n), linkIs
	case syscall.EINVAL:
		return 0, linkNot
	case syscall.ENOENT, syscall.ENOTDIR:
		return 0, linkMissing
	}
	return 0, linkUnknown
}
