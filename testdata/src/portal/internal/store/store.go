// Package store is the portal's repository layer: queries are assembled
// here, far from the handlers, in helper functions that return strings, so
// the call site of the query sees an opaque value.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite"
)

// Store holds the database.
type Store struct{ db *sql.DB }

// Open opens the in-memory database with its sample rows.
func Open() (*Store, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, owner TEXT)`,
		`CREATE TABLE users (name TEXT, password TEXT)`,
		`INSERT INTO items (id, name, owner) VALUES (1, 'lamp', 'ann'), (2, 'desk', 'bob'), (3, 'chair', 'ann')`,
		`INSERT INTO users VALUES ('ann', 'hunter2'), ('bob', 'letmein')`,
	} {
		if _, err := db.Exec(q); err != nil {
			return nil, err
		}
	}
	return &Store{db: db}, nil
}

// Filter selects items.
type Filter struct {
	ID    string
	Owner string
}

// where builds the WHERE clause with a strings.Builder (vulnerable: the
// values are pasted in).
func where(f Filter) string {
	var b strings.Builder
	b.WriteString(" WHERE 1=1")
	if f.ID != "" {
		b.WriteString(" AND id = ")
		b.WriteString(f.ID)
	}
	if f.Owner != "" {
		fmt.Fprintf(&b, " AND owner = '%s'", f.Owner)
	}
	return b.String()
}

// Items returns the names of the items the filter selects.
func (s *Store) Items(ctx context.Context, f Filter) ([]string, error) {
	q := "SELECT name FROM items" + where(f) + " ORDER BY id"
	return s.names(ctx, q)
}

// names runs a query of one text column.
func (s *Store) names(ctx context.Context, q string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Count counts the items the filter selects, without a context: the
// request reaches it through the goroutine only.
func (s *Store) Count(f Filter) (int, error) {
	q := countQuery(f)
	var n int
	err := s.db.QueryRow(q).Scan(&n)
	return n, err
}

func countQuery(f Filter) string { return "SELECT count(*) FROM items" + where(f) }
