package httphook

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// inputsVia serves target through a ServeMux with pattern and returns the
// inputs the handler's request has.
func inputsVia(t *testing.T, pattern, target string) []taint.Input {
	var got []taint.Input
	mux := http.NewServeMux()
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { got = Inputs(r, nil) })
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	if got == nil {
		t.Fatalf("%s did not reach %s", target, pattern)
	}
	return got
}

func has(ins []taint.Input, name, value string) bool {
	for _, in := range ins {
		if in.Source == "path" && in.Name == name && in.Value == value {
			return true
		}
	}
	return false
}

func TestInputsSpanningParameters(t *testing.T) {
	ins := inputsVia(t, "GET /raw/{path...}", "/raw/link/secret.txt")
	if !has(ins, "path", "link/secret.txt") {
		t.Errorf("the wildcard's whole value is not an input: %v", ins)
	}
	if !has(ins, "1..", "link/secret.txt") {
		t.Errorf("the rest of the path is not an input: %v", ins)
	}
	ins = inputsVia(t, "GET /repo/{owner}/compare/{spec...}", "/repo/bob/compare/main...feature/--output=x")
	for _, want := range [][2]string{{"spec", "main...feature/--output=x"}, {"spec", "main"}, {"spec", "feature/--output=x"}} {
		if !has(ins, want[0], want[1]) {
			t.Errorf("missing %s = %q: %v", want[0], want[1], ins)
		}
	}
	// One segment left: no rest-of-path input; a wildcard without '/' adds
	// nothing to its segment.
	ins = inputsVia(t, "GET /u/{name}", "/u/x.txt")
	for _, in := range ins {
		if in.Name != "0" && in.Name != "1" {
			t.Errorf("unexpected input %+v", in)
		}
	}
}

func TestInputsRestOfPathBounded(t *testing.T) {
	r := httptest.NewRequest("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n", nil)
	n := 0
	for _, in := range Inputs(r, nil) {
		if len(in.Name) > 2 && in.Name[len(in.Name)-2:] == ".." {
			n++
		}
	}
	if n != maxSpanning {
		t.Errorf("%d rest-of-path inputs, want %d", n, maxSpanning)
	}
}
