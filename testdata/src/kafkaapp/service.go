package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite"
)

type service struct {
	db   *sql.DB
	docs string
}

func newService(dbPath, docs string) (*service, error) {
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS items (owner TEXT, name TEXT)`,
		`DELETE FROM items`,
		`INSERT INTO items VALUES ('alice','apple'),('bob','banana'),('carol','cherry-secret')`,
	} {
		if _, err := db.Exec(q); err != nil {
			return nil, err
		}
	}
	return &service{db: db, docs: docs}, nil
}

type event struct {
	Op    string `json:"op"`
	Owner string `json:"owner"`
	Name  string `json:"name"`
}

func (s *service) handle(ctx context.Context, value []byte) (string, error) {
	var ev event
	if err := json.Unmarshal(value, &ev); err != nil {
		return "", err
	}
	switch ev.Op {
	case "find":
		// Vulnerable: the owner is concatenated into the query.
		return s.names(ctx, "SELECT name FROM items WHERE owner = '"+ev.Owner+"' ORDER BY name")
	case "findsafe":
		return s.names(ctx, "SELECT name FROM items WHERE owner = ? ORDER BY name", ev.Owner)
	case "doc":
		// Vulnerable: the name may climb out of the documents' directory.
		b, err := os.ReadFile(filepath.Join(s.docs, ev.Name))
		return strings.TrimSpace(string(b)), err
	case "docsafe":
		b, err := os.ReadFile(filepath.Join(s.docs, filepath.Base(ev.Name)))
		return strings.TrimSpace(string(b)), err
	}
	return "", fmt.Errorf("unknown op %q", ev.Op)
}

func (s *service) names(ctx context.Context, q string, args ...any) (string, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return "", err
		}
		names = append(names, n)
	}
	return strings.Join(names, ","), rows.Err()
}
