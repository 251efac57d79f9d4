package raspimpl

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// Values that did not come from the request are judged by the template
// alone: the same code is blocked with an attack and quiet with safe values.
func TestTemplateDetection(t *testing.T) {
	sqlSite := &callsite.Site{Sink: "database/sql.(*DB).Query", Family: event.FamilySQL, Tmpls: []Tmpl{T(0, false, "SELECT price FROM products WHERE name = '", "'")}}
	shSite := &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []Tmpl{T(2, false, "echo hello ", "")}}
	pathSite := &callsite.Site{Sink: "os.ReadFile", Family: event.FamilyFile, Tmpls: []Tmpl{T(0, true, "/srv/files/", "")}}
	withMode(t, policy.ModeBlock, func() {
		for _, q := range []string{"apple", "O''Brien", "x' OR '1'='1", "x' UNION SELECT secret FROM products--"} {
			err := judgeDBQuery(nil, sqlSite, nil, 0, "SELECT price FROM products WHERE name = '"+q+"'")
			if attack := strings.Contains(q, "OR") || strings.Contains(q, "UNION"); (err != nil) != attack {
				t.Errorf("sql %q: err = %v, attack %v", q, err, attack)
			}
		}
		for _, who := range []string{"world", "O-Brien", "x; id", "$(id)"} {
			err := judgeCmd(shSite, 0, exec.Command("sh", "-c", "echo hello "+who))
			if attack := strings.ContainsAny(who, ";$"); (err != nil) != attack {
				t.Errorf("sh %q: err = %v, attack %v", who, err, attack)
			}
		}
		for _, p := range []string{"/srv/files/report.pdf", "/srv/files/a/../b.txt", "/etc/passwd"} {
			err := judgeFileArg(pathSite, 0, p)
			if attack := p == "/etc/passwd"; (err != nil) != attack {
				t.Errorf("path %q: err = %v, attack %v", p, err, attack)
			}
		}
	})
}

var sink string

// The build leaves the argument's expression as the programmer wrote it
// and adds the template to the call site, so a rewritten call costs the
// original construction plus the check. These benchmarks show the three:
// the construction alone, with the context-free check (what an opaque site
// gets), and with the template check.
func benchSQL(b *testing.B, build func(string) string, site *callsite.Site, check bool) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		q := build("apple")
		if check {
			if err := judgeDBQuery(nil, site, nil, 0, q); err != nil {
				b.Fatal(err)
			}
		}
		sink = q
	}
}

func concatQuery(name string) string {
	return "SELECT id, name, price FROM products WHERE category = 'fruit' AND name = '" + name + "' ORDER BY price LIMIT 20"
}

func sprintfQuery(name string) string {
	return fmt.Sprintf("SELECT id, name, price FROM products WHERE category = 'fruit' AND name = '%s' ORDER BY price LIMIT 20", name)
}

var (
	concatSite  = &callsite.Site{Sink: "database/sql.(*DB).Query", Family: event.FamilySQL, Tmpls: []Tmpl{T(0, false, "SELECT id, name, price FROM products WHERE category = 'fruit' AND name = '", "' ORDER BY price LIMIT 20")}}
	opaqueSite  = &callsite.Site{Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	sprintfSite = concatSite
)

func BenchmarkConcatOriginal(b *testing.B)   { benchSQL(b, concatQuery, nil, false) }
func BenchmarkConcatRewritten(b *testing.B)  { benchSQL(b, concatQuery, concatSite, true) }
func BenchmarkConcatOpaque(b *testing.B)     { benchSQL(b, concatQuery, opaqueSite, true) }
func BenchmarkSprintfOriginal(b *testing.B)  { benchSQL(b, sprintfQuery, nil, false) }
func BenchmarkSprintfRewritten(b *testing.B) { benchSQL(b, sprintfQuery, sprintfSite, true) }

// A script that does not fit its template is judged as an opaque one.
func TestTemplateMismatchFallsBack(t *testing.T) {
	s := &callsite.Site{Sink: "os/exec.Command", Family: event.FamilyExec, Tmpls: []Tmpl{T(2, false, "echo hello ", "")}}
	withMode(t, policy.ModeBlock, func() {
		if err := judgeCmd(s, 0, exec.Command("sh", "-c", strings.Clone("ls; id"))); err == nil {
			t.Fatal("a script that left its template was not judged")
		}
	})
}
