package detect

import (
	"runtime"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
)

// PathInputFinding judges path p by the request's inputs alone, for a call whose
// site did not show how p was built (no template): the inputs found in p
// are its dynamic parts; an input that is p once both are cleaned made the
// whole path; an input that climbed out of a directory with ".." and was
// cleaned away is a traversal (see climbingInput). An input that starts an
// absolute path is path-absolute-input only if it reaches the separator
// before the file's name, so chose its directory at least. It never
// reports outside a request or when no input is in p.
func PathInputFinding(req *reqctx.Request, p string, bases []string) (Finding, bool) {
	return pathInputFindingOS(req, p, bases, runtime.GOOS, false)
}

// pathInputFindingOS is PathInputFinding for the operating system goos;
// with noFollow the path's last component is not followed (see
// pathguard.CheckNoFollow).
func pathInputFindingOS(req *reqctx.Request, p string, bases []string, goos string, noFollow bool) (Finding, bool) {
	if req == nil {
		return Finding{}, false
	}
	inputs := req.Inputs()
	if len(inputs) == 0 {
		return Finding{}, false
	}
	var buf [taint.MaxSpans]span.Span
	var which [taint.MaxSpans]int
	if n := taint.PathInputSpans(p, inputs, &buf, &which, goos); n > 0 {
		f, found := pathguard.CheckOSLink(p, buf[:n], bases, goos, noFollow)
		if !found || f.Rule == pathguard.RuleAbsolute && !taint.IntoLastSegment(p, f.End, goos) {
			// An input that starts the path but ends before its last
			// segment ("/app" in "/app/templates/x.html") may as well be a
			// coincidence: the input "next=/app" of a program in /app.
			return Finding{}, false
		}
		// A copy: handing buf and which to input would move them to the
		// heap on the clean path too.
		parts := &dynamicParts{req: req, n: n, spans: buf, which: which, fromInputs: true}
		return Finding{Rule: f.Rule, Detail: pathDetail(f.Rule, "a request input in the path"), Value: p, Start: f.Start, End: f.End, Input: parts.input(p, f.Start, f.End)}, true
	}
	if i := taint.WholePathInput(inputs, p, goos); i >= 0 {
		f, found := pathguard.CheckOSLink(p, []span.Span{{Start: 0, End: len(p)}}, bases, goos, noFollow)
		if !found {
			return Finding{}, false
		}
		return Finding{Rule: f.Rule, Detail: "a request input, cleaned, is the path", Value: p, Start: f.Start, End: f.End, Input: &inputs[i]}, true
	}
	if i := taint.ClimbingInput(inputs, p, goos); i >= 0 {
		return Finding{Rule: pathguard.RuleTraversal, Detail: "a request input climbed out of its directory with ..", Value: p, Input: &inputs[i]}, true
	}
	// An input too plain to be searched ("dangle", a word) may still name
	// the link the path ends with: only the symbolic-link rule judges it.
	for i := range inputs {
		v := inputs[i].Value
		if v == "" || len(v) >= len(p) || p[len(p)-len(v)-1] != '/' || p[len(p)-len(v):] != v {
			continue
		}
		f, found := pathguard.CheckOSLink(p, []span.Span{{Start: len(p) - len(v), End: len(p)}}, nil, goos, noFollow)
		if found && f.Rule == pathguard.RuleSymlink {
			return Finding{Rule: f.Rule, Detail: pathDetail(f.Rule, "a request input in the path"), Value: p, Start: f.Start, End: f.End, Input: &inputs[i]}, true
		}
		break
	}
	return Finding{}, false
}

// inputAtStart returns the request input found, in one of its forms (see
// PathInputSpans), at byte maxStart of p or before and reaching the
// separator before p's last segment (see IntoLastSegment), or nil.
func inputAtStart(req *reqctx.Request, p string, maxStart int) *taint.Input {
	if req == nil {
		return nil
	}
	inputs := req.Inputs()
	var buf [taint.MaxSpans]span.Span
	var which [taint.MaxSpans]int
	if n := taint.PathInputSpans(p, inputs, &buf, &which, runtime.GOOS); n > 0 && buf[0].Start <= maxStart && taint.IntoLastSegment(p, buf[0].End, runtime.GOOS) {
		return &inputs[which[0]]
	}
	return nil
}

// climbingInput returns the request input that climbed out of a directory
// to reach path, when the path was cleaned before it was opened
// (http.ServeFile, http.Dir and filepath.Join do), or nil. See
// ClimbingInput.
func climbingInput(req *reqctx.Request, path string) *taint.Input {
	inputs := req.Inputs()
	if i := taint.ClimbingInput(inputs, path, runtime.GOOS); i >= 0 {
		return &inputs[i]
	}
	return nil
}

// checkPath is pathguard.Check, or CheckNoFollow with noFollow.
func checkPath(p string, dyn []span.Span, bases []string, noFollow bool) (pathguard.Finding, bool) {
	if noFollow {
		return pathguard.CheckNoFollow(p, dyn, bases)
	}
	return pathguard.Check(p, dyn, bases)
}

// noFollow reports whether the sink at site acts on its path argument's
// last component itself, not on what a symbolic link there leads to:
// removing, renaming or lstat-ing a link leaves its target alone.
func noFollow(site *callsite.Site, arg int) bool {
	if site == nil {
		return false
	}
	switch site.Sink {
	case "os.Remove", "os.RemoveAll", "os.Lstat", "os.Rename":
		return true
	}
	return false
}

// pathDetail is the event's detail for a path finding of rule: what is
// special about the rule, after what made the part dynamic.
func pathDetail(rule, what string) string {
	switch rule {
	case pathguard.RuleSymlink:
		return what + " leads through a symbolic link out of the directory written before it"
	case pathguard.RuleOutsideBase:
		return what + " leads outside the policy's path_bases"
	}
	return what
}
