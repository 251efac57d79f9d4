package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"

	_ "github.com/go-sql-driver/mysql" // database/sql driver "mysql"
	"github.com/jmoiron/sqlx"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
)

// myMigration makes the MySQL/MariaDB tables anew at every start.
var myMigration = []string{
	`DROP TABLE IF EXISTS dbapp_users, dbapp_products, dbapp_notes`,
	`CREATE TABLE dbapp_users (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, secret VARCHAR(64) NOT NULL)`,
	`CREATE TABLE dbapp_products (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, price INT NOT NULL,
		hidden BOOLEAN NOT NULL DEFAULT FALSE, meta JSON NOT NULL, visits INT NOT NULL DEFAULT 0)`,
	`CREATE TABLE dbapp_notes (body VARCHAR(255) NOT NULL)`,
	`INSERT INTO dbapp_users VALUES (1, 'alice', 'alice-secret'), (2, 'bob', 'bob-secret'), (3, 'O''Brien', 'obrien-secret')`,
	`INSERT INTO dbapp_products (id, name, price, hidden, meta) VALUES
		(1, 'apple', 3, FALSE, '{"color": "red", "tags": ["fruit"]}'),
		(2, 'pear', 4, FALSE, '{"color": "green", "tags": ["fruit"]}'),
		(3, 'O''Brien tea', 7, FALSE, '{"origin": "O''Brien", "tags": ["drink"]}'),
		(4, 'prototype', 99, TRUE, '{}')`,
}

// mysqlRoutes opens the MySQL access paths, migrates, and mounts the
// routes: /my (go-sql-driver/mysql, with a second handle opened with
// multiStatements=true for /my/visit), /gormmy and /sqlxmy.
func mysqlRoutes(ctx context.Context, mux *http.ServeMux, dsn string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	if err := migrate(ctx, db, "SELECT GET_LOCK('dbapp', 60)", "SELECT RELEASE_LOCK('dbapp')", myMigration); err != nil {
		return err
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	multi, err := sql.Open("mysql", dsn+sep+"multiStatements=true")
	if err != nil {
		return err
	}
	orm, err := gorm.Open(mysql.Open(dsn), gormConfig)
	if err != nil {
		return err
	}
	mySQL(mux, db, multi)
	gormMy(mux, orm)
	sqlxMy(mux, sqlx.NewDb(db, "mysql"))
	return nil
}

// mySQL mounts the database/sql routes of go-sql-driver/mysql.
func mySQL(mux *http.ServeMux, db, multi *sql.DB) {
	// Vulnerable: the name inside a string literal.
	mux.HandleFunc("/my/products", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+r.URL.Query().Get("name")+"'")))
	})
	// Vulnerable: quotes doubled by hand, which a backslash undoes.
	mux.HandleFunc("/my/escaped", func(w http.ResponseWriter, r *http.Request) {
		name := strings.ReplaceAll(r.URL.Query().Get("name"), "'", "''")
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+name+"'")))
	})
	// Vulnerable: quotes backslashed by hand, backslashes not.
	mux.HandleFunc("/my/slashed", func(w http.ResponseWriter, r *http.Request) {
		name := strings.ReplaceAll(r.URL.Query().Get("name"), "'", `\'`)
		reply(w)(collect(db.Query("SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '" + name + "'")))
	})
	// Vulnerable: the ID in a number's place.
	mux.HandleFunc("/my/product", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.Query(fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden AND id = %s", r.URL.Query().Get("id")))))
	})
	// Vulnerable: the sort order.
	mux.HandleFunc("/my/sorted", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden ORDER BY %s", r.URL.Query().Get("order")))))
	})
	// Vulnerable: the sort column between backticks.
	mux.HandleFunc("/my/sorted-col", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden ORDER BY `"+r.URL.Query().Get("col")+"`")))
	})
	// Vulnerable: an UPDATE on the handle that runs stacked statements.
	mux.HandleFunc("/my/visit", func(w http.ResponseWriter, r *http.Request) {
		res, err := multi.ExecContext(r.Context(), "UPDATE dbapp_products SET visits = visits + 1 WHERE name = '"+r.URL.Query().Get("name")+"'")
		result(w, res, err)
	})
	// Safe twins.
	mux.HandleFunc("/my/find", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = ?", r.URL.Query().Get("name"))))
	})
	mux.HandleFunc("/my/item", func(w http.ResponseWriter, r *http.Request) {
		var it product
		err := db.QueryRowContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND CAST(id AS CHAR) = ?", r.URL.Query().Get("id")).Scan(&it.Name, &it.Price)
		if err == sql.ErrNoRows {
			http.NotFound(w, r)
			return
		}
		answer(w, []product{it}, err)
	})
	mux.HandleFunc("/my/rename", func(w http.ResponseWriter, r *http.Request) {
		res, err := multi.ExecContext(r.Context(), "UPDATE dbapp_products SET visits = visits + 1 WHERE name = ?", r.URL.Query().Get("name"))
		result(w, res, err)
	})
	mux.HandleFunc("/my/in", func(w http.ResponseWriter, r *http.Request) {
		list, err := ids(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		args := make([]any, len(list))
		for i, id := range list {
			args[i] = id
		}
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(list)), ", ")
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND id IN ("+ph+") ORDER BY id", args...)))
	})
	mux.HandleFunc("/my/meta", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND JSON_CONTAINS(meta, ?) ORDER BY id", r.URL.Query().Get("json"))))
	})
	mux.HandleFunc("/my/notes", func(w http.ResponseWriter, r *http.Request) {
		rows, err := db.QueryContext(r.Context(), "SELECT body FROM dbapp_notes ORDER BY body")
		if err != nil {
			answer(w, nil, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var b string
			rows.Scan(&b)
			fmt.Fprintln(w, b)
		}
	})
}

