package detect

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/configured"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/literal"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// Arguments whose origin is judged, not their likeness to a request input:
// a branch name stored by an earlier request and handed to git by a
// wrapper library, outside any request, is as dangerous as one in the
// current query string. The program's own string constants (package
// literal) and the parts a call site's template shows static are the
// program's; everything else reached the argv from outside.

// storedOptionFinding reports an argument that the program did not write
// (no template shows how it was built, and it is not one of the program's
// constants) and that the program run parses as one of its dangerous
// options (shell.DangerousOption): git --upload-pack=..., --output=...,
// curl -o. Arguments after "--" or "--end-of-options" are operands.
func storedOptionFinding(site *callsite.Site, off int, argv []string, req *reqctx.Request) (Finding, bool) {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if shell.EndOfOptions(a) {
			return Finding{}, false
		}
		if len(a) < 2 || a[0] != '-' || literal.Is(a) || templateFits(site, off+i, a) {
			continue
		}
		if shell.DangerousOption(argv[0], a) {
			return Finding{Rule: shell.RuleArgumentInjection,
				Detail: "an argument the program did not write is one of " + shell.ProgramName(argv[0]) + "'s dangerous options",
				Start:  0, End: optionEnd(a), Input: inputIn(req, a, 0, len(a))}, true
		}
	}
	return Finding{}, false
}

// templateFits reports whether the call site's template for parameter arg
// tells how v was built (v fits it): then the template, not v's origin,
// says which of its bytes are dynamic.
func templateFits(site *callsite.Site, arg int, v string) bool {
	t := site.Template(arg)
	if t == nil || t.Join {
		return false
	}
	var buf [taint.MaxSpans]span.Span
	_, ok := t.Spans(v, &buf)
	return ok
}

// optionEnd returns the end of an option's name: before its "=value".
func optionEnd(a string) int {
	if i := strings.IndexByte(a, '='); i > 0 {
		return i
	}
	return len(a)
}

// chosenProgramFinding reports a program (argv[0]) that a request input
// chose: one the program did not write (no template tells, not a constant)
// that equals an input, or whose input's words are the argv's first words
// (strings.Fields(input) passed as program and arguments: "sh -c id").
func chosenProgramFinding(site *callsite.Site, off int, argv []string, req *reqctx.Request) (Finding, bool) {
	if len(argv) == 0 || literal.Is(argv[0]) || templateFits(site, off, argv[0]) {
		return Finding{}, false
	}
	k := programInput(req, argv)
	if k < 0 {
		return Finding{}, false
	}
	return Finding{Rule: shell.RuleArgv0Dynamic, Detail: "a request input chose the program",
		Start: 0, End: len(argv[0]), Input: &req.Inputs()[k]}, true
}

// ResolveHost resolves a host name to its addresses, for the URL
// arguments of programs that fetch (git clone, curl, wget): the network
// hooks set it when the program links the network, so that a program
// that never dials is not linked with the resolver. Nil: names are judged
// by name only (localhost, metadata names).
var ResolveHost func(host string) []netip.Addr

// childURLFinding judges the URL arguments of a program that fetches
// (git clone/fetch/ls-remote, curl, wget) as the HTTP client's URL is
// judged: a host chosen by a request input that is, or resolves to, an
// internal address (ssrf-internal), and outside any request one stored at
// run time (named neither by the program nor by its configuration: package
// configured); a metadata endpoint (ssrf-metadata)
// whatever chose the URL, unless the program wrote it. Hosts in the
// policy's allow.ssrf_hosts are never findings. git's ext:: transport, which runs a command, is
// argument injection when the program did not write it.
func childURLFinding(argv []string, req *reqctx.Request) (Finding, bool) {
	if len(argv) < 2 || !shell.FetchesURLs(argv[0]) {
		return Finding{}, false
	}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if strings.IndexByte(a, ':') < 0 || literal.Is(a) {
			continue
		}
		if strings.HasPrefix(a, "ext::") || strings.HasPrefix(a, "fd::") {
			return Finding{Rule: shell.RuleArgumentInjection, Detail: "git's " + a[:strings.Index(a, "::")+2] + " transport runs a command the program did not write",
				Start: 0, End: len(a), Input: inputIn(req, a, 0, len(a))}, true
		}
		if !strings.Contains(a, "://") {
			continue
		}
		if f, ok := urlArgFinding(a, req); ok {
			return f, true
		}
	}
	return Finding{}, false
}

