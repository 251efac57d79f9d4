package callsite

// Sites the build reports without rewriting them: calls an entry point
// judges (covered_by, interface join points), and calls it cannot cover.

import (
	"go/token"
	"go/types"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// notCovered reports a reference to s that the rewrite could not handle.
// The build refuses the package; diff lists the site.
func (fr *fileRewriter) notCovered(pos token.Pos, s *spec.Call, err error) {
	p := fr.pkg.Fset.Position(pos)
	fr.sites = append(fr.sites, SiteReport{File: p.Filename, Line: p.Line, Column: p.Column,
		Sink: s.Key(), Family: s.Family, Mechanism: MechanismNone, Reason: err.Error()})
}

// coveredByEntry reports a call that an entry point of the standard
// library judges, when the spec says so: a call's covered_by, or an
// interface join point that fn, a method of an interface, matches.
func (fr *fileRewriter) coveredByEntry(pos token.Pos, fn *types.Func, s *spec.Call) {
	var family, entry string
	if s != nil {
		family, entry = s.Family, s.Entry
	} else if family = fr.spec.InterfaceFamily(fn); family != "" {
		entry = fr.spec.EntrySummary(family)
	}
	if entry == "" {
		return
	}
	p := fr.pkg.Fset.Position(pos)
	fr.sites = append(fr.sites, SiteReport{File: p.Filename, Line: p.Line, Column: p.Column,
		Sink: spec.KeyOf(fn), Family: family, Hook: entry, Mechanism: MechanismEntry})
}