// gormMy mounts gorm's raw SQL routes.
func gormMy(mux *http.ServeMux, orm *gorm.DB) {
	mux.HandleFunc("/gormmy/products", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '" + r.URL.Query().Get("name") + "'").Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormmy/product", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.Raw(fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden AND id = %s", r.URL.Query().Get("id"))).Scan(&ps).Error
		answer(w, ps, err)
	})
	// Vulnerable: quotes doubled by hand, which a backslash undoes.
	mux.HandleFunc("/gormmy/escaped", func(w http.ResponseWriter, r *http.Request) {
		name := strings.ReplaceAll(r.URL.Query().Get("name"), "'", "''")
		var ps []product
		err := orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '" + name + "'").Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormmy/sorted", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden ORDER BY " + r.URL.Query().Get("order")).Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormmy/visit", func(w http.ResponseWriter, r *http.Request) {
		res := orm.WithContext(r.Context()).Exec("UPDATE dbapp_products SET visits = visits + 1 WHERE name = '" + r.URL.Query().Get("name") + "'")
		affected(w, res.RowsAffected, res.Error)
	})
	mux.HandleFunc("/gormmy/find", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = ?", r.URL.Query().Get("name")).Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormmy/in", func(w http.ResponseWriter, r *http.Request) {
		list, err := ids(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var ps []product
		err = orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden AND id IN ? ORDER BY id", list).Scan(&ps).Error
		answer(w, ps, err)
	})
}

// sqlxMy mounts sqlx's routes.
func sqlxMy(mux *http.ServeMux, x *sqlx.DB) {
	mux.HandleFunc("/sqlxmy/products", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := x.SelectContext(r.Context(), &ps, "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+r.URL.Query().Get("name")+"'")
		answer(w, ps, err)
	})
	mux.HandleFunc("/sqlxmy/product", func(w http.ResponseWriter, r *http.Request) {
		var p product
		err := x.Get(&p, "SELECT name, price FROM dbapp_products WHERE NOT hidden AND id = "+r.URL.Query().Get("id"))
		answer(w, []product{p}, err)
	})
	// Vulnerable: quotes backslashed by hand, backslashes not.
	mux.HandleFunc("/sqlxmy/slashed", func(w http.ResponseWriter, r *http.Request) {
		name := strings.ReplaceAll(r.URL.Query().Get("name"), "'", `\'`)
		var ps []product
		err := x.Select(&ps, "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+name+"'")
		answer(w, ps, err)
	})
	mux.HandleFunc("/sqlxmy/sorted", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := x.Select(&ps, fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden ORDER BY %s", r.URL.Query().Get("order")))
		answer(w, ps, err)
	})
	mux.HandleFunc("/sqlxmy/find", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := x.Select(&ps, "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = ?", r.URL.Query().Get("name"))
		answer(w, ps, err)
	})
	mux.HandleFunc("/sqlxmy/in", func(w http.ResponseWriter, r *http.Request) {
		list, err := ids(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		q, args, err := sqlx.In("SELECT name, price FROM dbapp_products WHERE NOT hidden AND id IN (?) ORDER BY id", list)
		if err != nil {
			answer(w, nil, err)
			return
		}
		var ps []product
		err = x.Select(&ps, x.Rebind(q), args...)
		answer(w, ps, err)
	})
}
