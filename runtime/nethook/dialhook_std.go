//go:build rasp_std

package nethook

// The tool builds the runtime with the tag rasp_std, and package net with
// the dial hook that this setter installs (see sinks.yaml and
// rewrite/patch/decls). A plain build of this package, as in its own tests,
// has neither. The setter is declared in pulls_std.go, which
// go generate ./rewrite/patch writes from the declarations.

func init() { setDialHook(dialCheck) }
