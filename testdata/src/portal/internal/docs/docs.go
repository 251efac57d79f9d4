// Package docs reads documents from a directory, two calls away from the
// file sink: the call site sees a parameter.
package docs

import "os"

// Read returns the document name under dir (vulnerable: name may climb).
func Read(dir, name string) ([]byte, error) {
	return load(dir + "/" + name)
}

func load(path string) ([]byte, error) {
	return os.ReadFile(path)
}
