package sqli

import "strings"

// Dialect selects lexical rules. Generic is the safe union of all dialects:
// every construct that some dialect reads as code is read as code.
type Dialect uint8

// Supported dialects.
const (
	// Generic is the union of the rules of the dialects below.
	Generic Dialect = iota
	// SQLite lexical rules.
	SQLite
	// Postgres lexical rules (dollar quoting, E'' strings, :: casts, $1 placeholders, nested comments).
	Postgres
	// MySQL lexical rules, also used for MariaDB (backticks, # comments,
	// /*! */ executable comments, backslash escapes, "" strings).
	MySQL
	// SQLServer lexical rules ([brackets], N'' strings, @p1 parameters, nested comments).
	SQLServer
)

// Dialects lists every dialect, Generic first. The build's sink spec
// takes the names a check may give from here.
var Dialects = []Dialect{Generic, SQLite, Postgres, MySQL, SQLServer}

// ParseDialect returns the dialect of a name String returns; false for
// any other name.
func ParseDialect(name string) (Dialect, bool) {
	for _, d := range Dialects {
		if d.String() == name {
			return d, true
		}
	}
	return Generic, false
}

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLServer:
		return "sqlserver"
	}
	return "generic"
}

// DialectForDriver maps a driver's Go type name (fmt "%T" of the
// driver.Driver, e.g. "*sqlite.Driver", "*sqlite3.SQLiteDriver",
// "*pq.Driver", "*stdlib.Driver", "*mysql.MySQLDriver", "*mssql.Driver") to
// a dialect; Generic when unknown.
func DialectForDriver(typeName string) Dialect {
	n := strings.TrimLeft(typeName, "*")
	pkg, typ := n, ""
	if k := strings.LastIndexByte(n, '.'); k >= 0 {
		pkg, typ = n[:k], n[k+1:]
	}
	if k := strings.LastIndexByte(pkg, '/'); k >= 0 {
		pkg = pkg[k+1:]
	}
	pkg = strings.ToLower(pkg)
	typ = strings.ToLower(typ)
	switch pkg {
	case "sqlite", "sqlite3", "gosqlite", "sqlite3mc", "libsql":
		return SQLite
	case "pq", "stdlib", "pgx", "pgdriver", "pgconn", "postgres", "pgxpool", "cockroach":
		return Postgres
	case "mysql", "mariadb":
		return MySQL
	case "mssql", "sqlserver", "go_mssqldb":
		return SQLServer
	}
	switch {
	case strings.Contains(typ, "sqlite"):
		return SQLite
	case strings.Contains(typ, "postgres") || strings.Contains(typ, "pgx"):
		return Postgres
	case strings.Contains(typ, "mysql") || strings.Contains(typ, "maria"):
		return MySQL
	case strings.Contains(typ, "mssql") || strings.Contains(typ, "sqlserver"):
		return SQLServer
	}
	return Generic
}
