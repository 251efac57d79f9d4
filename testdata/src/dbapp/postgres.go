package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq" // database/sql driver "postgres"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// pgMigration makes the PostgreSQL tables anew at every start.
var pgMigration = []string{
	`DROP TABLE IF EXISTS dbapp_users, dbapp_products, dbapp_notes`,
	`CREATE TABLE dbapp_users (id int PRIMARY KEY, name text NOT NULL, secret text NOT NULL)`,
	`CREATE TABLE dbapp_products (id int PRIMARY KEY, name text NOT NULL, price int NOT NULL,
		hidden boolean NOT NULL DEFAULT false, meta jsonb NOT NULL DEFAULT '{}', visits int NOT NULL DEFAULT 0)`,
	`CREATE TABLE dbapp_notes (body text NOT NULL)`,
	`INSERT INTO dbapp_users VALUES (1, 'alice', 'alice-secret'), (2, 'bob', 'bob-secret'), (3, 'O''Brien', 'obrien-secret')`,
	`INSERT INTO dbapp_products (id, name, price, hidden, meta) VALUES
		(1, 'apple', 3, false, '{"color": "red", "tags": ["fruit"]}'),
		(2, 'pear', 4, false, '{"color": "green", "tags": ["fruit"]}'),
		(3, 'O''Brien tea', 7, false, '{"origin": "O''Brien", "tags": ["drink"]}'),
		(4, 'prototype', 99, true, '{}')`,
}

// summaryPG lists the products for sale and their total, in one constant
// query.
const summaryPG = `SELECT name, price FROM dbapp_products WHERE NOT hidden AND price > 0
	UNION ALL SELECT 'total', sum(price)::int FROM dbapp_products WHERE NOT hidden ORDER BY price`

// postgresRoutes opens every PostgreSQL access path, migrates, and mounts
// the routes: /pq (lib/pq) and /pgxstd (pgx's database/sql driver) share
// their code; /pgx is one *pgx.Conn, /pool a *pgxpool.Pool, /batch a
// pgx.Batch; /gormpg and /sqlxpg the libraries.
func postgresRoutes(ctx context.Context, mux *http.ServeMux, dsn string) error {
	pqDB, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	if err := migrate(ctx, pqDB, "SELECT pg_advisory_lock(7011)", "SELECT pg_advisory_unlock(7011)", pgMigration); err != nil {
		return err
	}
	stdDB, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return err
	}
	orm, err := gorm.Open(postgres.Open(dsn), gormConfig)
	if err != nil {
		return err
	}
	pgSQL(mux, "/pq", pqDB, func(s []string) any { return pq.Array(s) })
	pgSQL(mux, "/pgxstd", stdDB, func(s []string) any { return s })
	pgxConn(mux, &lockedConn{conn: conn})
	pgxPool(mux, pool)
	pgxBatch(mux, pool)
	gormPG(mux, orm)
	sqlxPG(mux, sqlx.NewDb(pqDB, "postgres"))
	return nil
}

