//go:build unix

package rasp

import (
	"os"
	"syscall"
)

// reloadSignals are the signals that reload the policy.
var reloadSignals = []os.Signal{syscall.SIGHUP}
