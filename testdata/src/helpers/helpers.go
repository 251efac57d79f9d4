// Package helpers is a local module with a dotless path, as `go mod init
// helpers` makes it, reached by a replace directive, a go.work workspace or
// a vendor directory.
package helpers

import "os"

// Read returns the content of the named file.
func Read(name string) ([]byte, error) {
	return os.ReadFile(name)
}
