package toolexec

import (
	"fmt"
	"go/types"

	"github.com/rasp-instrument/rasp-instrument/rewrite/callsite"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// verifyHooks checks that the runtime built for this build has the hook of
// every call the rewrite rerouted.
func verifyHooks(rt runtimeArchives, results []callsite.FileResult, sp *spec.Spec) error {
	loaded := map[string]*types.Package{}
	for _, r := range results {
		for _, site := range r.Sites {
			s := sp.Lookup(site.Sink)
			if s == nil || s.HookPkg == "" {
				continue // not rewritten, or checked in place
			}
			hp := loaded[s.HookPkg]
			if hp == nil {
				var err error
				if hp, err = importArchives(rt, s.HookPkg); err != nil {
					return fmt.Errorf("%s: %s: loading hook package %s: %w", s.Pos, s.Key(), s.HookPkg, err)
				}
				loaded[s.HookPkg] = hp
			}
			if _, ok := hp.Scope().Lookup(s.Hook).(*types.Func); !ok {
				return fmt.Errorf("%s: %s: the runtime has no hook %s", s.Pos, s.Key(), s.Hook)
			}
		}
	}
	return nil
}
