//go:build !unix

package judge

import "os"

// reloadSignals are the signals that reload the policy: none off Unix (the
// file is still polled).
var reloadSignals []os.Signal
