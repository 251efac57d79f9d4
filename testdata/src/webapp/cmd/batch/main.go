// Command batch imports product names that never came from an HTTP request
// (a file, the NAME environment variable, a channel fed by another
// goroutine) and looks each one up with a query built by concatenation, as
// second-order injections are. It also echoes each name through a shell.
//
//	batch FILE [CHANNEL-VALUE]
package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"

	_ "modernc.org/sqlite"
)

func main() {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE products (name TEXT, price INTEGER, secret TEXT)`); err != nil {
		log.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO products VALUES ('apple', 3, 's1'), ('pear', 4, 's2'), ('O''Brien tea', 7, 's3')`); err != nil {
		log.Fatal(err)
	}

	var names []string
	f, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		names = append(names, sc.Text())
	}
	f.Close()
	if n := os.Getenv("NAME"); n != "" {
		names = append(names, n)
	}
	ch := make(chan string)
	go func() {
		if len(os.Args) > 2 {
			ch <- os.Args[2]
		}
		close(ch)
	}()
	for n := range ch {
		names = append(names, n)
	}

	for _, name := range names {
		lookup(db, name)
		out, err := exec.Command("sh", "-c", "echo imported '"+strings.ReplaceAll(name, "'", "")+"'").Output()
		if err != nil {
			fmt.Printf("shell %q: %v\n", name, err)
		} else {
			fmt.Print(string(out))
		}
	}
}

func lookup(db *sql.DB, name string) {
	q := "SELECT price FROM products WHERE name = '"
	q += name
	q += "'"
	rows, err := db.Query(q)
	if err != nil {
		fmt.Printf("lookup %q: %v\n", name, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var price int
		rows.Scan(&price)
		fmt.Printf("%s: %d\n", name, price)
	}
}
