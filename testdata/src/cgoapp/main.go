// Command cgoapp looks up users in SQLite through the cgo driver
// github.com/mattn/go-sqlite3, with a query built by concatenation:
// "cgoapp NAME".
package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		fail(err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		fail(err)
	}
	if _, err := tx.Exec(`CREATE TABLE users (name TEXT, role TEXT); INSERT INTO users VALUES ('alice', 'admin'), ('bob', 'user')`); err != nil {
		fail(err)
	}
	if err := tx.Commit(); err != nil {
		fail(err)
	}
	var role string
	err = db.QueryRow("SELECT role FROM users WHERE name = '" + os.Args[1] + "'").Scan(&role)
	if err != nil {
		fail(err)
	}
	fmt.Println("role:", role)
}

func fail(err error) {
	fmt.Println("error:", err)
	os.Exit(1)
}
