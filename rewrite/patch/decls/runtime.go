//go:build rasp_decls

// Declarations added to package runtime: the accessors of the goroutine's
// fields that the patch of the g struct adds.

package runtime // import "runtime"

import "unsafe"

//go:linkname __rasp_getGLS
//rasp:pull runtime/internal/reqctx glsRequest
//go:nosplit
func __rasp_getGLS() unsafe.Pointer { return getg().m.curg.__rasp_gls }

//go:linkname __rasp_setGLS
//rasp:pull runtime/internal/reqctx setGLSRequest
//go:nosplit
func __rasp_setGLS(p unsafe.Pointer) { getg().m.curg.__rasp_gls = p }

//go:linkname __rasp_getChecked
//rasp:pull runtime/internal/reqctx entryMark
//go:nosplit
func __rasp_getChecked() unsafe.Pointer { return getg().m.curg.__rasp_checked }

//go:linkname __rasp_setChecked
//rasp:pull runtime/internal/reqctx setEntryMark
//go:nosplit
func __rasp_setChecked(p unsafe.Pointer) { getg().m.curg.__rasp_checked = p }

//go:linkname __rasp_getQuery
//rasp:pull runtime/internal/reqctx queryMark
//go:nosplit
func __rasp_getQuery() unsafe.Pointer { return getg().m.curg.__rasp_query }

//go:linkname __rasp_setQuery
//rasp:pull runtime/internal/reqctx setQueryMark
//go:nosplit
func __rasp_setQuery(p unsafe.Pointer) { getg().m.curg.__rasp_query = p }
