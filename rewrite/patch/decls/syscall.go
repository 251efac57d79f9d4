//go:build rasp_decls

// Declarations added to package syscall: the hook of Exec.

package syscall // import "syscall"

import _ "unsafe" // for go:linkname

var __rasp_execHook func(argv0 string, argv []string) error

//go:linkname __rasp_setExecHook
//rasp:pull runtime/internal/stdhook setExecHook
func __rasp_setExecHook(h func(argv0 string, argv []string) error) { __rasp_execHook = h }
