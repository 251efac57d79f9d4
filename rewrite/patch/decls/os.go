//go:build rasp_decls

// Declarations added to package os: the hooks of OpenFile and
// StartProcess.

package os // import "os"

import _ "unsafe" // for go:linkname

var __rasp_openHook func(name string, flag int) error

var __rasp_startHook func(name string, argv []string) error

//go:linkname __rasp_setFileHooks
//rasp:pull runtime/internal/stdhook setFileHooks
func __rasp_setFileHooks(open func(name string, flag int) error, start func(name string, argv []string) error) {
	__rasp_openHook, __rasp_startHook = open, start
}
