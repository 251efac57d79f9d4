// Package span declares the one byte-range type that the detectors
// (sqli, shell, pathguard) and the runtime's taint tracking share: the
// dynamic parts of a value, and the offending part a detector reports.
package span

// Span is a half-open byte range [Start, End) of a value.
type Span struct{ Start, End int }

// Overlaps reports whether the span overlaps [start, end), or holds start
// when that range is empty.
func (sp Span) Overlaps(start, end int) bool {
	return sp.Start < end && start < sp.End || end <= start && sp.Start <= start && start < sp.End
}
