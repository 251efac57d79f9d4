package nethook

// This file exports, for the package's tests, names that the runtime's own
// code does not need exported.

// NetDetector judges an address about to be dialed or a URL about to be
// fetched.
type NetDetector = netDetector

// SetDetector replaces the network detector; nil keeps the current one.
// Call it before sinks are called concurrently.
func SetDetector(d NetDetector) {
	if d != nil {
		detector = d
	}
}
