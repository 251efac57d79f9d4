// Package detect adapts the detectors (packages sqli, shell, pathguard) to
// the calls the hooks judge: it finds the dynamic parts of a value, from
// the build's template where there is one, else from the request's inputs
// (the one place that decides between them: dynamicParts), runs the
// detector on them, and names the input of a finding.
//
// The detectors receive the call site, which carries the build's templates
// (Site.Tmpls), and the index among the sink's parameters of the value they
// judge, so they can tell the bytes the programmer wrote from the bytes that
// came from variables.
package detect
