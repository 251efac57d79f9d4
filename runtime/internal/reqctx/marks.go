package reqctx

import "unsafe"

// MarkEntryJudged records that the calling goroutine's next entry-point call
// with the value at p was judged already.
func MarkEntryJudged(p unsafe.Pointer) { setEntryMark(p) }

// TakeEntryJudged reports whether the value at p was judged at its call site,
// and forgets it.
func TakeEntryJudged(p unsafe.Pointer) bool {
	if p != nil && entryMark() == p {
		setEntryMark(nil)
		return true
	}
	return false
}

// MarkQueryJudged remembers that the query at p was judged, in a slot of its own
// (files and commands have theirs): a query goes on through database/sql's
// entry point to the driver, and a driver that the build rewrote too (pgx
// behind pgx/stdlib, pgxpool over pgx) checks it again at its own call
// sites, without the application's template. IsQueryJudged tells, keeping
// the mark.
func MarkQueryJudged(p unsafe.Pointer) { setQueryMark(p) }

// IsQueryJudged reports whether the query at p was judged (see
// MarkQueryJudged), keeping the mark.
func IsQueryJudged(p unsafe.Pointer) bool { return p != nil && queryMark() == p }

// StringData returns the address of s's bytes, which marks s.
func StringData(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// QueryMark returns the calling goroutine's judged-query mark.
func QueryMark() unsafe.Pointer { return queryMark() }

// SetQueryMark sets the calling goroutine's judged-query mark: to put back
// the one QueryMark returned.
func SetQueryMark(p unsafe.Pointer) { setQueryMark(p) }

// EntryMark returns the calling goroutine's entry-point mark (see
// MarkEntryJudged); nil in a plain build, whose goroutines carry none.
// For tests, those of other packages too (so it stays exported).
func EntryMark() unsafe.Pointer { return entryMark() }
