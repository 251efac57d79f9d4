// Command vulnbench is an intentionally vulnerable web application in the
// styles of public Go test benches: commands built from one input, argv
// arrays from JSON bodies, paths from inputs under variable directories,
// names decoded after the check, XML bodies and custom headers. Each
// vulnerable handler has a benign twin or a benign use, so the integration
// script can show that only the exploits are refused.
//
//	vulnbench -dir DIR    serves on a loopback port; DIR holds uploads/
package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

type server struct {
	dir string // the data directory, from a flag: a variable the build cannot see
}

func main() {
	dir := flag.String("dir", ".", "data directory (holds uploads/)")
	flag.Parse()
	s := &server{dir: *dir}
	mux := http.NewServeMux()
	// Commands.
	mux.HandleFunc("/run", s.run)
	mux.HandleFunc("/run-cookie", s.runCookie)
	mux.HandleFunc("/run-json", s.runJSON)
	mux.HandleFunc("/echo", s.echo)
	mux.HandleFunc("/git-log", s.gitLog)
	mux.HandleFunc("/script", s.script)
	// Paths.
	mux.HandleFunc("/read", s.read)
	mux.HandleFunc("/download", s.download)
	mux.HandleFunc("/upload", s.upload)
	mux.HandleFunc("/upload-decoded", s.uploadDecoded)
	mux.HandleFunc("/upload-base", s.uploadBase)
	mux.HandleFunc("/fds", s.fds)
	// Inputs.
	mux.HandleFunc("/xml", s.xmlDoc)
	mux.HandleFunc("/header-file", s.headerFile)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("listening on", ln.Addr())
	http.Serve(ln, mux)
}

func fail(w http.ResponseWriter, err error) {
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

func output(w http.ResponseWriter, cmd *exec.Cmd) {
	out, err := cmd.CombinedOutput()
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(out)
}

// run runs the command line it is given: program and arguments from one
// input, as a "diagnostics" page does.
func (s *server) run(w http.ResponseWriter, r *http.Request) {
	parts := strings.Fields(r.URL.Query().Get("cmd"))
	if len(parts) == 0 {
		http.Error(w, "no command", http.StatusBadRequest)
		return
	}
	output(w, exec.Command(parts[0], parts[1:]...))
}

// runCookie is run with the command line in a cookie and a context.
func (s *server) runCookie(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("cmd")
	if err != nil {
		http.Error(w, "no cookie", http.StatusBadRequest)
		return
	}
	parts := strings.Fields(c.Value)
	if len(parts) == 0 {
		http.Error(w, "no command", http.StatusBadRequest)
		return
	}
	output(w, exec.CommandContext(context.Background(), parts[0], parts[1:]...))
}

// runJSON runs {"argv": [...]}.
func (s *server) runJSON(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Argv []string `json:"argv"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Argv) == 0 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	output(w, exec.Command(req.Argv[0], req.Argv[1:]...))
}

// echo echoes a message: whatever it holds, echo prints it.
func (s *server) echo(w http.ResponseWriter, r *http.Request) {
	output(w, exec.Command("echo", "arg:", r.URL.Query().Get("msg")))
}

// gitLog shows the log of a revision: git takes options that write files.
func (s *server) gitLog(w http.ResponseWriter, r *http.Request) {
	output(w, exec.Command("git", "-C", s.dir, "log", "--oneline", r.URL.Query().Get("rev")))
}

// script runs a shell script it is given, as an "automation" endpoint does.
func (s *server) script(w http.ResponseWriter, r *http.Request) {
	output(w, exec.Command("sh", "-c", r.URL.Query().Get("s")))
}

// read returns the file it is given by its whole path.
func (s *server) read(w http.ResponseWriter, r *http.Request) {
	b, err := os.ReadFile(r.URL.Query().Get("path"))
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(b)
}

// download serves a file of the data directory through net/http.
func (s *server) download(w http.ResponseWriter, r *http.Request) {
	http.ServeFile(w, r, r.URL.Query().Get("file"))
}

// upload returns an uploaded file, the directory in a field.
func (s *server) upload(w http.ResponseWriter, r *http.Request) {
	b, err := os.ReadFile(s.dir + "/uploads/" + r.URL.Query().Get("name"))
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(b)
}

// uploadDecoded refuses names with "../", then decodes them.
func (s *server) uploadDecoded(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if strings.Contains(name, "../") {
		http.Error(w, "bad name", http.StatusBadRequest)
		return
	}
	name, err := url.PathUnescape(name)
	if err != nil {
		http.Error(w, "bad name", http.StatusBadRequest)
		return
	}
	b, err := os.ReadFile(s.dir + "/uploads/" + name)
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(b)
}

// uploadBase keeps only the base name: nothing escapes uploads/.
func (s *server) uploadBase(w http.ResponseWriter, r *http.Request) {
	b, err := os.ReadFile(filepath.Join(s.dir, "uploads", filepath.Base(r.URL.Query().Get("name"))))
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(b)
}

// fds counts the open files of this process, as monitoring middleware
// does: the path holds an integer the program computed.
func (s *server) fds(w http.ResponseWriter, r *http.Request) {
	d, err := os.Open(fmt.Sprintf("%s/%d/fd", "/proc", os.Getpid()))
	if err != nil {
		fail(w, err)
		return
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		fail(w, err)
		return
	}
	fmt.Fprintln(w, len(names) > 0)
}

// xmlDoc takes an XML request: <req><file>NAME</file></req> returns the
// upload NAME; <req><cmd>PROG</cmd><cmd>ARG</cmd>...</req> runs a command.
func (s *server) xmlDoc(w http.ResponseWriter, r *http.Request) {
	var req struct {
		File string   `xml:"file"`
		Cmd  []string `xml:"cmd"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := xml.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if len(req.Cmd) > 0 {
		output(w, exec.Command(req.Cmd[0], req.Cmd[1:]...))
		return
	}
	b, err := os.ReadFile(s.dir + "/uploads/" + req.File)
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(b)
}

// headerFile returns the upload named by the X-File header.
func (s *server) headerFile(w http.ResponseWriter, r *http.Request) {
	b, err := os.ReadFile(s.dir + "/uploads/" + r.Header.Get("X-File"))
	if err != nil {
		fail(w, err)
		return
	}
	w.Write(b)
}
