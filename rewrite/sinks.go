package rewrite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/token"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

// Families are the rule families a sink may belong to.
var Families = []string{"sql", "exec", "file", "net", "server"}

// Sink is one call that the build reroutes into the runtime.
type Sink struct {
	Package  string // import path of the sink's package, e.g. "database/sql"
	Receiver string // receiver type for methods, e.g. "*DB"; empty for functions
	Name     string // function or method name
	Family   string // rule family: sql, exec, file or net; or server, for the calls that start an HTTP server
	Hook     string // name of the hook function
	HookPkg  string // import path of the package that holds Hook
	Pos      string // file:line of the entry, for error messages
	// Check, for sinks of libraries the runtime cannot import, is the SQL
	// dialect of an in-place check: the call is wrapped in the runtime's
	// generic CheckedSQL instead of a hook.
	Check string
}

// Key is the sink's name as go/types spells a function's full name:
// "os/exec.Command", "database/sql.(*DB).Query".
func (s *Sink) Key() string {
	switch {
	case s.Receiver == "":
		return s.Package + "." + s.Name
	case strings.HasPrefix(s.Receiver, "*"):
		return s.Package + ".(" + s.Receiver + ")." + s.Name
	}
	return s.Package + "." + s.Receiver + "." + s.Name
}

// Table is a parsed sink table.
type Table struct {
	Sinks   []*Sink
	Exclude []string
	File    string // where the table came from
	Hash    string // hex SHA-256 of the table's bytes

	byKey map[string]*Sink
	// markers are byte strings that a file must contain to reference a
	// sink: the quoted import path of a function sink's package, or
	// ".Name" for a method sink.
	markers [][]byte
}

// Lookup returns the sink with the given full name (see Sink.Key).
func (t *Table) Lookup(key string) *Sink { return t.byKey[key] }

// Excluded reports whether the package with this import path is excluded
// from instrumentation.
func (t *Table) Excluded(importPath string) bool {
	for _, p := range t.Exclude {
		if p == importPath {
			return true
		}
		if sub, ok := strings.CutSuffix(p, "/..."); ok && (importPath == sub || strings.HasPrefix(importPath, sub+"/")) {
			return true
		}
	}
	return false
}

type entry struct {
	Package    string   `yaml:"package"`
	Receiver   string   `yaml:"receiver"`
	Family     string   `yaml:"family"`
	HookPrefix string   `yaml:"hook_prefix"`
	Hooks      string   `yaml:"hooks"`
	Check      string   `yaml:"check"`
	Functions  []string `yaml:"functions"`
}

type document struct {
	Sinks   []yaml.Node `yaml:"sinks"`
	Exclude []string    `yaml:"exclude"`
}

// ParseTable parses a sink table. Errors name the file, the line and the
// field at fault.
func ParseTable(file string, data []byte) (*Table, error) {
	t := &Table{File: file, byKey: map[string]*Sink{}}
	sum := sha256.Sum256(data)
	t.Hash = hex.EncodeToString(sum[:])

	var doc document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s:%s", file, yamlMessage(err))
	}
	if len(doc.Sinks) == 0 {
		return nil, fmt.Errorf("%s:1: sinks: the table lists no sinks", file)
	}
	for i := range doc.Sinks {
		n := &doc.Sinks[i]
		var e entry
		if err := decodeStrict(n, &e); err != nil {
			return nil, fmt.Errorf("%s:%s", file, yamlMessage(err))
		}
		at := func(field string) string { return fmt.Sprintf("%s:%d", file, fieldLine(n, field)) }
		if e.Package == "" {
			return nil, fmt.Errorf("%s: package: missing; name the import path of the sink's package", at(""))
		}
		if !validFamily(e.Family) {
			return nil, fmt.Errorf("%s: family: %q is not one of %s", at("family"), e.Family, strings.Join(Families, ", "))
		}
		switch {
		case e.Check != "":
			if e.Family != "sql" {
				return nil, fmt.Errorf("%s: check: in-place checks are for the sql family; %s sinks need a hook", at("check"), e.Family)
			}
			if !checkDialects[e.Check] {
				return nil, fmt.Errorf("%s: check: %q is not a SQL dialect (postgres, mysql, sqlite, sqlserver, generic)", at("check"), e.Check)
			}
			if e.HookPrefix != "" || e.Hooks != "" {
				return nil, fmt.Errorf("%s: check: an in-place check has no hook; drop hook_prefix and hooks", at("check"))
			}
		case !isIdent(e.HookPrefix):
			return nil, fmt.Errorf("%s: hook_prefix: %q is not a Go identifier", at("hook_prefix"), e.HookPrefix)
		}
		if e.Receiver != "" && !isIdent(strings.TrimPrefix(e.Receiver, "*")) {
			return nil, fmt.Errorf("%s: receiver: %q is not a type name (write T or *T)", at("receiver"), e.Receiver)
		}
		hookPkg := raspinstrument.RuntimePath
		if e.Hooks != "" {
			if !isIdent(e.Hooks) {
				return nil, fmt.Errorf("%s: hooks: %q is not the name of a runtime package (e.g. nethook)", at("hooks"), e.Hooks)
			}
			hookPkg += "/" + e.Hooks
		}
		if len(e.Functions) == 0 {
			return nil, fmt.Errorf("%s: functions: missing; list the function or method names", at("functions"))
		}
		for _, name := range e.Functions {
			if !isIdent(name) {
				return nil, fmt.Errorf("%s: functions: %q is not a Go identifier", at("functions"), name)
			}
			s := &Sink{Package: e.Package, Receiver: e.Receiver, Name: name, Family: e.Family,
				Hook: e.HookPrefix + name, HookPkg: hookPkg, Pos: at("functions"), Check: e.Check}
			if e.Check != "" {
				s.Hook = ""
			}
			if prev := t.byKey[s.Key()]; prev != nil {
				return nil, fmt.Errorf("%s: functions: %s is already listed at %s", at("functions"), s.Key(), prev.Pos)
			}
			t.byKey[s.Key()] = s
			t.Sinks = append(t.Sinks, s)
		}
	}
	t.Exclude = doc.Exclude
	seen := map[string]bool{}
	for _, s := range t.Sinks {
		m := "." + s.Name
		if s.Receiver == "" {
			m = `"` + s.Package + `"`
		}
		if !seen[m] {
			seen[m] = true
			t.markers = append(t.markers, []byte(m))
		}
	}
	return t, nil
}

