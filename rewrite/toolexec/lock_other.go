//go:build !unix

package toolexec

import (
	"errors"
	"os"
	"time"
)

// lockFile takes an exclusive lock on path by creating it, waiting while
// another process holds it.
func lockFile(path string) (unlock func(), err error) {
	for i := 0; ; i++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) || i > 6000 {
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
