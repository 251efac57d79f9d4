package raspimpl

import (
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
)

// Site is a rewritten call site (see callsite.Site): the build declares one
// per rewritten call, with NewSite, and passes it to the hook first. A hook
// is a function of a runtime package whose first parameter is a *Site.
type Site = callsite.Site

// NewSite registers a rewritten call site. Generated code calls it once per
// site, at package initialisation.
func NewSite(pkg, file string, line, col int, sink string, family event.Family, static bool, tmpls ...Tmpl) *Site {
	return callsite.New(pkg, file, line, col, sink, family, static, tmpls...)
}
