package raspimpl

import (
	"fmt"
	"net/url"
	"os/exec"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// bypass is one evasion variant, judged at a realistic call site: changes
// says whether the payload changes the structure of the query, script or
// path it lands in; it must be detected exactly then.
type bypass struct {
	family, technique, payload string
	changes                    bool
}

var sqlBypasses = []bypass{
	{"sql", "case mixing", "x' uNiOn SeLeCt password FrOm users-- ", true},
	{"sql", "inline comment in keyword", "x' UN/**/ION SELECT password FROM users-- ", true},
	{"sql", "comments as spaces", "x'/**/OR/**/'1'='1", true},
	{"sql", "tab and newline as spaces", "x'\tOR\n'1'='1", true},
	{"sql", "MySQL version comment", "x' /*!50000UNION*/ /*!50000SELECT*/ password FROM users-- ", true},
	{"sql", "string concatenation ||", "ad'||'min", true},
	{"sql", "CONCAT()", "x' OR name=CONCAT('ad','min')-- ", true},
	{"sql", "hex literal after break-out", "x' OR name=0x61646d696e-- ", true},
	{"sql", "double URL encoding, not decoded again", "x%2527%2520OR%25201%253D1", false},
	{"sql", "full-width quote (no SQL meaning)", "ｘ＇ ＯＲ ＇１＇＝＇１", false},
	{"sql", "escaped quote (benign twin)", "O''Brien", false},
}

var sqlNumericBypasses = []bypass{
	{"sql", "numeric: UNION", "1 UNION SELECT password FROM users", true},
	{"sql", "numeric: comments as spaces", "1/**/OR/**/1=1", true},
	{"sql", "numeric: hex literal alone", "0x61646d696e", false},
	{"sql", "numeric: negative number", "-42", false},
}

var shellBypasses = []bypass{
	{"exec", "$IFS as a space", "127.0.0.1;cat$IFS/etc/passwd", true},
	{"exec", "${PATH:0:1} as a slash", "127.0.0.1;cat${PATH:0:1}etc${PATH:0:1}passwd", true},
	{"exec", "newline separator", "127.0.0.1\nid", true},
	{"exec", "command substitution", "$(id)", true},
	{"exec", "backticks", "`id`", true},
	{"exec", "$IFS splitting a word into options", "127.0.0.1$IFS-f", true},
	{"exec", "plain host (benign)", "example.com", false},
}

// pathBypass is an evasion variant of a path: decode says what the
// application undoes before it builds the path ("" as sent, "once" and
// "twice" url.PathUnescape, "all" every encoding pathguard knows, as a
// lenient decoder would); changes says whether the path the kernel
// receives leaves its directory (or holds a NUL byte).
type pathBypass struct {
	technique, payload, decode string
	changes                    bool
}

var pathBypasses = []pathBypass{
	{"../ climbing", "../../../../etc/passwd", "", true},
	{"....// raw (a directory named ....)", "....//....//etc/passwd", "", false},
	{"....// after a naive ../ filter", strings.ReplaceAll("....//....//....//....//etc/passwd", "../", ""), "", true},
	{"backslashes (separators on Windows only)", `..\..\..\..\etc\passwd`, "", goruntime.GOOS == "windows"},
	{"percent-encoded dots, never decoded (a name)", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "", false},
	{"percent-encoded dots, decoded", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "once", true},
	{"..%2f, decoded", "..%2f..%2f..%2f..%2fetc%2fpasswd", "once", true},
	{"double percent-encoding, never decoded", "%252e%252e%252f%252e%252e%252fetc%252fpasswd", "", false},
	{"double percent-encoding, decoded once", "%252e%252e%252f%252e%252e%252fetc%252fpasswd", "once", false},
	{"double percent-encoding, decoded twice", "%252e%252e%252f%252e%252e%252fetc%252fpasswd", "twice", true},
	{"overlong UTF-8 dots, never decoded", "%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "", false},
	{"overlong UTF-8 dots, lenient decoder", "%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "all", true},
	{"%u dots, IIS-style decoder", "%u002e%u002e/%u002e%u002e/%u002e%u002e/%u002e%u002e/etc/passwd", "all", true},
	{"NUL truncation (recorded; the OS refuses it)", "report.pdf\x00.png", "", true},
	{"dots inside a name (benign)", "my..file.txt", "", false},
}

func (b pathBypass) label() string {
	if b.decode == "" {
		return b.technique
	}
	return b.technique + " [" + b.decode + "]"
}

// decoded is what the application of a pathBypass makes of its payload.
func (b pathBypass) decoded() string {
	switch b.decode {
	case "once":
		s, _ := url.PathUnescape(b.payload)
		return s
	case "twice":
		s, _ := url.PathUnescape(b.payload)
		s, _ = url.PathUnescape(s)
		return s
	case "all":
		return string(pathguard.AppendDecode(nil, b.payload, goruntime.GOOS))
	}
	return b.payload
}

// TestBypassTable judges every evasion variant at its call site and prints
// the table (go test -v -run BypassTable).
func TestBypassTable(t *testing.T) {
	old := judge.CurrentMode()
	judge.SetMode(policy.ModeBlock)
	defer judge.SetMode(old)
	eventstest.Discard(t)
	sqlSite := &callsite.Site{Package: "example.com/app", File: "q.go", Line: 1, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL,
		Tmpls: []Tmpl{T(0, false, "SELECT name FROM users WHERE name = '", "'")}}
	numSite := &callsite.Site{Package: "example.com/app", File: "q.go", Line: 2, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL,
		Tmpls: []Tmpl{T(0, false, "SELECT name FROM users WHERE id = ", "")}}
	shSite := &callsite.Site{Package: "example.com/app", File: "x.go", Line: 3, Sink: "os/exec.Command", Family: event.FamilyExec,
		Tmpls: []Tmpl{T(2, false, "ping -c 1 ", "")}}
	pathSite := &callsite.Site{Package: "example.com/app", File: "f.go", Line: 4, Sink: "os.Open", Family: event.FamilyFile,
		Tmpls: []Tmpl{T(0, false, "/srv/app/uploads/", "")}}
	var rows []string
	judgeRow := func(b bypass, err error) {
		got := err != nil
		mark := "ok"
		if got != b.changes {
			mark = "WRONG"
			t.Errorf("%s / %s: %q: detected %v, want %v", b.family, b.technique, b.payload, got, b.changes)
		}
		rows = append(rows, fmt.Sprintf("| %-4s | %-42s | %-46q | %-7v | %-8v | %s |", b.family, b.technique, b.payload, b.changes, got, mark))
	}
	for _, b := range sqlBypasses {
		q := "SELECT name FROM users WHERE name = '" + b.payload + "'"
		judgeRow(b, judge.JudgeCall(sqlSite, nil, func() (judge.Finding, bool) { return detect.CheckSQL(sqlSite, 0, q, sqli.MySQL, nil) }))
	}
	for _, b := range sqlNumericBypasses {
		q := "SELECT name FROM users WHERE id = " + b.payload
		judgeRow(b, judge.JudgeCall(numSite, nil, func() (judge.Finding, bool) { return detect.CheckSQL(numSite, 0, q, sqli.MySQL, nil) }))
	}
	for _, b := range shellBypasses {
		judgeRow(b, judgeCmd(shSite, 0, exec.Command("sh", "-c", "ping -c 1 "+b.payload)))
	}
	// Paths: at a call site whose template tells the dynamic part, and at
	// one that does not (an entry point), where the request's input (the
	// payload as sent) must be found in the path in its decoded form.
	// The template is judged within a request that has no input (outside
	// any request, a NUL byte is left to the operating system unreported).
	entry := &callsite.Site{Package: "example.com/app", File: "f.go", Line: 5, Sink: "os.Open", Family: event.FamilyFile}
	noInput := reqctx.NewRequest("r0", "GET", "/f", "", reqctx.Fixed{})
	for _, b := range pathBypasses {
		p := "/srv/app/uploads/" + b.decoded()
		_, byTemplate := detect.CheckPath(pathSite, 0, p, noInput)
		req := reqctx.NewRequest("r", "GET", "/f", "", reqctx.Fixed{{Source: "query", Name: "f", Value: b.payload}})
		_, byInput := detect.CheckPath(entry, 0, p, req)
		got := byTemplate && byInput
		mark := "ok"
		if byTemplate != b.changes || byInput != b.changes {
			mark = "WRONG"
			t.Errorf("file / %s: %q reaching %q: found by the template %v, by the input %v, want %v", b.technique, b.payload, p, byTemplate, byInput, b.changes)
		}
		rows = append(rows, fmt.Sprintf("| %-4s | %-42s | %-46q | %-7v | %-8v | %s |", "file", b.label(), b.payload, b.changes, got, mark))
	}
	t.Logf("\n| family | technique | payload | changes | detected | |\n|---|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}
