//go:build rasp_std

package stdhook

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "unsafe" // for go:linkname

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
)

// The tool builds the runtime with the tag rasp_std, and the standard
// library with the entry-point hooks these setters install (see
// sinks.yaml and rewrite/patch/decls).

//go:linkname setSQLHook database/sql.__rasp_setSQLHook
func setSQLHook(h func(ctx context.Context, drv driver.Driver, query string) error)

// txDriver and connDriver return the driver of a transaction's or a
// connection's DB, for the dialect.
//
//go:linkname txDriver database/sql.__rasp_txDriver
func txDriver(tx *sql.Tx) driver.Driver

//go:linkname connDriver database/sql.__rasp_connDriver
func connDriver(c *sql.Conn) driver.Driver

//go:linkname setFileHooks os.__rasp_setFileHooks
func setFileHooks(open func(name string, flag int) error, start func(name string, argv []string) error)

//go:linkname addExitHook internal/runtime/exithook.__rasp_addExitHook
func addExitHook(f func())

//go:linkname setExecHook syscall.__rasp_setExecHook
func setExecHook(h func(argv0 string, argv []string) error)

func init() {
	setSQLHook(EntrySQL)
	setFileHooks(EntryOpen, entryStart)
	setExecHook(entryStart)
	events.OnExit = addExitHook
}

// Hooked tells whether the standard library's entry points are hooked.
const Hooked = true
