package rasp_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
)

// TestAPIIsWhatUsersName: package rasp exports what a program names and
// nothing generated code needs (that is package raspimpl's).
func TestAPIIsWhatUsersName(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for name, obj := range f.Scope.Objects {
			if ast.IsExported(name) && obj.Kind != ast.Bad {
				got = append(got, name)
			}
		}
	}
	slices.Sort(got)
	want := []string{"BlockedError", "ErrBlocked", "ReloadPolicy", "SetUser", "Site"}
	if !slices.Equal(got, want) {
		t.Errorf("package rasp exports %v; want %v (what generated code calls goes to runtime/raspimpl)", got, want)
	}
}

// TestReloadPolicyWithoutRuntime: a program that imports rasp but was not
// built with the tool has no policy to reload, and says so.
func TestReloadPolicyWithoutRuntime(t *testing.T) {
	err := rasp.ReloadPolicy()
	if err == nil || !strings.Contains(err.Error(), "not built with rasp-instrument") {
		t.Errorf("ReloadPolicy() = %v", err)
	}
}

// TestBlockedErrorMatches: a refusal, even wrapped, is ErrBlocked and
// gives its site through errors.As.
func TestBlockedErrorMatches(t *testing.T) {
	site := &rasp.Site{Package: "example.com/app", File: "db.go", Line: 12, Sink: "database/sql.(*DB).Query", Family: "sql"}
	err := fmt.Errorf("listing users: %w", &rasp.BlockedError{Rule: "sqli-dynamic", Site: site, RequestID: "r1"})
	var be *rasp.BlockedError
	if !errors.Is(err, rasp.ErrBlocked) || !errors.As(err, &be) || be.Site.String() != "example.com/app/db.go:12" {
		t.Errorf("err = %v, as %+v", err, be)
	}
}
