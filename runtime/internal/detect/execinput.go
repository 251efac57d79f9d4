package detect

import (
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
)

// A request input that is the program a command runs, or the whole script
// a shell runs, is command injection whatever its length and characters:
// InputSpans passes over short and letters-only inputs ("id", "cat"),
// which are harmless inside a value but not where they are the program.
// These two functions find such inputs where the build could not tell the
// argument's origin.

// programInput returns the index in req.Inputs() of an input that chose
// argv[0]: one equal to it, or one whose whitespace-separated words are the
// first words of argv (strings.Fields(input) passed as program and
// arguments). It returns -1 when there is none.
func programInput(req *reqctx.Request, argv []string) int {
	if req == nil || len(argv) == 0 || argv[0] == "" {
		return -1
	}
	inputs := req.Inputs()
	for i := range inputs {
		v := strings.TrimSpace(inputs[i].Value)
		if v == argv[0] || v != "" && wordsPrefix(v, argv) {
			return i
		}
	}
	return -1
}

// wordsPrefix reports whether the whitespace-separated words of v are, in
// order, the first elements of argv.
func wordsPrefix(v string, argv []string) bool {
	k := 0
	for v != "" {
		i := 0
		for i < len(v) && !isSpaceByte(v[i]) {
			i++
		}
		if k >= len(argv) || v[:i] != argv[k] {
			return false
		}
		k++
		for i < len(v) && isSpaceByte(v[i]) {
			i++
		}
		v = v[i:]
	}
	return k > 0
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// scriptInputFinding reports the input that is the whole shell script, if
// one is: for call sites and the entry point alike.
func scriptInputFinding(req *reqctx.Request, script string) (Finding, bool) {
	i := scriptInput(req, script)
	if i < 0 {
		return Finding{}, false
	}
	return Finding{Rule: shell.RuleShellDynamic, Detail: "a request input is the whole shell script",
		Start: 0, End: len(script), Input: &req.Inputs()[i]}, true
}

// scriptInput returns the index in req.Inputs() of an input that is the
// whole shell script (spaces around it aside), or -1.
func scriptInput(req *reqctx.Request, script string) int {
	s := strings.TrimSpace(script)
	if req == nil || s == "" {
		return -1
	}
	inputs := req.Inputs()
	for i := range inputs {
		if strings.TrimSpace(inputs[i].Value) == s {
			return i
		}
	}
	return -1
}
