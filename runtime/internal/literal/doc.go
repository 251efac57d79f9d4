// Package literal tells whether a string's bytes are the program's own: a
// string constant written in the program or in any package it links
// (a literal, a struct field or a slice element set from one, a substring
// of one such as strings.Fields("git log")[0]), or embedded with go:embed.
//
// The compiler places every string constant in the executable's read-only
// data; a value read at run time (from a request, a file, a database, the
// environment, another process) or built at run time (a concatenation, a
// conversion from bytes) lives in the heap or on a stack. A string whose
// data lies in the executable's own read-only mappings was written by a
// programmer; one whose data lies anywhere else was not.
//
// The executable's mappings are read once from /proc/self/maps. Where they
// cannot be read (not Linux, no /proc), Is reports false for every string:
// provenance is then unknown and the detectors fall back on what the build
// and the request tell.
package literal
