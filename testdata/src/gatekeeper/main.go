// Command gatekeeper is a small JSON API with bearer-token authentication,
// the program of integration/testdata/gate.txtar (the runtime's request
// rules). Its shape follows the server of the public repository
// github.com/OlegGorj/golang-bearer-token (server/server_jwt_claims): a
// login route that checks an e-mail address and a password and answers a
// JSON Web Token whose claims name the user, and routes that read those
// claims from the Authorization header. Here the users and their items
// are in SQLite, the user's avatar is a file, and an admin route lists
// the users.
//
// It has two mistakes on purpose, both about trusting a token's claims:
// it accepts a token whose header says "alg": "none" (no signature), as
// JWT libraries once did when they let the token choose its algorithm,
// and it writes the team claim into a SQL query and the avatar claim
// into a file path, because "the token is signed".
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

// Claims are the token's claims.
type Claims struct {
	Sub    string `json:"sub"`
	Name   string `json:"name"`
	Team   string `json:"team"`
	Role   string `json:"role"`
	Avatar string `json:"avatar"`
}

type app struct {
	db      *sql.DB
	dataDir string
	secret  []byte
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	dataDir := flag.String("data", ".", "directory of the avatars/ folder")
	secret := flag.String("secret", "gatekeeper-dev-secret", "HMAC key of the tokens")
	flag.Parse()

	db, err := openDB(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	a := &app{db: db, dataDir: *dataDir, secret: []byte(*secret)}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	// Stop gracefully on an interrupt: finish the requests in flight and
	// return from main.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: a.routes()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	<-done
}

func openDB(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	stmts := []string{
		`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, password_sha256 TEXT, name TEXT, team TEXT, role TEXT, avatar TEXT)`,
		`CREATE TABLE items (id INTEGER PRIMARY KEY, team TEXT, name TEXT)`,
		`INSERT INTO items (team, name) VALUES ('red', 'red roadmap'), ('red', 'red budget'), ('blue', 'blue acquisition plan')`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, err
		}
	}
	users := []struct{ email, password, name, team, role, avatar string }{
		{"alice@example.com", "alice-pw", "Alice", "red", "user", "alice.txt"},
		{"bob@example.com", "bob-pw", "Bob", "red", "admin", "bob.txt"},
		{"carol@example.com", "carol-pw", "Carol", "blue", "user", "carol.txt"},
	}
	for _, u := range users {
		sum := sha256.Sum256([]byte(u.password))
		if _, err := db.ExecContext(ctx, `INSERT INTO users (email, password_sha256, name, team, role, avatar) VALUES (?, ?, ?, ?, ?, ?)`,
			u.email, hex.EncodeToString(sum[:]), u.name, u.team, u.role, u.avatar); err != nil {
			return nil, err
		}
	}
	return db, nil
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("POST /api/login", a.login)
	mux.HandleFunc("GET /api/items", a.auth(a.items))
	mux.HandleFunc("GET /api/items/{id}", a.auth(a.item))
	mux.HandleFunc("GET /api/me/avatar", a.auth(a.avatar))
	mux.HandleFunc("GET /api/admin/users", a.auth(a.adminUsers))
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// login checks the credentials and answers a token.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, "invalid request body")
		return
	}
	sum := sha256.Sum256([]byte(body.Password))
	var c Claims
	err := a.db.QueryRowContext(r.Context(), `SELECT email, name, team, role, avatar FROM users WHERE email = ? AND password_sha256 = ?`,
		body.Email, hex.EncodeToString(sum[:])).Scan(&c.Sub, &c.Name, &c.Team, &c.Role, &c.Avatar)
	if errors.Is(err, sql.ErrNoRows) {
		fail(w, http.StatusUnauthorized, "invalid email or password")
		return
	}
	if err != nil {
		fail(w, http.StatusInternalServerError, "database error")
		return
	}
	c.Sub, _, _ = strings.Cut(c.Sub, "@")
	writeJSON(w, http.StatusOK, map[string]string{"token": a.sign(c)})
}

