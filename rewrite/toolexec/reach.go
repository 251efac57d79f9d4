package toolexec

import (
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"

	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
)

// mayReachSinks is the cheap test, before type-checking, of whether a
// package can reference a sink. A function sink needs its package's import
// path in a file. A method sink needs ".Name" in a file, and a value of the
// receiver's type, which the package can only hold if it is the type's
// package, imports it, or one of its imports mentions that package in its
// export data (a function result, a field, a variable of that type).
func mayReachSinks(ip string, srcs [][]byte, cfg *importCfg, sp *spec.Spec) bool {
	var methodPkgs []string
	for _, src := range srcs {
		direct, pkgs := sp.Mentions(src)
		if direct {
			return true
		}
		methodPkgs = append(methodPkgs, pkgs...)
	}
	if len(methodPkgs) == 0 {
		return false
	}
	for _, p := range methodPkgs {
		if _, ok := cfg.PackageFile[p]; ok || p == ip {
			return true
		}
	}
	needles := make([][]byte, len(methodPkgs))
	for i, p := range methodPkgs {
		needles[i] = []byte(p)
	}
	for _, archive := range cfg.PackageFile {
		def, err := readPkgDef(archive)
		if err != nil {
			return true // cannot tell: type-check
		}
		for _, n := range needles {
			if bytes.Contains(def, n) {
				return true
			}
		}
	}
	return false
}

// readPkgDef returns the first member of a Go archive, __.PKGDEF, which
// holds the package's export data.
func readPkgDef(archive string) ([]byte, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var hdr [8 + 60]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return nil, err
	}
	if string(hdr[:8]) != "!<arch>\n" {
		return nil, errNotArchive
	}
	size, err := strconv.Atoi(strings.TrimSpace(string(hdr[8+48 : 8+58])))
	if err != nil || size < 0 || size > 1<<30 {
		return nil, errNotArchive
	}
	buf := make([]byte, size)
	_, err = io.ReadFull(f, buf)
	return buf, err
}

type archiveError string

func (e archiveError) Error() string { return string(e) }

const errNotArchive = archiveError("not a Go archive")