func decodeStrict(n *yaml.Node, v any) error {
	// yaml.v3 applies KnownFields only through a Decoder; re-encode the node.
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		// Re-anchor the line numbers of the re-encoded node on the file.
		return lineShift{err: err, base: n.Line - 1}
	}
	return nil
}

// lineShift adds base to the "line N" that yaml.v3 puts in its messages.
type lineShift struct {
	err  error
	base int
}

func (l lineShift) Error() string {
	msg := yamlMessage(l.err)
	var line int
	if _, err := fmt.Sscanf(msg, "%d:", &line); err == nil {
		rest := msg[strings.IndexByte(msg, ':')+1:]
		return fmt.Sprintf("%d:%s", line+l.base, rest)
	}
	return msg
}

// yamlMessage turns "yaml: line 3: field x not found in type ..." into
// "3: field x is not a known field ...".
func yamlMessage(err error) string {
	if ls, ok := err.(lineShift); ok {
		return ls.Error()
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	if strings.HasPrefix(msg, "line ") {
		msg = strings.TrimPrefix(msg, "line ")
	}
	if i := strings.Index(msg, "field "); i >= 0 && strings.Contains(msg, "not found in type") {
		name := strings.Fields(msg[i+len("field "):])[0]
		msg = msg[:i] + name + ": unknown field (known: package, receiver, family, hook_prefix, hooks, check, functions)"
	}
	return msg
}

func fieldLine(n *yaml.Node, field string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == field {
			return n.Content[i].Line
		}
	}
	return n.Line
}

// checkDialects are the dialects an in-place check may name.
var checkDialects = map[string]bool{"postgres": true, "mysql": true, "sqlite": true, "sqlserver": true, "generic": true}

func validFamily(f string) bool {
	for _, g := range Families {
		if f == g {
			return true
		}
	}
	return false
}

func isIdent(s string) bool { return token.IsIdentifier(s) }

// LoadTable returns the sink table in force: the file named by path if not
// empty, else the file named by RASP_SINKS, else the table built into the
// tool.
func LoadTable(path string) (*Table, error) {
	if path == "" {
		path = os.Getenv("RASP_SINKS")
	}
	if path == "" {
		return ParseTable("sinks.yaml (built in)", raspinstrument.DefaultSinks)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading sink table: %w", err)
	}
	return ParseTable(path, data)
}

// HookPackages returns the import paths of the runtime packages that hold
// the table's hooks, with, for each, the sink packages whose calls go there.
func (t *Table) HookPackages() map[string][]string {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, s := range t.Sinks {
		if k := s.HookPkg + " " + s.Package; !seen[k] {
			seen[k] = true
			out[s.HookPkg] = append(out[s.HookPkg], s.Package)
		}
	}
	return out
}
