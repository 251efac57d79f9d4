package nethook

import (
	"context"
	"net"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/span"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// grpcTargetSite is the site of gRPC clients' targets: they are judged at
// the entry of grpc.NewClient (which grpc.Dial and DialContext call), a
// patch of the sink spec, with the request's inputs.
var grpcTargetSite = callsite.NewEntry("google.golang.org/grpc.NewClient", event.FamilyNet)

// JudgeTarget judges the target of a gRPC client about to be created
// ("host:port", "dns:///host:port", "passthrough:///addr"...) as an address
// about to be dialed: a host chosen by a request's input that is internal
// or a metadata endpoint is a finding. In block mode it returns the
// refusal. ctx, or else the goroutine, tells the request. As at the other
// entry points, where no call site tells how the value was built, only a
// target in which a request's input occurs is judged: outside a request,
// the program chose it.
func JudgeTarget(ctx context.Context, target string) error {
	off, addr := grpcTargetAddr(target)
	if addr == "" {
		return nil
	}
	req := reqctx.CurrentRequest(ctx)
	if req == nil {
		return nil
	}
	return judge.JudgeCall(grpcTargetSite, req, func() (Finding, bool) {
		// The input that chose the host: one whose occurrence in the
		// target covers the host's bytes.
		all := req.Inputs()
		hs, he := hostRange(addr)
		hs, he = hs+off, he+off
		var spans [taint.MaxSpans]span.Span
		var which [taint.MaxSpans]int
		n := taint.InputSpans(target, all, &spans, &which)
		for i := 0; i < n; i++ {
			if !coversHost(spans[i], hs, he) {
				continue
			}
			f, found := ssrf.Check(addr, true, ssrfAllowlist())
			if !found {
				return Finding{}, false
			}
			return Finding{Rule: f.Rule, Detail: "the host came from a request input", Value: target, Input: &all[which[i]]}, true
		}
		return Finding{}, false
	})
}

// grpcTargetAddr returns the host:port a gRPC target dials (the port 443
// when it names none) and the offset in target where its host starts; ""
// for a target that does not dial TCP (a Unix socket) or that it cannot
// read.
func grpcTargetAddr(target string) (off int, addr string) {
	endpoint := target
	if scheme, rest, ok := strings.Cut(target, ":"); ok && isScheme(scheme) && !isPort(rest) {
		switch scheme {
		case "unix", "unix-abstract", "vsock", "bufnet":
			return 0, ""
		}
		rest = strings.TrimPrefix(rest, "//")
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[i+1:] // after the authority, often empty
		}
		endpoint = rest
	}
	if endpoint == "" {
		return 0, ""
	}
	off = len(target) - len(endpoint)
	if _, _, err := net.SplitHostPort(endpoint); err != nil {
		endpoint = net.JoinHostPort(strings.Trim(endpoint, "[]"), "443") // the host keeps its place

	}
	return off, endpoint
}

func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// isPort reports whether s, what follows the first colon of "host:port",
// is a port rather than the rest of a URL.
func isPort(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
