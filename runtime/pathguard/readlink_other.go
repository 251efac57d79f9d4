//go:build !linux

package pathguard

import (
	"errors"
	"io/fs"
	"os"
)

// readLink is the portable readLink of readlink_linux.go: path ends with a
// NUL byte that is not part of the name. It allocates.
func readLink(path []byte, buf []byte) (int, linkState) {
	name := string(path[:len(path)-1])
	t, err := os.Readlink(name)
	if err == nil {
		if len(t) >= len(buf) {
			return 0, linkUnknown
		}
		return copy(buf, t), linkIs
	}
	if errors.Is(err, fs.ErrNotExist) {
		return 0, linkMissing
	}
	if _, serr := os.Lstat(name); serr == nil {
		return 0, linkNot
	}
	return 0, linkUnknown
}