// pgSQL mounts the database/sql routes for a PostgreSQL driver; array
// wraps a []string parameter as the driver wants it.
func pgSQL(mux *http.ServeMux, p string, db *sql.DB, array func([]string) any) {
	// Vulnerable: the name inside a string literal.
	mux.HandleFunc(p+"/products", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+r.URL.Query().Get("name")+"'")))
	})
	// Vulnerable: the same query in a transaction (*sql.Tx).
	mux.HandleFunc(p+"/tx-products", func(w http.ResponseWriter, r *http.Request) {
		tx, err := db.BeginTx(r.Context(), nil)
		if err != nil {
			reply(w)(nil, err)
			return
		}
		defer tx.Rollback()
		reply(w)(collect(tx.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+r.URL.Query().Get("name")+"'")))
	})
	// Vulnerable: the ID in a number's place.
	mux.HandleFunc(p+"/product", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.Query(fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden AND id = %s", r.URL.Query().Get("id")))))
	})
	// Vulnerable: the sort order.
	mux.HandleFunc(p+"/sorted", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden ORDER BY "+r.URL.Query().Get("order"))))
	})
	// Vulnerable: an UPDATE run by Exec, without arguments (lib/pq and pgx
	// then use the simple query protocol, which runs stacked statements).
	mux.HandleFunc(p+"/visit", func(w http.ResponseWriter, r *http.Request) {
		res, err := db.ExecContext(r.Context(), "UPDATE dbapp_products SET visits = visits + 1 WHERE name = '"+r.URL.Query().Get("name")+"'")
		result(w, res, err)
	})
	// Safe twins.
	mux.HandleFunc(p+"/find", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = $1", r.URL.Query().Get("name"))))
	})
	mux.HandleFunc(p+"/item", func(w http.ResponseWriter, r *http.Request) {
		var it product
		err := db.QueryRowContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND id::text = $1", r.URL.Query().Get("id")).Scan(&it.Name, &it.Price)
		if err == sql.ErrNoRows {
			http.NotFound(w, r)
			return
		}
		answer(w, []product{it}, err)
	})
	mux.HandleFunc(p+"/rename", func(w http.ResponseWriter, r *http.Request) {
		res, err := db.ExecContext(r.Context(), "UPDATE dbapp_products SET visits = visits + 1 WHERE name = $1", r.URL.Query().Get("name"))
		result(w, res, err)
	})
	// A long IN list, one placeholder an ID.
	mux.HandleFunc(p+"/in", func(w http.ResponseWriter, r *http.Request) {
		list, err := ids(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ph := make([]string, len(list))
		args := make([]any, len(list))
		for i, id := range list {
			ph[i] = "$" + strconv.Itoa(i+1)
			args[i] = id
		}
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND id IN ("+strings.Join(ph, ", ")+") ORDER BY id", args...)))
	})
	// An array parameter.
	mux.HandleFunc(p+"/any", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = ANY($1) ORDER BY id", array(names(r)))))
	})
	// A JSON parameter.
	mux.HandleFunc(p+"/meta", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND meta @> $1::jsonb ORDER BY id", r.URL.Query().Get("json"))))
	})
	// A constant report: the products and their total. Nothing in it came
	// from the request.
	mux.HandleFunc(p+"/summary", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(collect(db.QueryContext(r.Context(), summaryPG)))
	})
	// What stacked statements left behind.
	mux.HandleFunc(p+"/notes", func(w http.ResponseWriter, r *http.Request) {
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

// lockedConn serialises the handlers' use of one *pgx.Conn, which is not
// safe for concurrent use.
type lockedConn struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

// pgxRows reads name and price rows of pgx.
func pgxRows(rows pgx.Rows, err error) ([]product, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []product
	for rows.Next() {
		var p product
		if err := rows.Scan(&p.Name, &p.Price); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// pgxConn mounts the routes of one native connection.
func pgxConn(mux *http.ServeMux, lc *lockedConn) {
	mux.HandleFunc("/pgx/products", func(w http.ResponseWriter, r *http.Request) {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		reply(w)(pgxRows(lc.conn.Query(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+r.URL.Query().Get("name")+"'")))
	})
	mux.HandleFunc("/pgx/product", func(w http.ResponseWriter, r *http.Request) {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		var p product
		err := lc.conn.QueryRow(r.Context(), fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden AND id = %s", r.URL.Query().Get("id"))).Scan(&p.Name, &p.Price)
		answer(w, []product{p}, err)
	})
	// pgx runs Exec without arguments with the simple protocol.
	mux.HandleFunc("/pgx/visit", func(w http.ResponseWriter, r *http.Request) {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		tag, err := lc.conn.Exec(r.Context(), "UPDATE dbapp_products SET visits = visits + 1 WHERE name = '"+r.URL.Query().Get("name")+"'")
		affected(w, tag.RowsAffected(), err)
	})
	mux.HandleFunc("/pgx/find", func(w http.ResponseWriter, r *http.Request) {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		reply(w)(pgxRows(lc.conn.Query(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = $1", r.URL.Query().Get("name"))))
	})
	mux.HandleFunc("/pgx/item", func(w http.ResponseWriter, r *http.Request) {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		var p product
		err := lc.conn.QueryRow(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND id::text = $1", r.URL.Query().Get("id")).Scan(&p.Name, &p.Price)
		if err == pgx.ErrNoRows {
			http.NotFound(w, r)
			return
		}
		answer(w, []product{p}, err)
	})
}

// pgxPool mounts the routes of a pool.
func pgxPool(mux *http.ServeMux, pool *pgxpool.Pool) {
	mux.HandleFunc("/pool/products", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(pgxRows(pool.Query(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+r.URL.Query().Get("name")+"'")))
	})
	mux.HandleFunc("/pool/product", func(w http.ResponseWriter, r *http.Request) {
		var p product
		err := pool.QueryRow(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND id = "+r.URL.Query().Get("id")).Scan(&p.Name, &p.Price)
		answer(w, []product{p}, err)
	})
	mux.HandleFunc("/pool/sorted", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(pgxRows(pool.Query(r.Context(), fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden ORDER BY %s", r.URL.Query().Get("order")))))
	})
	mux.HandleFunc("/pool/visit", func(w http.ResponseWriter, r *http.Request) {
		tag, err := pool.Exec(r.Context(), "UPDATE dbapp_products SET visits = visits + 1 WHERE name = '"+r.URL.Query().Get("name")+"'")
		affected(w, tag.RowsAffected(), err)
	})
	mux.HandleFunc("/pool/find", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(pgxRows(pool.Query(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = $1", r.URL.Query().Get("name"))))
	})
	mux.HandleFunc("/pool/rename", func(w http.ResponseWriter, r *http.Request) {
		tag, err := pool.Exec(r.Context(), "UPDATE dbapp_products SET visits = visits + 1 WHERE name = $1", r.URL.Query().Get("name"))
		affected(w, tag.RowsAffected(), err)
	})
	mux.HandleFunc("/pool/in", func(w http.ResponseWriter, r *http.Request) {
		list, err := ids(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ph := make([]string, len(list))
		args := make([]any, len(list))
		for i, id := range list {
			ph[i] = fmt.Sprintf("$%d", i+1)
			args[i] = id
		}
		reply(w)(pgxRows(pool.Query(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND id IN ("+strings.Join(ph, ",")+") ORDER BY id", args...)))
	})
	mux.HandleFunc("/pool/any", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(pgxRows(pool.Query(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = ANY($1) ORDER BY id", names(r))))
	})
	// The JSON parameter as a decoded value, which pgx encodes.
	mux.HandleFunc("/pool/meta", func(w http.ResponseWriter, r *http.Request) {
		reply(w)(pgxRows(pool.Query(r.Context(), "SELECT name, price FROM dbapp_products WHERE NOT hidden AND meta @> $1 ORDER BY id", map[string]any{"tags": names(r)})))
	})
}

// pgxBatch mounts routes that send their queries in a pgx.Batch: a safe
// count queued with the vulnerable lookup.
func pgxBatch(mux *http.ServeMux, pool *pgxpool.Pool) {
	run := func(w http.ResponseWriter, r *http.Request, b *pgx.Batch) {
		br := pool.SendBatch(r.Context(), b)
		defer br.Close()
		var n int
		if err := br.QueryRow().Scan(&n); err != nil {
			answer(w, nil, err)
			return
		}
		ps, err := pgxRows(br.Query())
		if err == nil {
			fmt.Fprintf(w, "%d products\n", n)
		}
		answer(w, ps, err)
	}
	mux.HandleFunc("/batch/products", func(w http.ResponseWriter, r *http.Request) {
		b := &pgx.Batch{}
		b.Queue("SELECT count(*) FROM dbapp_products WHERE NOT hidden")
		b.Queue("SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '" + r.URL.Query().Get("name") + "'")
		run(w, r, b)
	})
	mux.HandleFunc("/batch/find", func(w http.ResponseWriter, r *http.Request) {
		b := &pgx.Batch{}
		b.Queue("SELECT count(*) FROM dbapp_products WHERE NOT hidden")
		b.Queue("SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = $1", r.URL.Query().Get("name"))
		run(w, r, b)
	})
}

// gormPG mounts gorm's raw SQL routes.
func gormPG(mux *http.ServeMux, orm *gorm.DB) {
	mux.HandleFunc("/gormpg/products", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '" + r.URL.Query().Get("name") + "'").Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormpg/product", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.Raw(fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden AND id = %s", r.URL.Query().Get("id"))).Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormpg/sorted", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden ORDER BY " + r.URL.Query().Get("order")).Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormpg/visit", func(w http.ResponseWriter, r *http.Request) {
		res := orm.WithContext(r.Context()).Exec("UPDATE dbapp_products SET visits = visits + 1 WHERE name = '" + r.URL.Query().Get("name") + "'")
		affected(w, res.RowsAffected, res.Error)
	})
	mux.HandleFunc("/gormpg/find", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = ?", r.URL.Query().Get("name")).Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormpg/rename", func(w http.ResponseWriter, r *http.Request) {
		res := orm.WithContext(r.Context()).Exec("UPDATE dbapp_products SET visits = visits + 1 WHERE name = ?", r.URL.Query().Get("name"))
		affected(w, res.RowsAffected, res.Error)
	})
	mux.HandleFunc("/gormpg/summary", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.WithContext(r.Context()).Raw(summaryPG).Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormpg/in", func(w http.ResponseWriter, r *http.Request) {
		list, err := ids(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var ps []product
		err = orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden AND id IN ? ORDER BY id", list).Scan(&ps).Error
		answer(w, ps, err)
	})
	mux.HandleFunc("/gormpg/meta", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := orm.WithContext(r.Context()).Raw("SELECT name, price FROM dbapp_products WHERE NOT hidden AND meta @> ?::jsonb ORDER BY id", r.URL.Query().Get("json")).Scan(&ps).Error
		answer(w, ps, err)
	})
}

// sqlxPG mounts sqlx's routes, over lib/pq.
func sqlxPG(mux *http.ServeMux, x *sqlx.DB) {
	mux.HandleFunc("/sqlxpg/products", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := x.SelectContext(r.Context(), &ps, "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = '"+r.URL.Query().Get("name")+"'")
		answer(w, ps, err)
	})
	mux.HandleFunc("/sqlxpg/product", func(w http.ResponseWriter, r *http.Request) {
		var p product
		err := x.Get(&p, "SELECT name, price FROM dbapp_products WHERE NOT hidden AND id = "+r.URL.Query().Get("id"))
		answer(w, []product{p}, err)
	})
	mux.HandleFunc("/sqlxpg/sorted", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := x.Select(&ps, fmt.Sprintf("SELECT name, price FROM dbapp_products WHERE NOT hidden ORDER BY %s", r.URL.Query().Get("order")))
		answer(w, ps, err)
	})
	mux.HandleFunc("/sqlxpg/find", func(w http.ResponseWriter, r *http.Request) {
		var ps []product
		err := x.Select(&ps, "SELECT name, price FROM dbapp_products WHERE NOT hidden AND name = $1", r.URL.Query().Get("name"))
		answer(w, ps, err)
	})
	mux.HandleFunc("/sqlxpg/in", func(w http.ResponseWriter, r *http.Request) {
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
