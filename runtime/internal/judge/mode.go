package judge

import (
	"sync/atomic"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

var mode atomic.Int32

// CurrentMode returns the mode in force.
func CurrentMode() policy.Mode {
	loadOnce.Do(loadConfig)
	return policy.Mode(mode.Load())
}

// SetMode changes the mode for the whole process.
// For tests, those of other packages too (so it stays exported).
func SetMode(m policy.Mode) {
	loadOnce.Do(loadConfig)
	mode.Store(int32(m))
}