var b64 = base64.RawURLEncoding

// sign makes an HS256 token of c. It has no expiry: the tests compare
// tokens.
func (a *app) sign(c Claims) string {
	payload, _ := json.Marshal(c)
	unsigned := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64.EncodeToString(payload)
	mac := hmac.New(sha256.New, a.secret)
	mac.Write([]byte(unsigned))
	return unsigned + "." + b64.EncodeToString(mac.Sum(nil))
}

// parse reads the claims of a bearer token. The mistake: a header that
// says "alg": "none" needs no signature.
func (a *app) parse(auth string) (*Claims, error) {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return nil, errors.New("authorization header missing")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("malformed token")
	}
	hdr, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, errors.New("malformed token header")
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, errors.New("malformed token header")
	}
	switch h.Alg {
	case "none":
	case "HS256":
		mac := hmac.New(sha256.New, a.secret)
		mac.Write([]byte(parts[0] + "." + parts[1]))
		sig, err := b64.DecodeString(parts[2])
		if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
			return nil, errors.New("invalid signature")
		}
	default:
		return nil, fmt.Errorf("unsupported algorithm %q", h.Alg)
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, errors.New("malformed token claims")
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.Sub == "" {
		return nil, errors.New("malformed token claims")
	}
	return &c, nil
}

type authed func(w http.ResponseWriter, r *http.Request, c *Claims)

func (a *app) auth(next authed) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := a.parse(r.Header.Get("Authorization"))
		if err != nil {
			fail(w, http.StatusUnauthorized, err.Error())
			return
		}
		next(w, r, c)
	}
}

type item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// items lists the items of the caller's team, the team the token names,
// written into the query.
func (a *app) items(w http.ResponseWriter, r *http.Request, c *Claims) {
	rows, err := a.db.QueryContext(r.Context(), "SELECT id, name FROM items WHERE team = '"+c.Team+"' ORDER BY id")
	if err != nil {
		fail(w, http.StatusInternalServerError, "database error")
		return
	}
	defer rows.Close()
	list := []item{}
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.ID, &it.Name); err != nil {
			fail(w, http.StatusInternalServerError, "database error")
			return
		}
		list = append(list, it)
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": c.Sub, "items": list})
}

// item answers one item of the caller's team, by a query with parameters.
func (a *app) item(w http.ResponseWriter, r *http.Request, c *Claims) {
	var it item
	err := a.db.QueryRowContext(r.Context(), `SELECT id, name FROM items WHERE id = ? AND team = ?`, r.PathValue("id"), c.Team).Scan(&it.ID, &it.Name)
	if errors.Is(err, sql.ErrNoRows) {
		fail(w, http.StatusNotFound, "no such item")
		return
	}
	if err != nil {
		fail(w, http.StatusInternalServerError, "database error")
		return
	}
	writeJSON(w, http.StatusOK, it)
}

// avatar answers the caller's avatar, the file the token names.
func (a *app) avatar(w http.ResponseWriter, r *http.Request, c *Claims) {
	data, err := os.ReadFile(filepath.Join(a.dataDir, "avatars", c.Avatar))
	if err != nil {
		fail(w, http.StatusNotFound, "no avatar")
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write(data)
}

// adminUsers lists the users, for administrators.
func (a *app) adminUsers(w http.ResponseWriter, r *http.Request, c *Claims) {
	if c.Role != "admin" {
		fail(w, http.StatusForbidden, "administrators only")
		return
	}
	rows, err := a.db.QueryContext(r.Context(), `SELECT email, role FROM users ORDER BY id`)
	if err != nil {
		fail(w, http.StatusInternalServerError, "database error")
		return
	}
	defer rows.Close()
	var out []map[string]string
	for rows.Next() {
		var email, role string
		if err := rows.Scan(&email, &role); err != nil {
			fail(w, http.StatusInternalServerError, "database error")
			return
		}
		out = append(out, map[string]string{"email": email, "role": role})
	}
	writeJSON(w, http.StatusOK, out)
}
