// Command githost is a small Git hosting service in the shape of the
// public ones: repositories on disk driven through a git command library
// (package gitcmd), pull requests and mirrors saved in a store and read
// back later by other requests and by background work, repository
// migration by URL, and the API routes of the big services
// (/api/v1/repos/{owner}/{repo}/git/trees/{sha}).
//
// It is vulnerable as such services were before their advisories: branch
// names and URLs reach git unchecked. The integration script
// integration/testdata/githost.txtar attacks it.
//
//	githost -data DIR [-addr 127.0.0.1:0]      serve
//	githost -data DIR sync                     fetch every mirror, then exit
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"example.com/githost/gitcmd"
	"example.com/githost/store"
)

type server struct {
	data  string
	store *store.Store
	jobs  chan job
}

// job is background work: a worker goroutine started with the server runs
// it, outside any request, and answers on reply.
type job struct {
	pull  store.Pull
	reply chan error
}

func main() {
	dataDir := flag.String("data", "", "data directory")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	if *dataDir == "" {
		log.Fatal("githost: -data is required")
	}
	s := &server{data: *dataDir, store: store.Open(filepath.Join(*dataDir, "store.json")), jobs: make(chan job)}
	if flag.Arg(0) == "sync" {
		if err := s.syncMirrors(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "sync:", err)
			os.Exit(1)
		}
		fmt.Println("mirrors synced")
		return
	}
	go s.worker()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/repos/{name}", s.createRepo)
	mux.HandleFunc("POST /api/repos/{name}/contents", s.commitFile)
	mux.HandleFunc("POST /api/repos/{name}/pulls", s.createPull)
	mux.HandleFunc("GET /api/repos/{name}/pulls/{id}/diff", s.pullDiff)
	mux.HandleFunc("POST /api/repos/{name}/pulls/{id}/check", s.pullCheck)
	mux.HandleFunc("GET /api/repos/{name}/commits/{rev}", s.commit)
	mux.HandleFunc("GET /api/repos/{name}/search", s.search)
	mux.HandleFunc("GET /api/v1/repos/{owner}/{repo}/git/trees/{sha}", s.tree)
	mux.HandleFunc("POST /api/repos/migrate", s.migrate)
	mux.HandleFunc("POST /api/repos/{name}/mirror", s.addMirror)
	mux.HandleFunc("GET /internal/", s.internal)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on", l.Addr())
	log.Fatal(http.Serve(l, withCSRF(mux)))
}

// withCSRF gives every page a fresh CSRF token cookie before it is
// served, as the hosting services' middleware does: a form the user posts
// next must carry it.
func withCSRF(next http.Handler) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "_csrf", Value: "token-" + strconv.FormatInt(n.Add(1), 10), Path: "/", HttpOnly: true})
		next.ServeHTTP(w, r)
	})
}

func (s *server) repoDir(name string) string { return filepath.Join(s.data, "repos", name) }

func fail(w http.ResponseWriter, err error, code int) {
	http.Error(w, err.Error(), code)
}

// createRepo makes a repository with one commit on main.
func (s *server) createRepo(w http.ResponseWriter, r *http.Request) {
	dir := s.repoDir(r.PathValue("name"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	if _, err := gitcmd.New("init", "-q", "-b", "main").Run(r.Context(), dir); err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# "+r.PathValue("name")+"\n"), 0o644); err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	for _, c := range []*gitcmd.Command{gitcmd.New("add", "README.md"), gitcmd.New("commit", "-q", "-m", "initial commit")} {
		if _, err := c.Run(r.Context(), dir); err != nil {
			fail(w, err, http.StatusInternalServerError)
			return
		}
	}
	fmt.Fprintln(w, "created", r.PathValue("name"))
}

// commitFile commits one file on a branch, made from main if new.
func (s *server) commitFile(w http.ResponseWriter, r *http.Request) {
	var in struct{ Branch, Path, Content, Message string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, err, http.StatusBadRequest)
		return
	}
	dir := s.repoDir(r.PathValue("name"))
	ctx := r.Context()
	if _, err := gitcmd.New("checkout", "-q", "-B").AddDynamicArguments(in.Branch).Run(ctx, dir); err != nil {
		fail(w, err, http.StatusBadRequest)
		return
	}
	defer gitcmd.New("checkout", "-q", "main").Run(ctx, dir)
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(in.Path)), []byte(in.Content), 0o644); err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	if _, err := gitcmd.New("add", "--").AddDynamicArguments(filepath.Base(in.Path)).Run(ctx, dir); err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	if _, err := gitcmd.New("commit", "-q", "-m").AddDynamicArguments(in.Message).Run(ctx, dir); err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "committed to", in.Branch)
}

// createPull saves a pull request: its branch names are stored as given,
// and used later.
func (s *server) createPull(w http.ResponseWriter, r *http.Request) {
	var in struct{ Base, Head string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, err, http.StatusBadRequest)
		return
	}
	id, err := s.store.AddPull(store.Pull{Repo: r.PathValue("name"), Base: in.Base, Head: in.Head})
	if err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, id)
}

