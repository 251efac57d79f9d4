//go:build !unix

package rewrite

// selfMaxRSS is not available here.
func selfMaxRSS() int64 { return 0 }
