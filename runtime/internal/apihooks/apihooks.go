// Package apihooks lets package rasp, which users import, reach the
// runtime's layers without importing them: the layers register their
// functions here when the runtime is linked, and a program that imports
// rasp only for ErrBlocked links none of them.
package apihooks

import "context"

// Policy reloads the policy file; nil in a program not built with
// rasp-instrument.
var Policy func() error

// SetUser names the user of the request ctx carries (or the calling
// goroutine serves), and reports whether there was one; nil in a program
// not built with rasp-instrument.
var SetUser func(ctx context.Context, user string) bool
