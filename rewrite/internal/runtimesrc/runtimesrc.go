// Package runtimesrc unpacks the runtime's source, which the tool carries
// embedded, into the tool's cache directory as a module of its own, where
// the go command builds it for each build configuration.
package runtimesrc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

// runtimeGoVersion is the go line of the module the runtime is built in: the
// oldest Go the runtime compiles with.
const runtimeGoVersion = "1.22"

// CacheDir is where the tool keeps the unpacked runtime and the lists of
// runtime archives per build configuration.
func CacheDir() (string, error) {
	d := os.Getenv("RASP_CACHE")
	if d == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory (set RASP_CACHE): %w", err)
		}
		d = filepath.Join(base, "rasp-instrument")
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("creating cache directory: %w", err)
	}
	return d, nil
}

// hash is a hash of the embedded runtime source.
func hash() string {
	h := sha256.New()
	_ = fs.WalkDir(raspinstrument.RuntimeSource, "runtime", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isRuntimeFile(p) {
			return err
		}
		data, err := raspinstrument.RuntimeSource.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(data))
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

func isRuntimeFile(p string) bool {
	if !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".s")) || strings.HasSuffix(p, "_test.go") {
		return false
	}
	for _, seg := range strings.Split(path.Dir(p), "/") {
		if seg == "testdata" {
			return false
		}
	}
	return true
}

// Unpack writes the runtime's source, as a module of its own, under
// dir, once per runtime version.
func Unpack(dir string) (string, error) {
	mod := filepath.Join(dir, "src-"+hash()[:16])
	if _, err := os.Stat(filepath.Join(mod, "go.mod")); err == nil {
		return mod, nil
	}
	tmp, err := os.MkdirTemp(dir, "src-tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	gomod := fmt.Sprintf("module %s\n\ngo %s\n", raspinstrument.ModulePath, runtimeGoVersion)
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", err
	}
	err = fs.WalkDir(raspinstrument.RuntimeSource, "runtime", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isRuntimeFile(p) {
			return err
		}
		data, err := raspinstrument.RuntimeSource.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp, mod); err != nil {
		if _, statErr := os.Stat(filepath.Join(mod, "go.mod")); statErr == nil {
			return mod, nil // another process won the race
		}
		return "", err
	}
	return mod, nil
}
