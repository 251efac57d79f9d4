package httphook

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// typicalOperation is what gqlgen's executor passes for
//
//	query Find($who: String!, $in: NoteInput!) {
//	  user(name: $who) { notes(first: 10, tag: "work") { title } }
//	  search(input: $in, order: NAME) { id }
//	}
func typicalOperation() (map[string]any, GraphQLArguments) {
	vars := map[string]any{
		"who": "x' OR 1=1--",
		"in":  map[string]any{"email": "a@example.com", "tags": []any{"red", "blue"}},
	}
	args := func(add func(string, any) bool) {
		_ = add("user.name", vars["who"]) &&
			add("user.notes.first", int64(10)) &&
			add("user.notes.tag", "work") &&
			add("search.input", vars["in"]) &&
			add("search.order", "NAME")
	}
	return vars, args
}

func graphQLRequest(own ...taint.Input) (*reqctx.Request, context.Context) {
	r := reqctx.NewRequest("id-1", "POST", "/query", "127.0.0.1", reqctx.Fixed(own))
	return r, &reqctx.RequestContext{Context: context.Background(), Request: r}
}

func TestGraphQLInputs(t *testing.T) {
	body := taint.Input{Source: "json", Name: "variables.who", Value: "x' OR 1=1--"}
	r, ctx := graphQLRequest(body)
	vars, args := typicalOperation()
	GraphQL(ctx, vars, args)
	var got []string
	for _, in := range r.Inputs() {
		got = append(got, in.Source+" "+in.Name+"="+in.Value)
	}
	want := []string{
		"graphql user.name=x' OR 1=1--",
		"graphql user.notes.first=10",
		"graphql user.notes.tag=work",
		"graphql search.input.email=a@example.com",
		"graphql search.input.tags[0]=red",
		"graphql search.input.tags[1]=blue",
		"graphql search.order=NAME",
		// The variables, but those an argument had already.
		"json variables.who=x' OR 1=1--",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("inputs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A variable no argument used is an input by its name.
	r, ctx = graphQLRequest()
	GraphQL(ctx, map[string]any{"n": json.Number("12345"), "s": "a'b", "b": true}, nil)
	got = got[:0]
	for _, in := range r.Inputs() {
		got = append(got, in.Name+"="+in.Value)
	}
	if strings.Join(got, " ") != "$n=12345 $s=a'b" {
		t.Fatalf("variables: %q", got)
	}
}

// An event names the argument, not the JSON body's copy of the variable:
// the GraphQL inputs lead the request's own.
func TestGraphQLInputsLead(t *testing.T) {
	r, ctx := graphQLRequest(taint.Input{Source: "json", Name: "variables.who", Value: "x' OR 1=1--"})
	vars, args := typicalOperation()
	GraphQL(ctx, vars, args)
	ins := r.Inputs()
	if ins[0].Source != GraphQLSource || ins[len(ins)-1].Source != "json" {
		t.Fatalf("order: %+v", ins)
	}
}

func TestGraphQLBoundsAndFailOpen(t *testing.T) {
	// Outside a request: nothing, no panic.
	GraphQL(context.Background(), nil, func(add func(string, any) bool) { add("a.b", "x'y") })

	// Many operations, many arguments: 128 inputs at most, the latest
	// operation first.
	r, ctx := graphQLRequest()
	for op := 0; op < 6; op++ {
		op := op
		GraphQL(ctx, nil, func(add func(string, any) bool) {
			for i := 0; i < 100; i++ {
				if !add("f.a", strings.Repeat("v", 3)+string(rune('0'+op))) {
					return
				}
			}
		})
	}
	ins := r.Inputs()
	if len(ins) != maxGraphQLInputs || ins[0].Value != "vvv5" {
		t.Fatalf("%d inputs, first %+v", len(ins), ins[0])
	}

	// Deep values are cut.
	deep := any("x'y")
	for i := 0; i < 40; i++ {
		deep = []any{deep}
	}
	r, ctx = graphQLRequest()
	GraphQL(ctx, nil, func(add func(string, any) bool) { add("f.a", deep) })
	if n := len(r.Inputs()); n != 0 {
		t.Fatalf("deep value: %d inputs", n)
	}

	// A walk that panics keeps what it gave.
	r, ctx = graphQLRequest(taint.Input{Source: "query", Name: "q", Value: "own"})
	GraphQL(ctx, nil, func(add func(string, any) bool) {
		add("f.a", "kept'")
		panic("broken")
	})
	ins = r.Inputs()
	if len(ins) != 2 || ins[0].Value != "kept'" || ins[1].Value != "own" {
		t.Fatalf("after a panic: %+v", ins)
	}

	// Another attachment (a WebSocket) stays.
	r, ctx = graphQLRequest()
	w := newWebSocket(r)
	r.Attach(w)
	GraphQL(ctx, nil, func(add func(string, any) bool) { add("f.a", "x'y") })
	if r.Attached() != reqctx.Attachment(w) || len(r.Inputs()) != 0 {
		t.Fatalf("attachment replaced")
	}
}

// BenchmarkGraphQLInputs: one typical operation (5 arguments, 2 variables,
// one an input object with a list), added to a request and read once, as
// a request with a sink call does.
func BenchmarkGraphQLInputs(b *testing.B) {
	vars, args := typicalOperation()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r, ctx := graphQLRequest()
		GraphQL(ctx, vars, args)
		if len(r.Inputs()) != 7 {
			b.Fatal("inputs")
		}
	}
}

// BenchmarkGraphQLAdd: the cost for an operation whose request calls no
// sink (the inputs are never read).
func BenchmarkGraphQLAdd(b *testing.B) {
	vars, args := typicalOperation()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_, ctx := graphQLRequest()
		GraphQL(ctx, vars, args)
	}
}
