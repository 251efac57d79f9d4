package httphook

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// GraphQLSource is the Source of the inputs that the arguments and
// variables of a GraphQL operation give.
const GraphQLSource = "graphql"

// Bounds of what a request keeps of its GraphQL operations.
const (
	maxGraphQLOps    = 4   // operations kept, the most recent
	maxGraphQLInputs = 128 // inputs of all the kept operations
	maxGraphQLDepth  = 16  // list and object values nested deeper are skipped
)

// GraphQLArguments lists the arguments of an operation's fields: it calls
// add with each argument's path ("user.name", "createUser.input" for an
// input object, whose fields become "createUser.input.email") and its
// value (a string, a number, a bool, nil, a []any or a map[string]any, as
// a GraphQL library coerces literals and variables), stopping when add
// returns false.
type GraphQLArguments func(add func(path string, value any) bool)

// GraphQL adds the inputs of a GraphQL operation to the request that ctx
// (or else the calling goroutine) serves: each argument of its fields by
// path, with its value whether written in the query or passed as a
// variable, then each variable not already seen as an argument, named
// "$name". Source "graphql". They come before the request's own inputs, so
// that an event names the argument rather than the JSON body's
// "variables.name" or the whole "query" string.
//
// Nothing is read now: args is called, once, when a detector first asks
// for the request's inputs. The most recent 4 operations of a request are
// kept, and 128 inputs; values nested more than 16 levels deep are
// skipped; values are truncated as the request's own are. Outside a
// request (mode off, a program that serves GraphQL without net/http), or
// when the request has another attachment (a WebSocket, whose messages
// are inputs already), it does nothing. A panic fails open.
func GraphQL(ctx context.Context, variables map[string]any, args GraphQLArguments) {
	defer func() {
		if p := recover(); p != nil {
			metrics.NoteInternalError()
			metrics.CountInternalError("middleware")
			events.Logf("internal error adding a GraphQL operation: %v", p)
		}
	}()
	r := reqctx.CurrentRequest(ctx)
	if r == nil {
		return
	}
	g, ok := r.Attached().(*graphQLOps)
	if !ok {
		if r.Attached() != nil {
			return
		}
		g, ok = r.Attach(&graphQLOps{}).(*graphQLOps)
		if !ok {
			return
		}
	}
	g.add(graphQLOp{vars: variables, args: args})
	r.InputsChanged()
}

type graphQLOp struct {
	vars map[string]any
	args GraphQLArguments
	ins  []taint.Input // once read; nil: to read
}

// graphQLOps is the GraphQL operations of a request (a reqctx.Attachment
// whose inputs lead).
type graphQLOps struct {
	mu   sync.Mutex
	ops  [maxGraphQLOps]graphQLOp // a ring: ops[(next-1)%maxGraphQLOps] is the latest
	next int
	kept int
}

func (g *graphQLOps) add(op graphQLOp) {
	g.mu.Lock()
	g.ops[g.next] = op
	g.next = (g.next + 1) % maxGraphQLOps
	if g.kept < maxGraphQLOps {
		g.kept++
	}
	g.mu.Unlock()
}

// InputsLead puts the operations' inputs before the request's own (for
// reqctx.LeadingInputs).
func (g *graphQLOps) InputsLead() {}

// Refused does nothing: the HTTP request's refusal is the middleware's
// 403 (for reqctx.Attachment).
func (g *graphQLOps) Refused(*callsite.BlockedError) {}

// Inputs returns the inputs of the kept operations, the most recent first
// (for reqctx.Attachment).
func (g *graphQLOps) Inputs() []taint.Input {
	g.mu.Lock()
	defer g.mu.Unlock()
	var all []taint.Input
	for i := 0; i < g.kept && len(all) < maxGraphQLInputs; i++ {
		op := &g.ops[(g.next-1-i+2*maxGraphQLOps)%maxGraphQLOps]
		if op.ins == nil {
			op.ins = graphQLInputs(op.vars, op.args)
		}
		all = append(all, op.ins...)
	}
	if len(all) > maxGraphQLInputs {
		all = all[:maxGraphQLInputs]
	}
	return all
}

// graphQLInputs reads one operation's inputs: its arguments by path, then
// its variables by name, sorted, unless an argument had the same value.
// Never nil; an args that panics keeps what it gave before.
func graphQLInputs(vars map[string]any, args GraphQLArguments) (ins []taint.Input) {
	c := collector{ins: make([]taint.Input, 0, 4)}
	defer func() {
		if p := recover(); p != nil {
			metrics.NoteInternalError()
			metrics.CountInternalError("middleware")
			events.Logf("internal error reading the arguments of a GraphQL operation: %v", p)
			ins = c.ins
		}
	}()
	if args != nil {
		args(func(path string, v any) bool {
			c.graphQLValue(path, v, 0)
			return len(c.ins) < maxGraphQLInputs
		})
	}
	if len(vars) > 0 && len(c.ins) < maxGraphQLInputs {
		seen := make(map[string]bool, len(c.ins))
		for _, in := range c.ins {
			seen[in.Value] = true
		}
		var v collector
		for _, k := range sortedKeys(vars) {
			v.graphQLValue("$"+k, vars[k], 0)
			if len(v.ins) >= maxGraphQLInputs {
				break
			}
		}
		for _, in := range v.ins {
			if !seen[in.Value] && len(c.ins) < maxGraphQLInputs {
				c.ins = append(c.ins, in)
			}
		}
	}
	return c.ins
}

// graphQLValue adds a coerced value: strings and numbers as inputs, lists
// and objects walked by index and field.
func (c *collector) graphQLValue(path string, v any, depth int) {
	if len(c.ins) >= maxGraphQLInputs {
		return
	}
	switch v := v.(type) {
	case string:
		c.add(GraphQLSource, path, v)
	case json.Number:
		c.add(GraphQLSource, path, string(v))
	case int64:
		c.add(GraphQLSource, path, strconv.FormatInt(v, 10))
	case int:
		c.add(GraphQLSource, path, strconv.Itoa(v))
	case float64:
		c.add(GraphQLSource, path, strconv.FormatFloat(v, 'g', -1, 64))
	case []any:
		if depth >= maxGraphQLDepth {
			return
		}
		for i, e := range v {
			c.graphQLValue(path+"["+strconv.Itoa(i)+"]", e, depth+1)
			if len(c.ins) >= maxGraphQLInputs {
				return
			}
		}
	case map[string]any:
		if depth >= maxGraphQLDepth {
			return
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c.addName(GraphQLSource, joinKey(path, k), k)
			c.graphQLValue(joinKey(path, k), v[k], depth+1)
			if len(c.ins) >= maxGraphQLInputs {
				return
			}
		}
	}
	// bool, nil and values of other types carry no text.
}
