//go:build rasp_decls

// Declarations added to package runtime: the accessors of the goroutine's
// fields that the patch of the g struct adds.

package runtime

import "unsafe"

//go:linkname __rasp_getGLS
//go:nosplit
func __rasp_getGLS() unsafe.Pointer { return getg().m.curg.__rasp_gls }

//go:linkname __rasp_setGLS
//go:nosplit
func __rasp_setGLS(p unsafe.Pointer) { getg().m.curg.__rasp_gls = p }

//go:linkname __rasp_getChecked
//go:nosplit
func __rasp_getChecked() unsafe.Pointer { return getg().m.curg.__rasp_checked }

//go:linkname __rasp_setChecked
//go:nosplit
func __rasp_setChecked(p unsafe.Pointer) { getg().m.curg.__rasp_checked = p }

//go:linkname __rasp_getQuery
//go:nosplit
func __rasp_getQuery() unsafe.Pointer { return getg().m.curg.__rasp_query }

//go:linkname __rasp_setQuery
//go:nosplit
func __rasp_setQuery(p unsafe.Pointer) { getg().m.curg.__rasp_query = p }