func (s *server) loadPull(w http.ResponseWriter, r *http.Request) (store.Pull, bool) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	p, ok, err := s.store.Pull(r.PathValue("name"), id)
	if err != nil {
		fail(w, err, http.StatusInternalServerError)
		return p, false
	}
	if !ok {
		http.NotFound(w, r)
	}
	return p, ok
}

// pullDiff shows a pull request's diff: the branch names come from the
// store, not from this request.
func (s *server) pullDiff(w http.ResponseWriter, r *http.Request) {
	p, ok := s.loadPull(w, r)
	if !ok {
		return
	}
	out, err := gitcmd.New("diff", "--stat").AddDynamicArguments(p.Base, p.Head).Run(r.Context(), s.repoDir(p.Repo))
	if err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	w.Write(out)
}

// pullCheck has the worker test whether a pull request merges cleanly:
// background work, outside the request.
func (s *server) pullCheck(w http.ResponseWriter, r *http.Request) {
	p, ok := s.loadPull(w, r)
	if !ok {
		return
	}
	reply := make(chan error, 1)
	s.jobs <- job{pull: p, reply: reply}
	if err := <-reply; err != nil {
		fail(w, err, http.StatusConflict)
		return
	}
	fmt.Fprintln(w, "mergeable")
}

func (s *server) worker() {
	for j := range s.jobs {
		_, err := gitcmd.New("diff", "--quiet", "--exit-code").AddDynamicArguments(j.pull.Base, j.pull.Head).Run(context.Background(), s.repoDir(j.pull.Repo))
		if ee, ok := errorsAsExit(err); ok && ee {
			err = nil // differences: still mergeable
		}
		j.reply <- err
	}
}

// errorsAsExit reports whether err is git diff's exit status 1 (the trees
// differ).
func errorsAsExit(err error) (bool, bool) {
	if err == nil {
		return false, false
	}
	return strings.Contains(err.Error(), "exit status 1"), true
}

// commit resolves a revision, with git's --end-of-options before it: a
// revision that starts with "-" is a revision, never an option.
func (s *server) commit(w http.ResponseWriter, r *http.Request) {
	out, err := gitcmd.New("rev-parse", "--verify", "-q", "--end-of-options").AddDynamicArguments(r.PathValue("rev")).Run(r.Context(), s.repoDir(r.PathValue("name")))
	if err != nil {
		http.Error(w, "no such revision", http.StatusNotFound)
		return
	}
	w.Write(out)
}

// search greps the log's messages.
func (s *server) search(w http.ResponseWriter, r *http.Request) {
	out, err := gitcmd.New("log", "--all", "--oneline", "--fixed-strings", "--grep").AddDynamicArguments(r.URL.Query().Get("q")).Run(r.Context(), s.repoDir(r.PathValue("name")))
	if err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	w.Write(out)
}

// tree lists a tree, on the route of the big services' API.
func (s *server) tree(w http.ResponseWriter, r *http.Request) {
	out, err := gitcmd.New("ls-tree", "--name-only", "--end-of-options").AddDynamicArguments(r.PathValue("sha")).Run(r.Context(), s.repoDir(r.PathValue("repo")))
	if err != nil {
		http.Error(w, "no such tree", http.StatusNotFound)
		return
	}
	w.Write(out)
}

// migrate clones a repository from a URL the user gives.
func (s *server) migrate(w http.ResponseWriter, r *http.Request) {
	var in struct{ URL, Name string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, err, http.StatusBadRequest)
		return
	}
	if _, err := gitcmd.New("clone", "-q", "--mirror").AddDynamicArguments(in.URL, s.repoDir(filepath.Base(in.Name))).Run(r.Context(), s.data); err != nil {
		fail(w, err, http.StatusBadGateway)
		return
	}
	fmt.Fprintln(w, "migrated", in.Name)
}

// addMirror saves a mirror URL for the sync job.
func (s *server) addMirror(w http.ResponseWriter, r *http.Request) {
	var in struct{ URL string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, err, http.StatusBadRequest)
		return
	}
	if err := s.store.AddMirror(store.Mirror{Repo: r.PathValue("name"), URL: in.URL}); err != nil {
		fail(w, err, http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "mirror saved")
}

// syncMirrors fetches every saved mirror: the job a scheduler runs.
func (s *server) syncMirrors(ctx context.Context) error {
	ms, err := s.store.Mirrors()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if _, err := gitcmd.New("fetch", "-q").AddDynamicArguments(m.URL).Run(ctx, s.repoDir(m.Repo)); err != nil {
			return err
		}
	}
	return nil
}

// internal stands for a service that only the host should reach (an
// admin API, a metadata endpoint): it records that it was reached.
func (s *server) internal(w http.ResponseWriter, r *http.Request) {
	os.WriteFile(filepath.Join(s.data, "internal-reached"), []byte(r.URL.Path+"\n"), 0o644)
	http.NotFound(w, r)
}
