package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	_ "modernc.org/sqlite"

	pb "example.com/grpcsvc/gen/inventoryv1"
)

// maxBody is how much of a fetched body Fetch returns.
const maxBody = 512

// server implements pb.InventoryServer. Every request field that reaches a
// sink is named in the comment of its method.
type server struct {
	pb.UnimplementedInventoryServer
	db         *sql.DB
	docsDir    string
	uploadDir  string
	allowHosts map[string]bool // FetchSafe's allowlist: host or host:port
}

func serve(args []string) {
	flags := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := flags.String("addr", "127.0.0.1:0", "listen address")
	dbPath := flags.String("db", ":memory:", "SQLite database file, created and seeded if it has no items table")
	docsDir := flags.String("docs", ".", "directory of documents served by ReadDoc")
	uploadDir := flags.String("uploads", "uploads", "directory Upload writes under (created)")
	allow := flags.String("allow", "", "comma-separated hosts (host or host:port) FetchSafe may fetch")
	flags.Parse(args)

	db, err := openDB(context.Background(), *dbPath)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*uploadDir, 0o755); err != nil {
		log.Fatal(err)
	}
	s := &server{db: db, docsDir: *docsDir, uploadDir: *uploadDir, allowHosts: map[string]bool{}}
	for _, h := range strings.Split(*allow, ",") {
		if h = strings.TrimSpace(h); h != "" {
			s.allowHosts[strings.ToLower(h)] = true
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(requestIDUnary),
		grpc.ChainStreamInterceptor(requestIDStream),
	)
	pb.RegisterInventoryServer(gs, s)
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(gs.Serve(ln))
}

