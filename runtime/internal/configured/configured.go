// Package configured tells whether the program's configuration names a
// host. A destination reached outside any request whose host is neither
// written in the program (package literal) nor named by its configuration
// was stored at run time: by users (a webhook or mirror URL saved by an
// earlier request), never by the operator. The configuration is what the
// process was started with: the values of its environment, its arguments
// (flags), and the text of the configuration files they name. It is read
// once, the first time a check needs it (a destination at an internal
// address outside a request).
package configured

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

const (
	maxConfigFiles    = 32
	maxConfigFileSize = 1 << 20
	maxConfigHosts    = 1 << 16
)

// Hosts returns the host-like words of the configuration, lower case,
// read the first time it is called. Tests replace it.
var Hosts = sync.OnceValue(loadConfigHosts)

func loadConfigHosts() map[string]bool {
	set := map[string]bool{}
	var files []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.EqualFold(k, "NO_PROXY") {
			continue // the hosts reached without the proxy, not destinations
		}
		addHostWords(set, v)
		files = appendConfigFile(files, v)
	}
	for _, a := range os.Args[1:] {
		addHostWords(set, a)
		files = appendConfigFile(files, a)
		if _, v, ok := strings.Cut(a, "="); ok {
			files = appendConfigFile(files, v)
		}
	}
	for _, name := range files {
		if data, ok := readConfigFile(name); ok {
			addHostWords(set, string(data))
		}
	}
	return set
}

// Value reports whether v is one of the values the process was started
// with: an argument (or the part of one after "="), or the value of an
// environment variable.
func Value(v string) bool { return Values()[v] }

// Values returns the set of the values Value looks in, read the first
// time it is called. Tests add to it.
var Values = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, a := range os.Args[1:] {
		set[a] = true
		if _, v, ok := strings.Cut(a, "="); ok {
			set[v] = true
		}
	}
	for _, kv := range os.Environ() {
		if _, v, ok := strings.Cut(kv, "="); ok {
			set[v] = true
		}
	}
	return set
})

// Host reports whether the configuration names host (a name or an
// address, without port or brackets; any case).
func Host(host string) bool {
	return host != "" && Hosts()[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// configExts are the extensions of files that hold configuration. A data
// file (a JSON store, a database) named by a flag is not configuration:
// .json and .xml files count only when their name says so.
var configExts = map[string]bool{
	".ini": true, ".conf": true, ".cfg": true, ".cnf": true, ".yaml": true, ".yml": true,
	".toml": true, ".env": true, ".properties": true, ".hcl": true,
}

// appendConfigFile appends v to files when it names a configuration file.
func appendConfigFile(files []string, v string) []string {
	if len(files) >= maxConfigFiles || v == "" || len(v) > 4096 || strings.ContainsAny(v, "\n\x00") {
		return files
	}
	base := strings.ToLower(filepath.Base(v))
	ext := filepath.Ext(base)
	named := strings.Contains(base, "conf") || strings.Contains(base, "setting")
	if !configExts[ext] && !((ext == ".json" || ext == ".xml" || ext == "") && named) {
		return files
	}
	return append(files, v)
}

// readConfigFile reads a regular text file of at most maxConfigFileSize
// bytes.
func readConfigFile(name string) ([]byte, bool) {
	f, err := os.Open(name)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > maxConfigFileSize {
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFileSize))
	if err != nil || bytes.IndexByte(data, 0) >= 0 {
		return nil, false
	}
	return data, true
}

// addHostWords adds to set the words of s that may be hosts: runs of
// letters, digits, '.', '-' and '_' (names and IPv4 addresses), and runs of
// hexadecimal digits, ':' and '.' holding a ':' (IPv6 addresses).
func addHostWords(set map[string]bool, s string) {
	s = strings.ToLower(s)
	add := func(w string) {
		w = strings.Trim(w, ".")
		if len(w) >= 2 && len(set) < maxConfigHosts {
			set[w] = true
		}
	}
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isHostWordByte(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			add(s[start:i])
			start = -1
		}
	}
	start = -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isIPv6Byte(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if w := s[start:i]; strings.Count(w, ":") >= 2 {
				add(w)
			}
			start = -1
		}
	}
}

func isHostWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_'
}

func isIPv6Byte(c byte) bool {
	return 'a' <= c && c <= 'f' || '0' <= c && c <= '9' || c == ':' || c == '.'
}
