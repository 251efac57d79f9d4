// Package callsite rewrites the type-checked files of a package so that
// every reference to a call join point of the sink spec goes through the
// runtime, with the site declared once per reference (a *raspimpl.Site,
// with the templates of its judged arguments: template.go).
//
// One file per advice: reroute.go (reroute, wrap and propagate: the call,
// function value or method expression goes to the hook), check.go (check:
// the call stays, wrapped in a generic SQL check), covered.go (sites
// reported without a rewrite: covered_by, interface join points, and
// those the build cannot cover). rewrite.go walks the file, resolves each
// reference and writes the result: splices of the original bytes that
// never add or remove a line (docs/how-it-works.md, "Line numbers stay
// right").
package callsite
