//go:build !unix

package toolexec

// selfMaxRSS is not available here.
func selfMaxRSS() int64 { return 0 }

// cpuSeconds is not available here.
func cpuSeconds() (self, children float64) { return 0, 0 }
