//go:build rasp_std

package rasp

import "unsafe"

// The tool builds the runtime with the tag rasp_std, and package runtime
// with a field for it in every goroutine, inherited by the goroutines a
// goroutine starts and cleared when it exits (see rewrite/stdpatch.go).

//go:linkname getGLS runtime.__rasp_getGLS
func getGLS() unsafe.Pointer

//go:linkname setGLS runtime.__rasp_setGLS
func setGLS(p unsafe.Pointer)

//go:linkname getChecked runtime.__rasp_getChecked
func getChecked() unsafe.Pointer

//go:linkname setChecked runtime.__rasp_setChecked
func setChecked(p unsafe.Pointer)

//go:linkname getQuery runtime.__rasp_getQuery
func getQuery() unsafe.Pointer

//go:linkname setQuery runtime.__rasp_setQuery
func setQuery(p unsafe.Pointer)