func urlArgFinding(a string, req *reqctx.Request) (Finding, bool) {
	host, addr, isLiteral, scheme, err := ssrf.ParseURL(a)
	if err != nil || host == "" || scheme == "file" {
		return Finding{}, false
	}
	in := inputIn(req, a, 0, len(a))
	if in == nil {
		if i := scriptInput(req, a); i >= 0 {
			in = &req.Inputs()[i]
		}
	}
	allow := judge.CurrentPolicy().SSRFAllowlist()
	judgeAddr := func(c ssrf.Class, ip netip.Addr) (Finding, bool) {
		switch {
		case c == ssrf.Metadata && !allow.Allowed(host, ip):
			return urlFinding(ssrf.RuleMetadata, a, host, in), true
		case c.Internal() && in != nil && !allow.Allowed(host, ip):
			return urlFinding(ssrf.RuleInternal, a, host, in), true
		case c.Internal() && req == nil && !configured.Host(host) && !allow.Allowed(host, ip):
			// Outside any request, a URL the program did not write and
			// its configuration does not name was stored at run time (a
			// mirror saved by a user) and fetched by a background job.
			f := urlFinding(ssrf.RuleInternal, a, host, nil)
			f.Detail = "a URL stored at run time (in neither the program nor its configuration) and handed to a program that fetches it reaches an internal address; allow.ssrf_hosts entry to allow it: " + strconv.Quote(ssrf.AllowEntry(host))
			return f, true
		}
		return Finding{}, false
	}
	if isLiteral {
		return judgeAddr(ssrf.ClassifyAddr(addr), addr)
	}
	if c := ssrf.ClassifyHost(host); c.Internal() {
		return judgeAddr(c, netip.Addr{})
	}
	if ResolveHost == nil {
		return Finding{}, false
	}
	for _, ip := range ResolveHost(host) {
		if f, ok := judgeAddr(ssrf.ClassifyAddr(ip), ip); ok {
			return f, true
		}
	}
	return Finding{}, false
}

func urlFinding(rule, a, host string, in *taint.Input) Finding {
	detail := "a URL handed to a program that fetches it reaches an internal address"
	if rule == ssrf.RuleMetadata {
		detail = "a URL handed to a program that fetches it reaches a metadata endpoint"
	}
	start := strings.Index(a, host)
	if start < 0 {
		start = 0
	}
	return Finding{Rule: rule, Detail: detail, Start: start, End: start + len(host), Input: in}
}

// commandPathFinding reports a program path or an argument that a
// request input put in the argv and that climbs with ".." out of the
// directory written before it, or out of the directory the command runs
// in: judged as a path handed to os.Open is (a command allowlisted by a
// pattern but given as <scope>/tools/../../bin/sh, "cat
// ../../../outside/secret.txt" run in the user's folder). The input is
// found in the argument, or the argument is one of an input's words
// (strings.Fields(input) passed as program and arguments).
func commandPathFinding(argv []string, req *reqctx.Request) (Finding, bool) {
	if req == nil {
		return Finding{}, false
	}
	for _, a := range argv {
		if !strings.Contains(a, "..") || literal.Is(a) {
			continue
		}
		var buf [taint.MaxSpans]span.Span
		var which [taint.MaxSpans]int
		n := requestInputSpans(req, a, &buf, &which)
		var in *taint.Input
		if n > 0 {
			in = &req.Inputs()[which[0]]
		} else if k := wordInput(req, a); k >= 0 {
			buf[0], n, in = span.Span{Start: 0, End: len(a)}, 1, &req.Inputs()[k]
		} else {
			continue
		}
		if f, ok := pathguard.Check(a, buf[:n], nil); ok && f.Rule == pathguard.RuleTraversal {
			return Finding{Rule: f.Rule, Detail: "a request input in the command climbs out of the directory it runs in", Value: a,
				Start: f.Start, End: f.End, Input: in}, true
		}
	}
	return Finding{}, false
}

// wordInput returns the index in req.Inputs() of an input one of whose
// whitespace-separated words is w, or -1.
func wordInput(req *reqctx.Request, w string) int {
	inputs := req.Inputs()
	for i := range inputs {
		v := inputs[i].Value
		for {
			j := strings.Index(v, w)
			if j < 0 {
				break
			}
			if (j == 0 || isSpaceByte(v[j-1])) && (j+len(w) == len(v) || isSpaceByte(v[j+len(w)])) {
				return i
			}
			v = v[j+1:]
		}
	}
	return -1
}
