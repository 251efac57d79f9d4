package pathguard

import "runtime"

// This file exports, for the package's tests, names that the runtime's own
// code does not need exported.

// SetWorkingDir replaces the cached working directory used to make
// relative paths absolute; an empty dir makes the next check read
// os.Getwd again.
func SetWorkingDir(dir string) {
	if dir == "" {
		cwd.Store(nil)
		return
	}
	cwd.Store(&dir)
}

// CheckPrefix is Check with the static directory prefix given explicitly
// (see checkPrefix).
func CheckPrefix(prefix, p string, dyn []Span, bases []string) (Finding, bool) {
	return checkPrefix(prefix, p, dyn, bases, runtime.GOOS == "windows")
}

// CheckOS is Check for the operating system goos ("windows" makes
// backslashes separators): CheckOSLink without noFollow.
func CheckOS(p string, dyn []Span, bases []string, goos string) (Finding, bool) {
	return check(p, dyn, bases, goos == "windows", false)
}

// Decode is what AppendDecode makes of s for Windows: every encoding
// undone and backslashes turned into '/'. It returns s itself when
// nothing changes.
func Decode(s string) string {
	if !needsDecodeStr(s) {
		return s
	}
	b := decode([]byte(s), true)
	return string(b)
}
