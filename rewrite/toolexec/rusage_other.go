//go:build !unix

package toolexec

// selfMaxRSS is not available here.
func selfMaxRSS() int64 { return 0 }
