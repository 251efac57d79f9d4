// Package reqctx holds what the runtime knows of the request a sink call
// serves (Request, its inputs, read lazily), how a call finds it (the
// context, WithRequest and RequestContext, else the goroutine's, Enter),
// and the other goroutine-local state of the runtime: the marks that tell
// an entry point of the standard library that its value was judged at
// its call site already.
//
// A program built with the tool has a field for that state in every
// goroutine (the tag rasp_std; the accessors are the pulls of
// pulls_std.go, generated from rewrite/patch/decls); a plain build (the
// runtime's own tests) has none, and only contexts carry the request.
package reqctx
