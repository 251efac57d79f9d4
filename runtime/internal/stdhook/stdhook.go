package stdhook

import (
	"context"
	"database/sql"
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

var (
	entrySQLSite  = callsite.NewEntry("database/sql", event.FamilySQL)
	entryFileSite = callsite.NewEntry("os.OpenFile", event.FamilyFile)
	entryExecSite = callsite.NewEntry("os.StartProcess", event.FamilyExec)
)

// TxDialect tells the SQL dialect of a transaction's driver, in a program
// built with the tool (its database/sql has an accessor for the driver);
// Generic in a plain build.
func TxDialect(tx *sql.Tx) sqli.Dialect { return dialectOfDriver(txDriver(tx)) }

// ConnDialect is TxDialect for a connection.
func ConnDialect(c *sql.Conn) sqli.Dialect { return dialectOfDriver(connDriver(c)) }

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

// EntrySQL is the hook of database/sql's entry point: it judges a query
// about to reach the driver drv, for the request ctx carries.
func EntrySQL(ctx context.Context, drv driver.Driver, query string) (err error) {
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

// EntryOpen is the hook of os.OpenFile: it judges a path about to be
// opened (whatever the flags), for the goroutine's request; in a request
// or not, a path that a join made climb (see detect.JoinFinding).
func EntryOpen(name string, _ int) error {
	if reqctx.TakeEntryJudged(reqctx.StringData(name)) {
		return nil
	}
	req := reqctx.CurrentRequest(nil)
	if req == nil {
		if _, found := detect.JoinFinding(name, nil); !found {
			return nil
		}
	}
	return judge.JudgePath(entryFileSite, req, func() (judge.Finding, bool) {
		if req != nil {
			if f, found := detect.PathInputFinding(req, name, judge.CurrentPolicy().PathBases()); found {
				return f, true
			}
		}
		return detect.JoinFinding(name, req)
	})
}

// entryStart is the hook of os.StartProcess and syscall.Exec: it judges a
// command about to start, for the goroutine's request.
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
