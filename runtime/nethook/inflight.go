package nethook

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// A transport's custom DialContext may drop the context it is given (it
// calls net.DialTimeout, or dials with context.Background()), and the dial
// mark with it: the dial would then be judged as if its own call site had
// chosen the address, without the provenance of the URL nor the redirects
// the client followed. While an HTTP client call made through a hook is in
// progress, the addresses its request and its redirects lead to are kept
// here with the call's mark; a dial that carries no mark and goes to one
// of them is judged with that mark.

// inflightSlots bounds the table: beyond it, calls are not entered (their
// dials through a context-dropping dialer are judged as before).
const inflightSlots = 128

type inflightEntry struct {
	host, port string
	m          *dialMark
}

var inflight struct {
	n  atomic.Int32 // entries in use: 0 lets lookups return at once
	mu sync.Mutex
	e  [inflightSlots]inflightEntry
}

// maxSlotsPerMark bounds the entries one call holds: its URL and its
// first redirects.
const maxSlotsPerMark = 4

// enter records that the call of m leads to the host and port of u (the
// port its scheme implies when it names none), until m.leave.
func (m *dialMark) enter(u *url.URL) { m.enterIf(u, false) }

// enterRedirect is enter for a redirect of a call that entered (and will
// leave): a mark no call entered is not put in the table.
func (m *dialMark) enterRedirect(u *url.URL) { m.enterIf(u, true) }

func (m *dialMark) enterIf(u *url.URL, redirect bool) {
	if u == nil {
		return
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return
	}
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "wss") {
			port = "443"
		}
	}
	m.mu.Lock()
	m.destHost, m.destPort = host, port
	m.mu.Unlock()
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	if m.nslots >= maxSlotsPerMark || redirect && m.nslots == 0 {
		return
	}
	for i := range inflight.e {
		if inflight.e[i].m == nil {
			inflight.e[i] = inflightEntry{host: host, port: port, m: m}
			m.slots[m.nslots] = int16(i)
			m.nslots++
			inflight.n.Add(1)
			return
		}
	}
}

// leave removes the entries of m.
func (m *dialMark) leave() {
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	for k := 0; k < m.nslots; k++ {
		inflight.e[m.slots[k]] = inflightEntry{}
		inflight.n.Add(-1)
	}
	m.nslots = 0
}

// inflightMark returns the mark of a call in progress whose request or
// redirect leads to address (host:port), or nil.
func inflightMark(address string) *dialMark {
	if inflight.n.Load() == 0 {
		return nil
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil
	}
	host = strings.TrimSuffix(host, ".")
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	for i := range inflight.e {
		e := &inflight.e[i]
		if e.m != nil && e.port == port && strings.EqualFold(strings.TrimSuffix(e.host, "."), host) {
			return e.m
		}
	}
	return nil
}

// outerMark returns ctx carrying the mark of the call this dial is part
// of: the one ctx already carries (a custom DialContext that passed its
// context on), else the one of a call in progress to address; ok is false
// when there is none, and the dial's own call site judges it.
func outerMark(ctx context.Context, address string) (context.Context, bool) {
	if ctx != nil {
		if m, _ := ctx.Value(markKey{}).(*dialMark); m != nil {
			return ctx, true
		}
	}
	m := inflightMark(address)
	if m == nil {
		return ctx, false
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithValue(ctx, markKey{}, m), true
}
