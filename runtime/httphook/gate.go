package httphook

import (
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/clientip"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/gate"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/jwtclaims"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/routetable"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// gateRefusal is the answer to a request the gate refused: the 403 of any
// refusal, or for a rate limit 429 with Retry-After.
func gateRefusal(ref *gate.Refusal, id, accept string) *Refusal {
	if ref.Status != http.StatusTooManyRequests {
		return refusal(ref.Rule, id, accept)
	}
	r := refusalWith(http.StatusTooManyRequests, "rate limited", ref.Rule, id, accept)
	r.Header = append(r.Header, [2]string{"Retry-After", ref.RetryAfterSeconds()})
	return r
}

// answer writes a refusal to w.
func answer(w http.ResponseWriter, r *Refusal) {
	h := w.Header()
	for _, kv := range r.Header {
		h.Set(kv[0], kv[1])
	}
	w.WriteHeader(r.Status)
	w.Write([]byte(r.Body))
}

// requestUser names the user of a request with header h: a header of the
// authenticating proxy (users.headers) when the peer is a trusted proxy,
// else the subject of a bearer token (users.jwt), decoded, not verified.
func requestUser(h http.Header, fromTrustedProxy bool, g *policy.Gate) string {
	return userFrom(h.Get, fromTrustedProxy, g)
}

// userFrom is requestUser for any server: header returns the first value
// of a header (canonical name), or "".
func userFrom(header func(name string) string, fromTrustedProxy bool, g *policy.Gate) string {
	if fromTrustedProxy {
		for _, name := range g.UserHdrs {
			if v := header(name); v != "" {
				return v
			}
		}
	}
	if g.UserJWT {
		if tok, ok := jwtclaims.FromAuthorization(header("Authorization")); ok {
			return tok.Subject()
		}
	}
	return ""
}

// gateClient returns the client IP of a request whose peer is at
// remoteAddr, as events name it, and as an address when the gate needs
// one: the peer, or behind a trusted proxy (then trusted is true) the
// address its forwarding headers h name (see package clientip). h is read
// only when the peer is a trusted proxy. The text of such an address goes
// in buf when it fits (a buffer of the caller's that nothing writes again,
// so no allocation per request), else in a new string.
func gateClient(remoteAddr string, g *policy.Gate, h clientip.Headers, buf []byte) (ip string, client netip.Addr, trusted bool) {
	ip = clientIP(remoteAddr)
	if g.Trusted == nil && !g.Active() {
		return ip, netip.Addr{}, false
	}
	peer := clientip.PeerAddr(remoteAddr)
	if !g.Trusted.Contains(peer) {
		return ip, peer, false
	}
	client = clientip.Client(peer, h, g.Trusted)
	if b := client.AppendTo(buf[:0]); len(b) > 0 && cap(buf) > 0 && &b[0] == &buf[:1][0] {
		return unsafe.String(&b[0], len(b)), client, true
	}
	return client.String(), client, true
}

// routesFile is RASP_ROUTES: the file the API inventory is written to, or
// "" for no inventory.
var routesFile = os.Getenv("RASP_ROUTES")

var routesWriter sync.Once

// startRoutesWriter starts writing the inventory to routesFile, once: every
// 5 s while requests come, and at exit.
func startRoutesWriter() {
	routesWriter.Do(func() {
		stop := routetable.StartWriter(routesFile, 5*time.Second)
		events.OnExit(stop)
	})
}

// observe records the request in the API inventory (RASP_ROUTES), with
// the route the framework matched when it says (net/http's pattern).
func (x *exchange) observe() {
	startRoutesWriter()
	status := x.status
	if status == 0 {
		status = http.StatusOK
	}
	route := x.r.Pattern // set by net/http's ServeMux on the request it routed
	if route == "" {
		route = x.r.URL.Path // another router: the inventory templates the path
	}
	routetable.Observe(x.r.Method, route, x.req.Inputs(), authOf(x.r.Header.Get("Authorization")), status)
}

// authOf names how a request authenticated, for the inventory, from its
// Authorization header: the scheme in lower case ("bearer", "basic"), else
// "" (a session cookie or an API key header is not told from other
// cookies and headers).
func authOf(authorization string) string {
	if authorization == "" {
		return ""
	}
	scheme, _, _ := strings.Cut(authorization, " ")
	return strings.ToLower(scheme)
}
