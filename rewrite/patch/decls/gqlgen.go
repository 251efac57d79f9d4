//go:build rasp_decls

// Declarations added to package github.com/99designs/gqlgen/graphql/executor:
// every operation an executor dispatches gives its fields' arguments (by
// path, written in the query or passed as variables) and its variables as
// inputs of the request that carries it.

package executor

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_maxSelections bounds the fields, fragments and inline fragments
// one operation's walk visits; __rasp_maxNesting the depth of selection
// sets (fragment spreads included) it enters.
const (
	__rasp_maxSelections = 1024
	__rasp_maxNesting    = 32
)

// __rasp_operation tells the runtime of an operation about to be
// dispatched; the runtime walks it only when a detector asks for the
// request's inputs.
func __rasp_operation(ctx context.Context, oc *graphql.OperationContext) {
	if oc == nil || oc.Operation == nil {
		return
	}
	__rasp_httphook.GraphQL(ctx, oc.Variables, func(add func(string, any) bool) {
		budget := __rasp_maxSelections
		__rasp_selections(oc, oc.Operation.SelectionSet, "", 0, &budget, add)
	})
}

// __rasp_selections adds the arguments of the fields of set, and of their
// selections, named by the path of field names from the operation's root
// (aliases aside: the path the resolvers see). It reports whether to go on.
func __rasp_selections(oc *graphql.OperationContext, set ast.SelectionSet, prefix string, depth int, budget *int, add func(string, any) bool) bool {
	if depth > __rasp_maxNesting {
		return true
	}
	for _, s := range set {
		if *budget--; *budget < 0 {
			return false
		}
		switch s := s.(type) {
		case *ast.Field:
			if s == nil || len(s.Arguments) == 0 && len(s.SelectionSet) == 0 {
				continue
			}
			p := s.Name
			if prefix != "" {
				p = prefix + "." + s.Name
			}
			for _, a := range s.Arguments {
				if a == nil || a.Value == nil {
					continue
				}
				v, err := a.Value.Value(oc.Variables)
				if err != nil {
					continue
				}
				if !add(p+"."+a.Name, v) {
					return false
				}
			}
			if !__rasp_selections(oc, s.SelectionSet, p, depth+1, budget, add) {
				return false
			}
		case *ast.InlineFragment:
			if s != nil && !__rasp_selections(oc, s.SelectionSet, prefix, depth+1, budget, add) {
				return false
			}
		case *ast.FragmentSpread:
			if s == nil {
				continue
			}
			def := s.Definition
			if def == nil && oc.Doc != nil {
				def = oc.Doc.Fragments.ForName(s.Name)
			}
			if def != nil && !__rasp_selections(oc, def.SelectionSet, prefix, depth+1, budget, add) {
				return false
			}
		}
	}
	return true
}