// openDB opens the database and seeds it the first time, as webapp does.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one connection: ":memory:" is per connection
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, owner TEXT, name TEXT, sku TEXT, tags TEXT, price INTEGER, secret TEXT)`); err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		_, err := db.ExecContext(ctx, `INSERT INTO items (owner, name, sku, tags, price, secret) VALUES
			('alice', 'apple', 'SKU-1', 'fruit,red', 3, 'a-secret'),
			('alice', 'pear', 'SKU-2', 'fruit', 4, 'p-secret'),
			('bob', 'O''Brien tea', 'SKU-3', 'drink', 7, 't-secret'),
			('carol', 'safe', 'SKU-4', 'vault', 99, 'c-secret')`)
		if err != nil {
			return nil, err
		}
	}
	return db, nil
}

// FindItems is vulnerable: req.Owner is concatenated into the query.
func (s *server) FindItems(ctx context.Context, req *pb.FindItemsRequest) (*pb.FindItemsResponse, error) {
	q := "SELECT id, owner, name, sku, price FROM items WHERE owner = '" + req.GetOwner() + "'"
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, rpcError(err)
	}
	return scanItems(rows)
}

// FindItemsSafe is safe: req.Owner and every part of req.Filter are
// parameters of the query.
func (s *server) FindItemsSafe(ctx context.Context, req *pb.FindItemsRequest) (*pb.FindItemsResponse, error) {
	q := "SELECT id, owner, name, sku, price FROM items WHERE owner = ?"
	args := []any{req.GetOwner()}
	f := req.GetFilter()
	if f.GetName() != "" {
		q += " AND name = ?"
		args = append(args, f.GetName())
	}
	for _, t := range f.GetTags() {
		q += " AND ',' || tags || ',' LIKE '%,' || ? || ',%'"
		args = append(args, t)
	}
	switch k := f.GetKind().(type) { // the oneof
	case *pb.Filter_Sku:
		q += " AND sku = ?"
		args = append(args, k.Sku)
	case *pb.Filter_Id:
		q += " AND id = ?"
		args = append(args, k.Id)
	}
	// labels are not stored; a label "secret" would be a bug to look for.
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, rpcError(err)
	}
	return scanItems(rows)
}

func scanItems(rows *sql.Rows) (*pb.FindItemsResponse, error) {
	defer rows.Close()
	resp := &pb.FindItemsResponse{}
	for rows.Next() {
		it := &pb.Item{}
		if err := rows.Scan(&it.Id, &it.Owner, &it.Name, &it.Sku, &it.Price); err != nil {
			return nil, rpcError(err)
		}
		resp.Items = append(resp.Items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, rpcError(err)
	}
	return resp, nil
}

// Ping is vulnerable: req.Host goes through a shell.
func (s *server) Ping(ctx context.Context, req *pb.PingRequest) (*pb.PingResponse, error) {
	out, err := exec.CommandContext(ctx, "sh", "-c", "echo pinging "+req.GetHost()).CombinedOutput()
	if err != nil {
		return nil, rpcError(err)
	}
	return &pb.PingResponse{Output: string(out)}, nil
}

// PingSafe is safe: req.Host is one argument of echo, no shell.
func (s *server) PingSafe(ctx context.Context, req *pb.PingRequest) (*pb.PingResponse, error) {
	if strings.HasPrefix(req.GetHost(), "-") {
		return nil, status.Error(codes.InvalidArgument, "bad host")
	}
	out, err := exec.CommandContext(ctx, "echo", "pinging", req.GetHost()).CombinedOutput()
	if err != nil {
		return nil, rpcError(err)
	}
	return &pb.PingResponse{Output: string(out)}, nil
}

// ReadDoc is vulnerable: req.Name may climb out of the documents directory.
func (s *server) ReadDoc(ctx context.Context, req *pb.ReadDocRequest) (*pb.ReadDocResponse, error) {
	data, err := os.ReadFile(filepath.Join(s.docsDir, req.GetName()))
	if err != nil {
		return nil, rpcError(err)
	}
	return &pb.ReadDocResponse{Content: strings.ToValidUTF8(string(data), "\uFFFD")}, nil
}

// ReadDocSafe is safe: req.Name must be a local path (no "..", not
// absolute) before it is joined.
func (s *server) ReadDocSafe(ctx context.Context, req *pb.ReadDocRequest) (*pb.ReadDocResponse, error) {
	if !filepath.IsLocal(req.GetName()) {
		return nil, status.Error(codes.InvalidArgument, "bad document name")
	}
	data, err := os.ReadFile(filepath.Join(s.docsDir, req.GetName()))
	if err != nil {
		return nil, rpcError(err)
	}
	return &pb.ReadDocResponse{Content: strings.ToValidUTF8(string(data), "\uFFFD")}, nil
}

// Fetch is vulnerable: it GETs whatever req.Url says.
func (s *server) Fetch(ctx context.Context, req *pb.FetchRequest) (*pb.FetchResponse, error) {
	resp, err := http.Get(req.GetUrl())
	if err != nil {
		return nil, rpcError(err)
	}
	return readBody(resp)
}

// safeClient follows no redirect: a redirect could lead off the allowlist.
var safeClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// FetchSafe is safe: req.Url must be http(s) to a host on the -allow list.
func (s *server) FetchSafe(ctx context.Context, req *pb.FetchRequest) (*pb.FetchResponse, error) {
	u, err := url.Parse(req.GetUrl())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return nil, status.Error(codes.InvalidArgument, "bad url")
	}
	if !s.allowHosts[strings.ToLower(u.Host)] && !s.allowHosts[strings.ToLower(u.Hostname())] {
		return nil, status.Errorf(codes.PermissionDenied, "host %q is not allowed", u.Host)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, rpcError(err)
	}
	resp, err := safeClient.Do(hreq)
	if err != nil {
		return nil, rpcError(err)
	}
	return readBody(resp)
}

func readBody(resp *http.Response) (*pb.FetchResponse, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, rpcError(err)
	}
	return &pb.FetchResponse{Status: int32(resp.StatusCode), Body: strings.ToValidUTF8(string(body), "\uFFFD")}, nil
}

// Upload is vulnerable: each chunk's Path, from the client stream, is
// joined to the upload directory unchecked. Chunks with an empty path
// continue the file before them; each file is written when the stream ends.
func (s *server) Upload(stream grpc.ClientStreamingServer[pb.UploadChunk, pb.UploadResponse]) error {
	var order []string
	files := map[string][]byte{}
	path := ""
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if chunk.GetPath() != "" {
			path = chunk.GetPath()
		}
		if path == "" {
			return status.Error(codes.InvalidArgument, "first chunk has no path")
		}
		if _, ok := files[path]; !ok {
			order = append(order, path)
		}
		files[path] = append(files[path], chunk.GetData()...)
	}
	resp := &pb.UploadResponse{}
	for _, p := range order {
		if err := os.WriteFile(filepath.Join(s.uploadDir, p), files[p], 0o644); err != nil {
			return rpcError(err)
		}
		resp.Files++
		resp.Bytes += int64(len(files[p]))
	}
	return stream.SendAndClose(resp)
}

// rpcError maps an error to a status: a refusal by the runtime (recognised,
// as webapp does, by its message, without importing it) is PermissionDenied
// "blocked"; a missing file NotFound; anything else Internal.
func rpcError(err error) error {
	switch {
	case strings.Contains(err.Error(), "blocked by rule"):
		return status.Error(codes.PermissionDenied, "blocked")
	case errors.Is(err, fs.ErrNotExist):
		return status.Error(codes.NotFound, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// requestID returns the request's x-request-id metadata, or a new one.
func requestID(ctx context.Context) string {
	var id string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("x-request-id"); len(v) > 0 {
			id = v[0]
		}
	}
	if id == "" {
		b := make([]byte, 8)
		rand.Read(b)
		id = hex.EncodeToString(b)
	}
	return id
}

// requestIDUnary and requestIDStream tag every call with its request id, a
// trailer of its answer as request-id middleware sets one, and log it with
// the call's outcome on stderr.
func requestIDUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	id := requestID(ctx)
	grpc.SetTrailer(ctx, metadata.Pairs("x-request-id", id))
	resp, err := handler(ctx, req)
	log.Printf("%s %s %s", id, info.FullMethod, status.Code(err))
	return resp, err
}

func requestIDStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	id := requestID(ss.Context())
	ss.SetTrailer(metadata.Pairs("x-request-id", id))
	err := handler(srv, ss)
	log.Printf("%s %s %s", id, info.FullMethod, status.Code(err))
	return err
}
