// Package manifest is what a program built with rasp-instrument says about
// its own build, in its bytes: which tool, Go release and sink spec built
// it, with which flags, and what was instrumented. The build writes it and
// `rasp-instrument inspect` reads it back from the executable, without
// running it.
//
// A manifest is made of records: one for the link (the program as a whole,
// set into a runtime variable with the linker's -X flag) and one for each
// instrumented package (a string its generated code hands to the runtime
// at initialisation, so it stays linked). Each record is a marker followed
// by one JSON object. They are plain data in the executable's read-only
// section, so stripping the symbol table and DWARF (-ldflags=-s -w) or the
// file paths (-trimpath) leaves them in place.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
)

// The markers that precede each record's JSON object.
const (
	linkMarker    = "rasp-instrument link record v1:"
	packageMarker = "rasp-instrument package record v1:"
)

// Link is the record of the link step.
type Link struct {
	Tool       string `json:"tool"` // always "rasp-instrument"
	Version    string `json:"version"`
	Go         string `json:"go"` // the release of the linker, e.g. go1.26.8
	Spec       string `json:"spec"`
	SpecSHA256 string `json:"spec_sha256"`
	// BuildFlags are the go command's flags that change how code
	// compiles (-race, -trimpath, -tags=...), then the linker's -s and -w
	// when it was given them.
	BuildFlags  []string `json:"build_flags"`
	EntryPoints string   `json:"entry_points"` // the standard library's, as the start banner names them
	// Exclude are the spec's exclusion patterns, Excluded the linked
	// packages they matched: built without instrumentation, on purpose.
	Exclude  []string `json:"exclude,omitempty"`
	Excluded []string `json:"excluded,omitempty"`
	// Disabled are the built-in call join points the spec removed on
	// purpose (a user's disable: list).
	Disabled []string `json:"disabled,omitempty"`
}

// Package is the record of one instrumented package.
type Package struct {
	Path  string         `json:"package"`
	Sites map[string]int `json:"sites"` // rewritten call sites per family
}

// Manifest is what an executable says about its build.
type Manifest struct {
	Link     Link      `json:"link"`
	Packages []Package `json:"packages"`
	// Sites sums the packages' sites per family.
	Sites map[string]int `json:"sites"`
}

// EncodeLink returns the link record as the string the linker writes.
func EncodeLink(l Link) (string, error) {
	l.Tool = "rasp-instrument"
	if l.BuildFlags == nil {
		l.BuildFlags = []string{}
	}
	return encode(linkMarker, l)
}

// EncodePackage returns a package's record as the string its generated
// code passes to the runtime.
func EncodePackage(p Package) (string, error) { return encode(packageMarker, p) }

func encode(marker string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return marker + string(b), nil
}

// ErrNone is returned by Read for an executable without a link record:
// one not built with rasp-instrument.
var ErrNone = errors.New("no rasp-instrument manifest")

// Read finds the records in the bytes of an executable. A package record
// appears once however many times it was linked; a marker not followed by
// a well-formed record is ignored.
func Read(exe []byte) (*Manifest, error) {
	m := &Manifest{Packages: []Package{}, Sites: map[string]int{}}
	found := false
	each(exe, linkMarker, func(dec *json.Decoder) {
		var l Link
		if dec.Decode(&l) == nil && l.Tool == "rasp-instrument" && l.SpecSHA256 != "" && !found {
			m.Link, found = l, true
		}
	})
	if !found {
		return nil, ErrNone
	}
	seen := map[string]bool{}
	each(exe, packageMarker, func(dec *json.Decoder) {
		var p Package
		if dec.Decode(&p) != nil || p.Path == "" || seen[p.Path] {
			return
		}
		seen[p.Path] = true
		m.Packages = append(m.Packages, p)
		for f, n := range p.Sites {
			m.Sites[f] += n
		}
	})
	sort.Slice(m.Packages, func(i, j int) bool { return m.Packages[i].Path < m.Packages[j].Path })
	return m, nil
}

// each calls fn with a decoder at the JSON that follows every occurrence
// of marker in b.
func each(b []byte, marker string, fn func(*json.Decoder)) {
	for {
		i := bytes.Index(b, []byte(marker))
		if i < 0 {
			return
		}
		b = b[i+len(marker):]
		if len(b) > 0 && b[0] == '{' {
			fn(json.NewDecoder(bytes.NewReader(b)))
		}
	}
}
