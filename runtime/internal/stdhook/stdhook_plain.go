//go:build !rasp_std

package stdhook

import (
	"database/sql"
	"database/sql/driver"
)

// Hooked tells whether the standard library's entry points are hooked: not
// in a plain build.
const Hooked = false

// txDriver and connDriver would return the driver of a transaction's or a
// connection's DB; a plain build's database/sql has no accessor.
func txDriver(*sql.Tx) driver.Driver     { return nil }
func connDriver(*sql.Conn) driver.Driver { return nil }
