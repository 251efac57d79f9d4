// Command fiberapp is webapp's product catalogue on Fiber v2 (fasthttp),
// with the same mistakes: SQL built by concatenation, a shell command with
// a request argument, file paths from the request (read and written), and
// server-side fetches of request URLs. Each route takes its input from a
// different part of the request, named in its comment, so that a test can
// tell each input source is seen:
//
//	GET  /items?owner=        query arg      -> SQL          (vulnerable)
//	GET  /items-safe?owner=   query arg      -> SQL          (parameterised)
//	GET  /me                  cookie "user"  -> SQL          (vulnerable)
//	POST /search              XML body       -> SQL          (vulnerable)
//	POST /ping                JSON body      -> sh -c        (vulnerable)
//	POST /ping-safe           JSON body      -> argv         (safe)
//	GET  /docs/:name          route param    -> os.ReadFile  (vulnerable)
//	GET  /docs-q?name=        query arg      -> os.ReadFile  (vulnerable)
//	GET  /docs-safe/:name     route param    -> os.ReadFile  (safe)
//	POST /fetch               form arg "url" -> http.Get     (vulnerable)
//	POST /notify              header X-Callback-Url -> http.Post (vulnerable)
//	POST /upload              multipart file (and form arg "dir") -> os.WriteFile (vulnerable)
//	GET  /relay?target=       query arg      -> gRPC client   (vulnerable)
//
//	fiberapp [-addr 127.0.0.1:0] [-db FILE] [-docs DIR] [-uploads DIR]
//
// It prints "listening on ADDR" once it listens, and nothing else on stdout.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gofiber/fiber/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	_ "modernc.org/sqlite"
)

// maxBody is how much of a fetched body /fetch and /notify return.
const maxBody = 512

type app struct {
	db        *sql.DB
	docsDir   string
	uploadDir string
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	dbPath := flag.String("db", ":memory:", "SQLite database file, created and seeded if it has no products table")
	docsDir := flag.String("docs", ".", "directory of documents served by /docs")
	uploadDir := flag.String("uploads", "uploads", "directory /upload writes under (created)")
	flag.Parse()

	db, err := openDB(context.Background(), *dbPath)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*uploadDir, 0o755); err != nil {
		log.Fatal(err)
	}
	a := &app{db: db, docsDir: *docsDir, uploadDir: *uploadDir}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(a.routes().Listener(ln))
}

// openDB opens the database and seeds it the first time, as webapp does;
// products have an owner for /items and /me.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one connection: ":memory:" is per connection
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, owner TEXT, name TEXT, price INTEGER, secret TEXT)`); err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM products`).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		_, err := db.ExecContext(ctx, `INSERT INTO products (owner, name, price, secret) VALUES
			('alice', 'apple', 3, 'a-secret'), ('alice', 'pear', 4, 'p-secret'),
			('bob', 'O''Brien tea', 7, 't-secret'), ('carol', 'safe', 99, 'c-secret')`)
		if err != nil {
			return nil, err
		}
	}
	return db, nil
}

func (a *app) routes() *fiber.App {
	f := fiber.New(fiber.Config{
		DisableStartupMessage: true, // stdout holds just the "listening on" line
		ErrorHandler:          errorHandler,
	})
	f.Get("/items", a.items)
	f.Get("/items-safe", a.itemsSafe)
	f.Get("/me", a.me)
	f.Get("/account", a.account)
	f.Post("/search", a.search)
	f.Post("/ping", a.ping)
	f.Post("/ping-safe", a.pingSafe)
	f.Get("/docs/:name", a.doc)
	f.Get("/docs-q", a.docQuery)
	f.Get("/docs-safe/:name", a.docSafe)
	f.Post("/fetch", a.fetch)
	f.Post("/notify", a.notify)
	f.Post("/upload", a.upload)
	f.Get("/relay", a.relay)
	return f
}

// items is vulnerable: the owner query arg is concatenated into the query.
func (a *app) items(c *fiber.Ctx) error {
	return a.list(c, "SELECT name, price FROM products WHERE owner = '"+c.Query("owner")+"'")
}

// itemsSafe is safe: the owner query arg is a parameter.
func (a *app) itemsSafe(c *fiber.Ctx) error {
	return a.list(c, "SELECT name, price FROM products WHERE owner = ?", c.Query("owner"))
}

// me is vulnerable: the "user" cookie is concatenated into the query.
func (a *app) me(c *fiber.Ctx) error {
	return a.list(c, "SELECT name, price FROM products WHERE owner = '"+c.Cookies("user")+"'")
}

// account is vulnerable as items is; first it sets a fresh session cookie
// and a header of its own, as a page with a form does, and after a failure
// a CSRF cookie: a refusal keeps the cookies, not the header.
func (a *app) account(c *fiber.Ctx) error {
	c.Cookie(&fiber.Cookie{Name: "session", Value: "s1", HTTPOnly: true})
	c.Set("X-Account", "yes")
	err := a.list(c, "SELECT name, price FROM products WHERE owner = '"+c.Query("owner")+"'")
	if err != nil {
		c.Cookie(&fiber.Cookie{Name: "csrf", Value: "c2"})
	}
	return err
}

// searchRequest is the XML body of /search: <search><name>ap</name></search>.
type searchRequest struct {
	Name string `xml:"name"`
}

