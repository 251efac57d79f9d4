//go:build !rasp_std

package rasp

// stdHooked tells that the standard library's entry points are hooked: not
// in a plain build.
const stdHooked = false

// onExit would run f when the program exits; a plain build has no hook.
func onExit(func()) {}
