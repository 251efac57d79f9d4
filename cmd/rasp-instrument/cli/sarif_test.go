package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rasp-instrument/rasp-instrument/rewrite/callsite"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// sarifSchema compiles the SARIF 2.1.0 schema in testdata, with formats
// (uri, date-time) asserted.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validSARIF encodes log as diff --sarif does, validates it against sch
// and returns it decoded again.
func validSARIF(t *testing.T, sch *jsonschema.Schema, log *sarifLog) *sarifLog {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("diff --sarif output is not valid SARIF 2.1.0: %v\n%s", err, buf.Bytes())
	}
	var back sarifLog
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	return &back
}

// where renders a result as "rule level file:line".
func where(r sarifResult) string {
	s := r.RuleID + " " + r.Level
	if len(r.Locations) > 0 {
		l := r.Locations[0].PhysicalLocation
		s += " " + l.ArtifactLocation.URIBaseID + l.ArtifactLocation.URI
		if l.Region != nil {
			s += ":" + strconv.Itoa(l.Region.StartLine)
		}
	}
	return s
}

func TestDiffSARIFOfAModule(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/review\n\ngo 1.22\n",
		"main.go": `package main

import (
	"database/sql"
	"os"
	"os/exec"
)

func main() {
	db, _ := sql.Open("x", "")
	name := os.Args[1]
	db.Query("SELECT * FROM t WHERE name = '" + name + "'")
	db.Query("SELECT * FROM t WHERE name = ?", name)
	exec.Command("sh", "-c", "echo "+name).Run()
	exec.Command("ls", "-l").Run()
	os.ReadFile(name)
}
`,
		"broken/broken.go": "package broken\n\nvar X int = \"not an int\"\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sch := sarifSchema(t)
	t.Chdir(dir)
	sp, err := spec.Load("")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runDiff(sp, []string{"./..."}, false)
	if err != nil {
		t.Fatal(err)
	}
	log := validSARIF(t, sch, sarifReport(rep, dir))
	var got []string
	for _, r := range log.Runs[0].Results {
		got = append(got, where(r))
	}
	want := []string{
		"dynamic-sql note %SRCROOT%main.go:12",
		"dynamic-exec note %SRCROOT%main.go:14",
		"dynamic-file note %SRCROOT%main.go:16",
		"not-covered error %SRCROOT%broken/broken.go:3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range log.Runs[0].Results {
		if r.RuleID == "dynamic-sql" && !strings.Contains(r.Message.Text, "SELECT * FROM t WHERE name = '{dyn}'") {
			t.Errorf("the note does not show the query's template: %s", r.Message.Text)
		}
		if rule := log.Runs[0].Tool.Driver.Rules[r.RuleIndex]; rule.ID != r.RuleID || rule.Help.Text == "" {
			t.Errorf("result %s points at rule %+v", r.RuleID, rule)
		}
	}
	if base := log.Runs[0].OriginalURIBaseIDs["%SRCROOT%"].URI; !strings.HasPrefix(base, "file:///") || !strings.HasSuffix(base, "/") {
		t.Errorf("%%SRCROOT%% = %q, want a file URI of a directory", base)
	}
}

// A reference the build cannot instrument, and a file outside the root,
// as SARIF.
func TestDiffSARIFNotCovered(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "dep with space.go")
	rep := &diffReport{Packages: []diffPackage{{
		ImportPath: "example.com/dep",
		Sites: []callsite.SiteReport{
			{File: outside, Line: 7, Column: 2, Sink: "database/sql.(*DB).Query", Family: "sql", Mechanism: callsite.MechanismNone,
				Reason: "a method expression of database/sql.(*DB).Query cannot be checked in place"},
			{File: filepath.Join(root, "a.go"), Line: 3, Column: 1, Sink: "os.Open", Family: "file", Mechanism: callsite.MechanismCall,
				Templates: []string{"/srv/data/{dyn}"}, Dynamic: true},
			{File: filepath.Join(root, "a.go"), Line: 4, Column: 1, Sink: "os.Open", Family: "file", Mechanism: callsite.MechanismCall,
				Templates: []string{"/etc/hosts"}},
		},
	}}}
	log := validSARIF(t, sarifSchema(t), sarifReport(rep, root))
	res := log.Runs[0].Results
	if len(res) != 2 {
		t.Fatalf("results: %+v", res)
	}
	if u := res[0].Locations[0].PhysicalLocation.ArtifactLocation; u.URIBaseID != "" || !strings.HasPrefix(u.URI, "file:///") || !strings.HasSuffix(u.URI, "/dep%20with%20space.go") {
		t.Errorf("a file outside the root: %+v", u)
	}
	if res[0].Level != "error" || !strings.Contains(res[0].Message.Text, "cannot be checked in place") {
		t.Errorf("not covered: %+v", res[0])
	}
	if where(res[1]) != "dynamic-file note %SRCROOT%a.go:3" {
		t.Errorf("dynamic: %s", where(res[1]))
	}
}

// The schema check can fail: a log the format does not allow is refused.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := sarifSchema(t)
	for _, bad := range []string{
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"severe"}]}]}`,
		`{"version":"2.0.0","runs":[]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"region":{"startLine":0}}}]}]}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(inst) == nil {
			t.Errorf("the schema accepts %s", bad)
		}
	}
}
