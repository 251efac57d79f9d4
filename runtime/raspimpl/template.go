package raspimpl

import (
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// Tmpl is what the build knew about how one argument of a sink call was
// built (see taint.Tmpl); generated site declarations build them with T
// and Tn.
type Tmpl = taint.Tmpl

// T builds a Tmpl; generated site declarations call it.
func T(arg int, join bool, segs ...string) Tmpl { return taint.T(arg, join, segs...) }

// Tn builds a Tmpl whose holes in the mask num only ever hold numbers;
// generated site declarations call it.
func Tn(arg int, join bool, num uint64, segs ...string) Tmpl {
	return taint.Tn(arg, join, num, segs...)
}
