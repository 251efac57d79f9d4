package rasp

import (
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
)

// Site describes one rewritten call site (see callsite.Site): the build
// declares one per rewritten call, with NewSite, and passes it to the
// hook first. It is a type of this package, not an alias: a hook is a
// function of the runtime whose first parameter is a *rasp.Site.
type Site callsite.Site

// NewSite registers a rewritten call site. Generated code calls it once per
// site, at package initialisation.
func NewSite(pkg, file string, line, col int, sink string, family event.Family, static bool, tmpls ...Tmpl) *Site {
	return (*Site)(callsite.New(pkg, file, line, col, sink, family, static, tmpls...))
}

// ErrBlocked is matched, through errors.Is, by every error a hook returns
// when it refuses a call.
var ErrBlocked = callsite.ErrBlocked

// BlockedError is the error a hook returns when it refuses a call; its
// Site is the call site's.
type BlockedError = callsite.BlockedError
