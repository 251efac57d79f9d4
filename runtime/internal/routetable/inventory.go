package routetable

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// The bounds of the table (see the package's doc).
const (
	maxRoutes    = 1000 // routes recorded
	maxInputs    = 64   // inputs recorded per route (the bits of a uint64)
	maxStatuses  = 8    // distinct statuses per route
	maxAuth      = 4    // distinct auth schemes per route
	maxMethodLen = 16
	maxRouteLen  = 256 // bytes of a route, once templated
	maxSourceLen = 16
	maxNameLen   = 128
	maxAuthLen   = 96
)

// route is the record of one method and route.
type route struct {
	method, path string
	// params[i] is the parameter the i-th non-empty segment of the path
	// names, "" for a literal segment; named lists every parameter.
	params []string
	named  []string

	count       atomic.Uint64
	statuses    [maxStatuses]statusSlot
	otherStatus atomic.Uint64
	auth        [maxAuth]authSlot
	noAuth      atomic.Uint64
	otherAuth   atomic.Uint64
	dropped     atomic.Uint64

	mu     sync.Mutex                        // held to add a field
	fields atomic.Pointer[map[string]*field] // by source + "\x00" + name; never nil
}

// statusSlot counts one status; code is the status plus one, 0 while the
// slot is free.
type statusSlot struct {
	code atomic.Uint32
	n    atomic.Uint64
}

// authSlot counts one auth scheme; scheme is nil while the slot is free.
type authSlot struct {
	scheme atomic.Pointer[string]
	n      atomic.Uint64
}

// field is the record of one input of a route.
type field struct {
	source, name string
	bit          uint64 // 1 << its index among the route's fields
	count        atomic.Uint64
	kinds        atomic.Uint32 // the kinds seen (kindBits)
}

// table is every route.
var table struct {
	mu        sync.Mutex                        // held to add a route
	routes    atomic.Pointer[map[string]*route] // by method + " " + route; never nil
	overflow  atomic.Uint64
	unmatched atomic.Uint64
}

func init() { reset() }

// reset empties the table.
func reset() {
	table.mu.Lock()
	defer table.mu.Unlock()
	m := map[string]*route{}
	table.routes.Store(&m)
	table.overflow.Store(0)
	table.unmatched.Store(0)
}

// keyBuf holds a key being built, on the caller's stack.
type keyBuf struct {
	b [maxMethodLen + 1 + maxRouteLen]byte
	n int
}

func (k *keyBuf) add(s string) bool {
	if k.n+len(s) > len(k.b) {
		return false
	}
	k.n += copy(k.b[k.n:], s)
	return true
}

func (k *keyBuf) addByte(c byte) bool {
	if k.n == len(k.b) {
		return false
	}
	k.b[k.n] = c
	k.n++
	return true
}

func (k *keyBuf) bytes() []byte { return k.b[:k.n] }

// Observe records a request that was served: its method, its route (the
// pattern the framework matched, else the request's path, else ""; see
// the package's doc), its inputs (names and kinds only), how it
// authenticated ("" for not at all, "bearer", "basic", "cookie:NAME",
// "header:NAME", "query:NAME") and the status it was answered. It is safe
// for concurrent use, and allocates nothing for a known route whose
// inputs are known.
func Observe(method, route string, inputs []taint.Input, auth string, status int) {
	var k keyBuf
	raw, ok := routeKey(&k, method, route, inputs)
	if !ok {
		table.overflow.Add(1)
		return
	}
	if raw && (status == 404 || status == 405) {
		table.unmatched.Add(1)
		return
	}
	r := (*table.routes.Load())[string(k.bytes())]
	if r == nil {
		if r = addRoute(k.bytes(), len(method)); r == nil {
			table.overflow.Add(1)
			return
		}
	}
	r.observe(inputs, auth, status)
}

// routeKey writes method + " " + the route to k, and reports whether the
// route is a path (templated) rather than a pattern, and whether the key
// is valid and fits.
func routeKey(k *keyBuf, method, route string, inputs []taint.Input) (raw, ok bool) {
	if method == "" || len(method) > maxMethodLen || !isToken(method) {
		return false, false
	}
	k.add(method)
	k.addByte(' ')
	start := k.n
	if route == "" {
		ok = pathFromInputs(k, inputs)
		raw = true
	} else {
		route, raw = cutPattern(route)
		if raw {
			ok = appendTemplate(k, route)
		} else {
			ok = k.add(route)
		}
	}
	if !ok || k.n-start > maxRouteLen || hasControl(k.b[start:k.n]) {
		return raw, false
	}
	return raw, true
}

