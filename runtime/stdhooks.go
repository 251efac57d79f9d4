package rasp

import (
	"context"
	"database/sql/driver"
	"reflect"
	"sync"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// Entry-point hooks. A program built with the tool has the standard
// library's entry points patched (rewrite/stdpatch.go) to call these:
// every database query (database/sql's QueryContext, ExecContext and
// PrepareContext of DB, Tx and Conn), every file open (os.OpenFile) and
// every new process (os.StartProcess, syscall.Exec), whatever road led there: an
// interface, an ORM, a library, a struct literal. A call the build rewrote
// was judged at its call site, with its templates, and marks its value as
// checked; the entry hook skips it. The others carry no template, so the
// entry hooks judge only what the request's inputs prove dynamic: outside a
// request, or when no input occurs in the value, they never report (the
// value may be anything the code built).

var (
	entrySQLSite  = &callsite.Site{Package: "database/sql", Sink: "database/sql entry point", Family: event.FamilySQL, Entry: true}
	entryFileSite = &callsite.Site{Package: "os", Sink: "os.OpenFile entry point", Family: event.FamilyFile, Entry: true}
	entryExecSite = &callsite.Site{Package: "os", Sink: "os.StartProcess entry point", Family: event.FamilyExec, Entry: true}
)

var driverDialects sync.Map // reflect.Type -> sqli.Dialect

func dialectOfDriver(drv driver.Driver) sqli.Dialect {
	if drv == nil {
		return sqli.Generic
	}
	t := reflect.TypeOf(drv)
	if d, ok := driverDialects.Load(t); ok {
		return d.(sqli.Dialect)
	}
	d := sqli.DialectForDriver(t.String())
	driverDialects.Store(t, d)
	return d
}

func entrySQL(ctx context.Context, drv driver.Driver, query string) (err error) {
	p := reqctx.StringData(query)
	if reqctx.IsQueryJudged(p) {
		return nil
	}
	defer func() {
		if err == nil {
			reqctx.MarkQueryJudged(p) // for the driver's own call sites
		}
	}()
	req := reqctx.CurrentRequest(ctx)
	if req == nil {
		return nil
	}
	return judge.JudgeValue(entrySQLSite, req, func() (judge.Finding, bool) {
		return detect.SQLFinding(entrySQLSite, -1, query, dialectOfDriver(drv), req, true)
	})
}

func entryOpen(name string, _ int) error {
	if reqctx.TakeEntryJudged(reqctx.StringData(name)) {
		return nil
	}
	req := reqctx.CurrentRequest(nil)
	if req == nil {
		return nil
	}
	return judge.JudgePath(entryFileSite, req, func() (judge.Finding, bool) {
		return detect.PathInputFinding(req, name, judge.CurrentPolicy().PathBases())
	})
}

func entryStart(name string, argv []string) error {
	if len(argv) > 0 && reqctx.TakeEntryJudged(unsafe.Pointer(unsafe.SliceData(argv))) {
		return nil
	}
	req := reqctx.CurrentRequest(nil)
	if req == nil {
		return nil
	}
	if len(argv) == 0 {
		argv = []string{name}
	}
	return judge.JudgeValue(entryExecSite, req, func() (judge.Finding, bool) { return detect.CommandFinding(entryExecSite, 0, argv, req, true) })
}
