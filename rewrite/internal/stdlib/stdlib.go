// Package stdlib tells the packages of the standard library from the
// others.
package stdlib

import (
	"os"
	"path/filepath"
)

// IsPackage reports whether an import path names a package of the standard
// library of the Go installation at goroot: its source directory is there.
// Whether the path has a dot says nothing: `go mod init myapp` makes a
// module whose packages have none.
func IsPackage(goroot, path string) bool {
	if path == "main" || path == "command-line-arguments" {
		return false
	}
	st, err := os.Stat(filepath.Join(goroot, "src", filepath.FromSlash(path)))
	return err == nil && st.IsDir()
}
