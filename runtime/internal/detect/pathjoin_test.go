package detect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/pathjoin"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
)

// An archive extracted outside any request: filepath.Join(dest, name)
// with dest a variable, the entry's ".." cleaned away before the sink.
func TestJoinedClimbOutsideRequest(t *testing.T) {
	pathjoin.Reset()
	defer pathjoin.Reset()
	site := &callsite.Site{Package: "example.com/app", File: "f.go", Line: 9, Sink: "os.OpenFile", Family: event.FamilyFile}
	dest := strings.Clone("/srv/data")
	slip := pathjoin.Filepath(dest, strings.Clone("../outside/zipslip.txt"))
	f, found := (templatePath{}).CheckPath(site, 0, slip, nil)
	if !found || f.Rule != pathguard.RuleTraversal || f.Detail != "a part joined to the path climbed above the part before it" || f.Value != slip {
		t.Errorf("zip slip = %+v, %v; want a path-traversal", f, found)
	}
	if f, found := (templatePath{}).CheckPath(site, 0, filepath.Dir(slip), nil); !found {
		t.Errorf("the slip's directory = %+v, %v; want a path-traversal", f, found)
	}
	ok := pathjoin.Filepath(dest, strings.Clone("docs/new/a.txt"))
	if f, found := (templatePath{}).CheckPath(site, 0, ok, nil); found {
		t.Errorf("a normal entry = %+v", f)
	}
	// The same text, not the join's result: not found.
	if f, found := (templatePath{}).CheckPath(site, 0, strings.Clone(slip), nil); found {
		t.Errorf("a copy of the slip's path = %+v", f)
	}
	// A join with a template ("uploads/" + {dyn}): the template's own
	// judgement comes first and finds it.
	tsite := &callsite.Site{Sink: "os.OpenFile", Family: event.FamilyFile, Tmpls: []taint.Tmpl{taint.T(0, true, "/srv/uploads/", "")}}
	up := pathjoin.Filepath("/srv/uploads", strings.Clone("../etc/x"))
	if f, found := (templatePath{}).CheckPath(tsite, 0, up, nil); !found || f.Rule != pathguard.RuleTraversal {
		t.Errorf("templated join = %+v, %v", f, found)
	}
}

// In a request, the input that explains the path is named first.
func TestJoinedClimbInRequestNamesTheInput(t *testing.T) {
	pathjoin.Reset()
	defer pathjoin.Reset()
	site := &callsite.Site{Sink: "os.OpenFile", Family: event.FamilyFile}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.MkdirAll(filepath.Join(dir, "outside"), 0o755)
	name := strings.Clone("../outside/zipslip.txt")
	slip := pathjoin.Filepath(filepath.Join(dir, "data"), name)
	req := reqctx.NewRequest("r", "POST", "/extract", "", reqctx.Fixed{{Source: "archive", Name: "zip", Value: name}})
	f, found := (templatePath{}).CheckPath(site, 0, slip, req)
	if !found || f.Rule != pathguard.RuleTraversal || f.Input == nil || f.Input.Source != "archive" {
		t.Errorf("zip slip in a request = %+v, %v; want the archive input", f, found)
	}
	// os.MkdirAll(filepath.Dir(target)) comes first: the input that
	// climbed is named there too.
	f, found = (templatePath{}).CheckPath(site, 0, filepath.Dir(slip), req)
	if !found || f.Detail != "a request input climbed out of its directory with .." || f.Input == nil || f.Input.Value != name {
		t.Errorf("the slip's directory in a request = %+v, %v; want the archive input", f, found)
	}
}

func TestJoinFindingZeroAlloc(t *testing.T) {
	pathjoin.Reset()
	defer pathjoin.Reset()
	pathjoin.Filepath("/srv/data", strings.Clone("../x"))
	site := &callsite.Site{Sink: "os.OpenFile", Family: event.FamilyFile}
	p := strings.Clone("/srv/data/docs/a.txt")
	if n := testing.AllocsPerRun(100, func() { (templatePath{}).CheckPath(site, 0, p, nil) }); n != 0 {
		t.Errorf("a clean path allocates %v times", n)
	}
}
