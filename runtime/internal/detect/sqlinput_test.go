package detect

import (
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// Without a request, the templated site's finding names no input.
func TestSQLFindingWithoutRequest(t *testing.T) {
	s := &callsite.Site{Package: "example.com/p", File: "a.go", Line: 7, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL}
	s.Tmpls = []taint.Tmpl{taint.T(0, false, "SELECT * FROM u WHERE name = '", "'")}
	f, ok := structuralSQL{}.CheckSQL(s, 0, "SELECT * FROM u WHERE name = 'x' OR '1'='1'", sqli.Generic, nil)
	if !ok || f.Input != nil {
		t.Errorf("finding %+v, %v", f, ok)
	}
}
