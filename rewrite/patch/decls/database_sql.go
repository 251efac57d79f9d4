//go:build rasp_decls

// Declarations added to package database/sql: the query hook of the entry
// points, and the driver behind a transaction or a connection.

package sql // import "database/sql"

import (
	"context"
	"database/sql/driver"
	_ "unsafe" // for go:linkname
)

var __rasp_sqlHook func(ctx context.Context, drv driver.Driver, query string) error

//go:linkname __rasp_setSQLHook
//rasp:pull runtime/internal/stdhook setSQLHook
func __rasp_setSQLHook(h func(ctx context.Context, drv driver.Driver, query string) error) {
	__rasp_sqlHook = h
}

// __rasp_txDriver and __rasp_connDriver give the runtime the driver behind
// a transaction or a connection, for the SQL dialect of their call sites.
//
//go:linkname __rasp_txDriver
//rasp:pull runtime/internal/stdhook txDriver
func __rasp_txDriver(tx *Tx) driver.Driver { return tx.db.Driver() }

//go:linkname __rasp_connDriver
//rasp:pull runtime/internal/stdhook connDriver
func __rasp_connDriver(c *Conn) driver.Driver { return c.db.Driver() }
