// Package taint tells which parts of a value a sink received are dynamic:
// the holes of the template the build saw at the call site (Tmpl), or,
// where the build did not see how the value was made, the places where the
// client's inputs occur in it (InputSpans, PathInputSpans).
//
// Correlation finds the client's inputs inside the value a sink received,
// for the calls whose build did not see how the value was made (no
// template): the ranges where an input occurs are treated as the dynamic
// parts, as if the build had seen the input concatenated there.
//
// Only inputs that could change the structure of a query, a command, a path
// or a URL by themselves are searched (see significant): a short value, a
// word or a list of numbers found in a query is most likely a coincidence,
// and even if it came from the client it cannot break out of the token it
// lands in.
//
// Paths. A path reaches its sink as the kernel will read it, so a path
// detector judges the bytes it received; what the correlation adds for
// paths is the forms an application may have given an input before it
// built the path: URL-decoded once or twice, or with every encoding that
// pathguard.AppendDecode undoes (%uXXXX, overlong UTF-8, look-alike dots
// and slashes), and the input cleaned (filepath.Clean, http.ServeFile).
package taint
