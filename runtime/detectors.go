package rasp

import (
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// SQLDetector judges a SQL query about to be sent to a database. dialect is
// the SQL dialect of the driver in use, when the hook can tell it.
type SQLDetector interface {
	CheckSQL(site *Site, query string, dialect sqli.Dialect) (Finding, bool)
}

// CommandDetector judges the argv of a command about to be built or started.
type CommandDetector interface {
	CheckCommand(site *Site, argv []string) (Finding, bool)
}

// PathDetector judges a file path about to be opened, created or changed.
type PathDetector interface {
	CheckPath(site *Site, path string) (Finding, bool)
}

// NetDetector judges an address about to be dialed or a URL about to be
// fetched.
type NetDetector interface {
	CheckAddr(site *Site, network, address string) (Finding, bool)
	CheckURL(site *Site, rawURL string) (Finding, bool)
}

// Detectors holds the detector in force for each family.
type Detectors struct {
	SQL  SQLDetector
	Exec CommandDetector
	File PathDetector
	Net  NetDetector
}

var detectors = Detectors{
	SQL:  structuralSQL{},
	Exec: basicExec{},
	File: basicPath{},
	Net:  basicNet{},
}

// SetDetectors replaces the detectors; nil fields keep the current ones. It
// is meant for tests and start-up, before sinks are called concurrently.
func SetDetectors(d Detectors) {
	if d.SQL != nil {
		detectors.SQL = d.SQL
	}
	if d.Exec != nil {
		detectors.Exec = d.Exec
	}
	if d.File != nil {
		detectors.File = d.File
	}
	if d.Net != nil {
		detectors.Net = d.Net
	}
}

// structuralSQL judges a query by its structure with the context-free rules
// of package sqli: tautologies, UNION SELECT after a complete statement,
// stacked statements, truncating comments, time probes, file access and
// error-based extractors. Parameterised queries take sqli's fast path.
type structuralSQL struct{}

func (structuralSQL) CheckSQL(_ *Site, q string, d sqli.Dialect) (Finding, bool) {
	f, ok := sqli.Check(q, nil, d)
	if !ok {
		return Finding{}, false
	}
	return Finding{Rule: f.Rule, Detail: "offending token: " + sqli.Redact(q[f.Start:f.End], d), Value: sqli.Redact(q, d),
		Start: f.Start, End: f.End}, true
}

// basicExec flags a shell script (sh -c) that chains or substitutes commands.
type basicExec struct{}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "ash": true}

func (basicExec) CheckCommand(_ *Site, argv []string) (Finding, bool) {
	if len(argv) < 3 || !shells[filepath.Base(argv[0])] {
		return Finding{}, false
	}
	for i := 1; i < len(argv)-1; i++ {
		if argv[i] == "-c" {
			if strings.ContainsAny(argv[i+1], ";|&`\n") || strings.Contains(argv[i+1], "$(") {
				return Finding{Rule: "cmdi-shell-metachar", Detail: "a shell script chains or substitutes commands"}, true
			}
			return Finding{}, false
		}
	}
	return Finding{}, false
}

// basicPath flags .. segments, NUL bytes and well-known sensitive files.
type basicPath struct{}

var sensitiveFiles = map[string]bool{"/etc/shadow": true, "/etc/passwd": true, "/proc/self/environ": true}

func (basicPath) CheckPath(_ *Site, p string) (Finding, bool) {
	if strings.IndexByte(p, 0) >= 0 {
		return Finding{Rule: "path-nul-byte", Detail: "NUL byte in path"}, true
	}
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return Finding{Rule: "path-traversal", Detail: ".. segment in path", Value: p}, true
		}
	}
	if sensitiveFiles[filepath.Clean(p)] {
		return Finding{Rule: "path-sensitive-file", Detail: "sensitive file", Value: p}, true
	}
	return Finding{}, false
}

// basicNet flags connections to cloud metadata endpoints.
type basicNet struct{}

var metadataHosts = map[string]bool{
	"169.254.169.254": true, "fd00:ec2::254": true, "100.100.100.200": true,
	"168.63.129.16": true, "metadata.google.internal": true,
}

func (basicNet) CheckAddr(_ *Site, _, address string) (Finding, bool) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	if metadataHosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
		return Finding{Rule: "ssrf-metadata", Detail: "cloud metadata endpoint", Value: address}, true
	}
	return Finding{}, false
}

func (b basicNet) CheckURL(site *Site, raw string) (Finding, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return Finding{}, false
	}
	return b.CheckAddr(site, "tcp", u.Host)
}