// cutPattern cuts the method and host off a net/http pattern ("GET
// example.com/x" is "/x"), and reports whether what is left is a path
// rather than a pattern.
func cutPattern(route string) (string, bool) {
	pattern := false
	slash := strings.IndexByte(route, '/')
	if sp := strings.IndexAny(route, " \t"); sp >= 0 && (slash < 0 || sp < slash) {
		route = strings.TrimLeft(route[sp:], " \t")
		slash = strings.IndexByte(route, '/')
		pattern = true
	}
	if slash > 0 {
		route = route[slash:]
		pattern = true
	}
	if pattern || hasMarker(route) {
		return route, false
	}
	return route, true
}

// hasMarker reports whether a route has a parameter of a router's syntax:
// a segment holding '{' or starting with ':', '*' or '+'.
func hasMarker(route string) bool {
	if strings.IndexByte(route, '{') >= 0 {
		return true
	}
	for i := 0; i < len(route); i++ {
		if (i == 0 || route[i-1] == '/') && (route[i] == ':' || route[i] == '*' || route[i] == '+') {
			return true
		}
	}
	return false
}

// pathFromInputs writes the template of the path made of the request's
// path segment inputs ("0", "1"...).
func pathFromInputs(k *keyBuf, inputs []taint.Input) bool {
	next, ids := 0, 0
	for i := range inputs {
		in := &inputs[i]
		if in.Source != "path" {
			continue
		}
		if idx, ok := segmentIndex(in.Name); !ok || idx != next {
			continue // a wildcard, a rest of the path, or a decoded twin
		}
		next++
		if !k.addByte('/') || !appendSegment(k, in.Value, &ids) {
			return false
		}
	}
	if next == 0 {
		return k.addByte('/')
	}
	return true
}

// segmentIndex parses a path input's name that is a segment's index.
func segmentIndex(name string) (int, bool) {
	if name == "" || len(name) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// addRoute adds the route of key, unless the table is full.
func addRoute(key []byte, methodLen int) *route {
	if len(*table.routes.Load()) >= maxRoutes {
		return nil
	}
	table.mu.Lock()
	defer table.mu.Unlock()
	m := *table.routes.Load()
	if r := m[string(key)]; r != nil {
		return r
	}
	if len(m) >= maxRoutes {
		return nil
	}
	s := string(key)
	r := &route{method: s[:methodLen], path: s[methodLen+1:]}
	r.params, r.named = parseParams(r.path)
	fields := map[string]*field{}
	r.fields.Store(&fields)
	nm := make(map[string]*route, len(m)+1)
	for k, v := range m {
		nm[k] = v
	}
	nm[s] = r
	table.routes.Store(&nm)
	return r
}

// observe records one request of the route.
func (r *route) observe(inputs []taint.Input, auth string, status int) {
	r.count.Add(1)
	r.status(status)
	r.authenticated(auth)
	var seen uint64 // the fields counted for this request
	for i := range inputs {
		r.input(&inputs[i], &seen)
	}
}

// status counts a status.
func (r *route) status(code int) {
	if code < 0 || code > 999 {
		return
	}
	want := uint32(code) + 1
	for i := range r.statuses {
		s := &r.statuses[i]
		c := s.code.Load()
		if c == 0 && (s.code.CompareAndSwap(0, want) || s.code.Load() == want) {
			s.n.Add(1)
			return
		}
		if c == want {
			s.n.Add(1)
			return
		}
	}
	r.otherStatus.Add(1)
}

// authenticated counts an auth scheme.
func (r *route) authenticated(auth string) {
	if auth == "" {
		r.noAuth.Add(1)
		return
	}
	for i := range r.auth {
		a := &r.auth[i]
		p := a.scheme.Load()
		if p == nil {
			norm, ok := normalizeAuth(auth)
			if !ok {
				break
			}
			if a.scheme.CompareAndSwap(nil, &norm) {
				a.n.Add(1)
				return
			}
			p = a.scheme.Load()
		}
		if sameAuth(*p, auth) {
			a.n.Add(1)
			return
		}
	}
	r.otherAuth.Add(1)
}

// normalizeAuth checks an auth scheme, "scheme" or "scheme:NAME", and
// writes its scheme in lower case.
func normalizeAuth(auth string) (string, bool) {
	if len(auth) > maxAuthLen {
		return "", false
	}
	scheme, name, hasName := strings.Cut(auth, ":")
	if scheme == "" || !isToken(scheme) || hasName && (name == "" || !isToken(name)) {
		return "", false
	}
	return strings.ToLower(scheme) + auth[len(scheme):], true
}

// sameAuth reports whether the recorded scheme stored is auth.
func sameAuth(stored, auth string) bool {
	if len(stored) != len(auth) {
		return false
	}
	i := strings.IndexByte(stored, ':')
	if i < 0 {
		return strings.EqualFold(stored, auth)
	}
	return strings.EqualFold(stored[:i], auth[:i]) && stored[i:] == auth[i:]
}

// nameBuf holds a field's key being built, on the caller's stack.
type nameBuf struct {
	b [maxSourceLen + 1 + maxNameLen]byte
	n int
}

// input records one input of a request; seen holds the fields that this
// request already counted.
func (r *route) input(in *taint.Input, seen *uint64) {
	name := in.Name
	if in.Source == "path" {
		p, ok := r.pathParam(name)
		if !ok {
			return // a literal segment, or the rest of the path
		}
		name = p
	}
	if in.Value != "" && strings.HasSuffix(name, in.Value) && unusualName(name) {
		return // the name of an unusual key, added as an input of its own
	}
	var k nameBuf
	if !fieldKey(&k, in.Source, name) {
		if !isHeader(in.Source) || interestingHeader(name) {
			r.dropped.Add(1)
		}
		return
	}
	f := (*r.fields.Load())[string(k.b[:k.n])]
	if f == nil {
		if isHeader(in.Source) && !interestingHeader(name) {
			return
		}
		if f = r.addField(k.b[:k.n], len(in.Source)); f == nil {
			r.dropped.Add(1)
			return
		}
	}
	if *seen&f.bit == 0 {
		*seen |= f.bit
		f.count.Add(1)
	}
	if old := f.kinds.Load(); !widened(kindBits(old)) {
		if bit := uint32(kindOf(in.Value)); bit != 0 {
			for old&bit == 0 && !f.kinds.CompareAndSwap(old, old|bit) {
				old = f.kinds.Load()
			}
		}
	}
}

// isHeader reports whether inputs of source are headers: only some are
// recorded (interestingHeader).
func isHeader(source string) bool { return source == "header" || source == "metadata" }

// pathParam returns the parameter a path input fills: the segment its
// name indexes, or the wildcard it names.
func (r *route) pathParam(name string) (string, bool) {
	if idx, ok := segmentIndex(name); ok {
		if idx < len(r.params) && r.params[idx] != "" {
			return r.params[idx], true
		}
		return "", false
	}
	for _, p := range r.named {
		if p == name {
			return p, true
		}
	}
	return "", false
}

// fieldKey writes source + "\x00" + the normalised name to k, and reports
// whether both are valid and fit.
func fieldKey(k *nameBuf, source, name string) bool {
	if source == "" || len(source) > maxSourceLen || !isToken(source) {
		return false
	}
	k.n = copy(k.b[:], source)
	k.b[k.n] = 0
	k.n++
	bracket := false
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return false
		}
		bracket = bracket || name[i] == '['
	}
	if !bracket {
		if k.n+len(name) > len(k.b) {
			return false
		}
		k.n += copy(k.b[k.n:], name)
		return true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '[' {
			// "[3]" is "[]".
			j := i + 1
			for j < len(name) && '0' <= name[j] && name[j] <= '9' {
				j++
			}
			if j > i+1 && j < len(name) && name[j] == ']' {
				if k.n+2 > len(k.b) {
					return false
				}
				k.b[k.n], k.b[k.n+1] = '[', ']'
				k.n += 2
				i = j
				continue
			}
		}
		if k.n == len(k.b) {
			return false
		}
		k.b[k.n] = c
		k.n++
	}
	return true
}

