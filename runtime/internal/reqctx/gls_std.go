//go:build rasp_std

package reqctx

import "unsafe"

// The tool builds the runtime with the tag rasp_std, and package runtime
// with a field for it in every goroutine, inherited by the goroutines a
// goroutine starts and cleared when it exits (see sinks.yaml and
// rewrite/patch/decls).

//go:linkname glsRequest runtime.__rasp_getGLS
func glsRequest() unsafe.Pointer

//go:linkname setGLSRequest runtime.__rasp_setGLS
func setGLSRequest(p unsafe.Pointer)

//go:linkname entryMark runtime.__rasp_getChecked
func entryMark() unsafe.Pointer

//go:linkname setEntryMark runtime.__rasp_setChecked
func setEntryMark(p unsafe.Pointer)

//go:linkname queryMark runtime.__rasp_getQuery
func queryMark() unsafe.Pointer

//go:linkname setQueryMark runtime.__rasp_setQuery
func setQueryMark(p unsafe.Pointer)
