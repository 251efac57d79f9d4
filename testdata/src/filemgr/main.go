// Command filemgr is a small web file manager in the shape of the public
// Go ones: it serves a data directory (raw download, preview, save,
// rename, copy, delete, public shares) and extracts uploaded zip and tar
// archives into it; a name sent with '\' separators is turned into '/'.
// With -extract it extracts an archive from the command line, outside any
// request. It trusts the data directory's symbolic links and the archives'
// entry names: the test scripts exploit both.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

var root string

// clean turns the Windows separators a client may send into '/'.
func clean(name string) string { return strings.ReplaceAll(name, "\\", "/") }

func main() {
	dir := flag.String("dir", ".", "the directory served")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	archive := flag.String("extract", "", "extract this archive into -to and exit")
	to := flag.String("to", ".", "where -extract writes")
	flag.Parse()
	root = *dir
	if *archive != "" {
		b, err := os.ReadFile(*archive)
		if err != nil {
			log.Fatal(err)
		}
		if err := extract(b, strings.HasSuffix(*archive, ".tar"), *to); err != nil {
			log.Fatal(err)
		}
		return
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /raw/{path...}", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join(root, clean(r.PathValue("path"))))
		reply(w, b, err)
	})
	mux.HandleFunc("GET /preview", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(filepath.Join(root, clean(r.URL.Query().Get("path"))))
		if err != nil {
			reply(w, nil, err)
			return
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, 4096))
		reply(w, b, err)
	})
	mux.HandleFunc("GET /share/{id}/{path...}", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join(root, "shares", r.PathValue("id"), clean(r.PathValue("path"))))
		reply(w, b, err)
	})
	mux.HandleFunc("POST /save", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reply(w, []byte("saved\n"), os.WriteFile(filepath.Join(root, clean(r.URL.Query().Get("path"))), b, 0o644))
	})
	mux.HandleFunc("POST /rename", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		reply(w, []byte("renamed\n"), os.Rename(filepath.Join(root, clean(q.Get("from"))), filepath.Join(root, clean(q.Get("to")))))
	})
	mux.HandleFunc("POST /copy", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		b, err := os.ReadFile(filepath.Join(root, clean(q.Get("from"))))
		if err == nil {
			err = os.WriteFile(filepath.Join(root, clean(q.Get("to"))), b, 0o644)
		}
		reply(w, []byte("copied\n"), err)
	})
	mux.HandleFunc("POST /delete", func(w http.ResponseWriter, r *http.Request) {
		reply(w, []byte("deleted\n"), os.Remove(filepath.Join(root, clean(r.URL.Query().Get("path")))))
	})
	mux.HandleFunc("POST /extract", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err == nil {
			err = extract(b, r.URL.Query().Get("type") == "tar", filepath.Join(root, clean(r.URL.Query().Get("dest"))))
		}
		reply(w, []byte("extracted\n"), err)
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}

func reply(w http.ResponseWriter, b []byte, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(b)
}

// extract writes the archive's entries under dest, trusting their names.
func extract(b []byte, isTar bool, dest string) error {
	if isTar {
		tr := tar.NewReader(bytes.NewReader(b))
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			target := filepath.Join(dest, hdr.Name)
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, data, 0o644); err != nil {
				return err
			}
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		target := filepath.Join(dest, f.Name)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			rc.Close()
			return err
		}
		_, err = io.Copy(out, rc)
		rc.Close()
		out.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
