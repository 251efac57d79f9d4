//go:build rasp_std

package stdhook

import "github.com/rasp-instrument/rasp-instrument/runtime/internal/events"

// The tool builds the runtime with the tag rasp_std, and the standard
// library with the entry-point hooks these setters install (see
// sinks.yaml and rewrite/patch/decls). The setters are declared in
// pulls_std.go, which go generate ./rewrite/patch writes from the
// declarations.

func init() {
	setSQLHook(EntrySQL)
	setFileHooks(EntryOpen, entryStart)
	setExecHook(entryStart)
	events.OnExit = addExitHook
}

// Hooked tells whether the standard library's entry points are hooked.
const Hooked = true
