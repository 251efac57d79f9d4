// Package events writes the runtime's event lines (JSON, through
// log/slog) and its log: a finding, a policy that failed to load, the
// start banner.
//
// Event delivery never blocks the call that found something: a line goes
// into a bounded queue, and one goroutine writes the queue to the
// destination (RASP_EVENTS, a file reopened when it is rotated away, else
// standard error). A full queue drops the line and counts it.
//
// Rate limiting: at most Burst events a window (a minute) for one
// rule, call site and verdict; the others are counted, and when the window
// closes a summary line (MsgSuppressed) says how many of each were left
// out. Metrics count every finding, before the limit decides.
//
// There is no ticking timer: a window closes when an event comes after its
// end, when a timer armed at its first suppression fires (one for the
// window, so a summary comes even if no other event does), when the
// program exits (Flush), or early when it holds too many keys.
package events
