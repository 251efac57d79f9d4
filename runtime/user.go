package rasp

import (
	"context"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/apihooks"
)

// SetUser names the user of the request ctx belongs to (or that the
// calling goroutine serves), for the runtime's events, its users.block
// list and its rate limits by user. Without it the runtime names the user
// by the subject of a bearer token (decoded, not verified) or by the
// header of a trusted authenticating proxy; a program that knows better
// says so here, once it has authenticated the request. It reports whether
// there was a request to name; in a program built without rasp-instrument
// it does nothing and returns false.
func SetUser(ctx context.Context, user string) bool {
	if apihooks.SetUser == nil {
		return false
	}
	return apihooks.SetUser(ctx, user)
}
