//go:build unix

package judge

import (
	"os"
	"syscall"
)

// reloadSignals are the signals that reload the policy.
var reloadSignals = []os.Signal{syscall.SIGHUP}