// addField adds the field of key, unless the route has all it may.
func (r *route) addField(key []byte, sourceLen int) *field {
	if len(*r.fields.Load()) >= maxInputs {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := *r.fields.Load()
	if f := m[string(key)]; f != nil {
		return f
	}
	if len(m) >= maxInputs {
		return nil
	}
	s := string(key)
	f := &field{source: s[:sourceLen], name: s[sourceLen+1:], bit: 1 << uint(len(m))}
	nm := make(map[string]*field, len(m)+1)
	for k, v := range m {
		nm[k] = v
	}
	nm[s] = f
	r.fields.Store(&nm)
	return f
}

// Classes of bytes (byteClass).
const (
	classToken = 1 << iota // a byte of an HTTP token (RFC 9110)
	className              // a byte a recorded name may hold
	classUsual             // an ASCII letter, digit or one of "_-.[]"
)

// byteClass holds the classes of each byte.
var byteClass = func() (t [256]uint8) {
	for c := 0x21; c < 0x7f; c++ {
		if !strings.ContainsRune("\"'`<>\\{}", rune(c)) {
			t[c] |= className
		}
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if alnum || strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			t[c] |= classToken
		}
		if alnum || strings.ContainsRune("_-.[]", rune(c)) {
			t[c] |= classUsual
		}
	}
	return t
}()

// isToken reports whether s is made of an HTTP token's bytes (RFC 9110).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&classToken == 0 {
			return false
		}
	}
	return s != ""
}

// nameByte reports whether c may be in a recorded name.
func nameByte(c byte) bool { return byteClass[c]&className != 0 }

// unusualName reports whether a name holds a byte other than ASCII
// letters, digits and "_-.[]": the middleware then adds the key itself as
// an input.
func unusualName(s string) bool {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&classUsual == 0 {
			return true
		}
	}
	return false
}

// hasControl reports whether b holds a control byte.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < ' ' || c == 0x7f {
			return true
		}
	}
	return false
}
