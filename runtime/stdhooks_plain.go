//go:build !rasp_std

package rasp

// stdHooked tells that the standard library's entry points are hooked: not
// in a plain build.
const stdHooked = false