// search is vulnerable: the name element of the XML body is concatenated
// into a LIKE pattern.
func (a *app) search(c *fiber.Ctx) error {
	var req searchRequest
	if err := c.BodyParser(&req); err != nil { // Content-Type: application/xml
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	return a.list(c, "SELECT name, price FROM products WHERE name LIKE '%"+req.Name+"%'")
}

// list writes "name price" lines for the query's rows.
func (a *app) list(c *fiber.Ctx, q string, args ...any) error {
	rows, err := a.db.QueryContext(c.Context(), q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var name string
		var price int
		if err := rows.Scan(&name, &price); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d\n", name, price)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return c.SendString(b.String())
}

// pingRequest is the JSON body of /ping and /ping-safe: {"host": "..."}.
type pingRequest struct {
	Host string `json:"host"`
}

// ping is vulnerable: the host from the JSON body goes through a shell.
func (a *app) ping(c *fiber.Ctx) error {
	var req pingRequest
	if err := c.BodyParser(&req); err != nil { // Content-Type: application/json
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	out, err := exec.Command("sh", "-c", "echo pinging "+req.Host).CombinedOutput()
	if err != nil {
		return err
	}
	return c.Send(out)
}

// pingSafe is safe: the host is one argument of echo, no shell.
func (a *app) pingSafe(c *fiber.Ctx) error {
	var req pingRequest
	if err := c.BodyParser(&req); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	if strings.HasPrefix(req.Host, "-") {
		return fiber.NewError(fiber.StatusBadRequest, "bad host")
	}
	out, err := exec.Command("echo", "pinging", req.Host).CombinedOutput()
	if err != nil {
		return err
	}
	return c.Send(out)
}

// param returns route parameter key decoded. Fiber v2 leaves parameters as
// they came in the request line (its UnescapePath option decodes the whole
// path before routing, so an encoded "/" would no longer match one
// segment); apps decode them, as Fiber's docs advise. So /docs/..%2Fx
// names "../x".
func param(c *fiber.Ctx, key string) (string, error) {
	v, err := url.PathUnescape(c.Params(key))
	if err != nil {
		return "", fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	return v, nil
}

// doc is vulnerable: the :name route parameter may climb out of the
// documents directory.
func (a *app) doc(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	return a.sendDoc(c, filepath.Join(a.docsDir, name))
}

// docQuery is vulnerable: the same with the name query arg.
func (a *app) docQuery(c *fiber.Ctx) error {
	return a.sendDoc(c, filepath.Join(a.docsDir, c.Query("name")))
}

// docSafe is safe: the :name route parameter must be a local path (no
// "..", not absolute) before it is joined.
func (a *app) docSafe(c *fiber.Ctx) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	if !filepath.IsLocal(name) {
		return fiber.NewError(fiber.StatusBadRequest, "bad document name")
	}
	return a.sendDoc(c, filepath.Join(a.docsDir, name))
}

func (a *app) sendDoc(c *fiber.Ctx, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return c.Send(data)
}

// fetch is vulnerable: it GETs the url arg of the form body
// (application/x-www-form-urlencoded). fasthttp's FormValue, under Fiber's,
// looks in the query string first, then the form body, then a multipart
// form.
func (a *app) fetch(c *fiber.Ctx) error {
	resp, err := http.Get(c.FormValue("url"))
	if err != nil {
		return err
	}
	return relay(c, resp)
}

// notify is vulnerable: it POSTs the request body to the URL in the
// X-Callback-Url header, as webhook senders do.
func (a *app) notify(c *fiber.Ctx) error {
	resp, err := http.Post(c.Get("X-Callback-Url"), "application/json", strings.NewReader(string(c.Body())))
	if err != nil {
		return err
	}
	return relay(c, resp)
}

// relay answers with the status and the first bytes of resp's body.
func relay(c *fiber.Ctx, resp *http.Response) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	return c.SendString(fmt.Sprintf("%d\n%s", resp.StatusCode, body))
}

// upload is vulnerable: the multipart part "file" is written to
// filepath.Join(uploadDir, dir, file name), dir being the optional form arg
// "dir". mime/multipart keeps only the last element of a part's file name,
// so the file name alone cannot climb out; dir can.
func (a *app) upload(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	path := filepath.Join(a.uploadDir, c.FormValue("dir"), fh.Filename)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	return c.SendString(fmt.Sprintf("stored %d bytes as %s\n", len(data), fh.Filename))
}

// errorHandler answers as webapp's fail does: a refusal by the runtime
// (recognised by its message, without importing it) is 403 "blocked"; a
// missing file 404; Fiber's own errors keep their code; anything else 500.
func errorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	switch {
	case strings.Contains(err.Error(), "blocked by rule"):
		return c.Status(fiber.StatusForbidden).SendString("blocked\n")
	case errors.As(err, &fe):
		return c.Status(fe.Code).SendString(fe.Message + "\n")
	case errors.Is(err, fs.ErrNotExist):
		return c.Status(fiber.StatusNotFound).SendString(err.Error() + "\n")
	}
	return c.Status(fiber.StatusInternalServerError).SendString(err.Error() + "\n")
}

// relay is vulnerable: it opens a gRPC client to the target query arg (the
// connection is made on first use; a relay would then call the backend).
func (a *app) relay(c *fiber.Ctx) error {
	conn, err := grpc.NewClient(c.Query("target"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	return c.SendString("relay to " + conn.Target() + "\n")
}
