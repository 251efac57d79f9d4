package httphook

import (
	"context"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/gate"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/routetable"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// RPCMethod is the request method events carry for a remote procedure
// call; its path is the full method name, /package.Service/Method.
const RPCMethod = "RPC"

// Bounds of the walk of received messages: nesting, and fields visited per
// message (the inputs themselves are at most 256, as for HTTP requests).
const (
	maxMessageDepth  = 32
	maxMessageFields = 4096
)

// RPC is one call of an RPC server (gRPC) from BeginRPC to End: the call is
// known to every sink call of its goroutine and of its context, with its
// inputs (the incoming metadata, and every string and bytes field of every
// message received) read lazily, when a detector first asks.
type RPC struct {
	request  reqctx.Request
	ctx      reqctx.RequestContext
	entered  reqctx.Entered
	clientID string
	metadata map[string][]string
	gate     *policy.Gate  // the request rules in force when the call came
	trusted  bool          // the peer is a trusted proxy
	refused  *gate.Refusal // the gate's refusal: the handler must not run

	mu       sync.Mutex
	messages []any
}

// BeginRPC starts serving a call of fullMethod (/pkg.Service/Method) from
// the peer at remoteAddr, with its incoming metadata (lower-case keys, as
// gRPC keeps them); a client's x-request-id is echoed when sane. The
// client IP is the peer's, or behind a trusted proxy (trusted_proxies) the
// one its forwarding metadata names (x-forwarded-for, forwarded,
// x-real-ip); when the policy has request rules, they are checked with
// method RPC and the full method as path, and a call they refuse must not
// reach the handler (Refused). It returns nil in mode off. End must be
// called on the same goroutine.
func BeginRPC(ctx context.Context, fullMethod, remoteAddr string, md map[string][]string) *RPC {
	if judge.CurrentMode() == policy.ModeOff {
		return nil
	}
	c := &RPC{metadata: md, gate: judge.CurrentPolicy().Gate()}
	if ids := md["x-request-id"]; len(ids) > 0 {
		c.clientID = clientRequestID(ids[0])
	}
	ip, client, trusted := gateClient(remoteAddr, c.gate, metadataHeaders(md), nil)
	c.trusted = trusted
	c.request.Init(c.clientID, RPCMethod, fullMethod, ip, c)
	if c.gate.Active() {
		in := gate.Info{Method: RPCMethod, Path: fullMethod, Client: client, UserAgent: metadataHeaders(md).Header("User-Agent")}
		c.refused = gate.Check(c.gate, &c.request, &in)
	}
	c.ctx = reqctx.RequestContext{Context: ctx, Request: &c.request}
	c.entered = reqctx.Enter(&c.request)
	return c
}

// Refused reports whether the request rules refused the call: the handler
// must not run, and End returns the refusing rule (RetryAfter says when
// it is a rate limit).
func (c *RPC) Refused() bool { return c.refused != nil }

// RetryAfter is, when the gate refused the call for a rate limit, the
// whole seconds the client should wait before it tries again (as a
// Retry-After header gives them); "" otherwise.
func (c *RPC) RetryAfter() string {
	if c.refused == nil || c.refused.Status != http.StatusTooManyRequests {
		return ""
	}
	return c.refused.RetryAfterSeconds()
}

// User names the call's user, for reqctx.Request: a trusted proxy's
// users.headers (as metadata), else the subject of the bearer token of
// the authorization metadata.
func (c *RPC) User() string {
	return userFrom(metadataHeaders(c.metadata).Header, c.trusted, c.gate)
}

// metadataHeaders is gRPC metadata as headers: a canonical header name
// is looked up in lower case, as gRPC keeps the keys, else without regard
// to case.
type metadataHeaders map[string][]string

// Values returns the lines of the header key (clientip.Headers).
func (md metadataHeaders) Values(key string) []string {
	if v, ok := md[key]; ok {
		return v
	}
	if v, ok := md[strings.ToLower(key)]; ok {
		return v
	}
	for k, v := range md {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// Header returns the first line of the header key, or "".
func (md metadataHeaders) Header(key string) string {
	if v := md.Values(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Context returns the call's context, through which sink calls given it
// find the call.
func (c *RPC) Context() context.Context { return &c.ctx }

// Received adds a message the call received to its inputs.
func (c *RPC) Received(msg any) {
	c.mu.Lock()
	c.messages = append(c.messages, msg)
	c.mu.Unlock()
	c.request.InputsChanged()
}

// End ends the call: it restores the goroutine's request and returns the
// call's request ID when the client sent one or a sink call was blocked
// (else ""), and the blocking rule ("" when nothing was blocked).
func (c *RPC) End() (requestID, blockedRule string) {
	c.entered.Leave()
	if routesFile != "" {
		c.observe()
	}
	if b := c.request.Blocked(); b != nil {
		return c.request.RequestID(), b.Rule
	}
	return c.clientID, ""
}

// Inputs reads the call's inputs, for reqctx.Request: the metadata (source
// "metadata", by sorted key), the string claims of a bearer token in the
// authorization metadata (source "jwt"), then the fields of the messages (source
// "grpc", named by their field path: "filter.tags[1]", "labels[env]").
func (c *RPC) Inputs() (ins []taint.Input) {
	col := collector{ins: make([]taint.Input, 0, 16)}
	for _, k := range sortedKeys(c.metadata) {
		if skipMetadata(k) {
			continue
		}
		for _, v := range c.metadata[k] {
			col.add("metadata", k, v)
		}
	}
	if a := c.metadata["authorization"]; len(a) > 0 {
		col.jwt(a[0])
	}
	c.mu.Lock()
	msgs := append([]any(nil), c.messages...)
	c.mu.Unlock()
	defer func() {
		// A message the walk cannot read (a panic inside reflection) fails
		// open: the inputs seen so far, the fault counted and logged.
		if p := recover(); p != nil {
			metrics.CountInternalError("rpc-inputs")
			ins = col.ins
		}
	}()
	for _, m := range msgs {
		w := walker{col: &col}
		w.walk(reflect.ValueOf(m), "", 0)
	}
	return col.ins
}

// skipMetadata reports whether a metadata key is protocol, not data (as
// skipHeader does for HTTP headers).
func skipMetadata(k string) bool {
	switch k {
	case ":authority", "content-type", "user-agent", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "authorization":
		return true
	}
	return strings.HasPrefix(k, "grpc-") || strings.HasSuffix(k, "-bin")
}

// walker visits the string and bytes fields of a generated message (a
// pointer to a struct whose exported fields have protobuf tags), with the
// bounds above.
type walker struct {
	col    *collector
	fields int
}

func (w *walker) walk(v reflect.Value, path string, depth int) {
	if depth > maxMessageDepth || w.fields >= maxMessageFields || w.col.full() {
		return
	}
	w.fields++
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem(), path, depth+1)
		}
	case reflect.String:
		w.col.add("grpc", path, v.String())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			w.col.add("grpc", path, string(v.Bytes()))
			return
		}
		for i := 0; i < v.Len() && !w.col.full(); i++ {
			w.walk(v.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keyText(keys[i]) < keyText(keys[j]) }) // a fixed order, as for the other sources
		for _, k := range keys {
			if k.Kind() == reflect.String {
				w.col.addName("grpc", path, k.String())
			}
		}
		for _, k := range keys {
			w.walk(v.MapIndex(k), path+"["+keyText(k)+"]", depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue // the message's internal state
			}
			name := fieldName(f)
			if path != "" && name != "" {
				name = path + "." + name
			} else if name == "" {
				name = path // a oneof's wrapper: its field is the message's
			}
			w.walk(v.Field(i), name, depth+1)
		}
	}
}

// fieldName is a field's name in the .proto (protobuf:"...,name=owner,..."),
// else its Go name; "" for a oneof's interface field, whose wrapper names
// the field.
func fieldName(f reflect.StructField) string {
	if _, ok := f.Tag.Lookup("protobuf_oneof"); ok {
		return ""
	}
	for _, part := range strings.Split(f.Tag.Get("protobuf"), ",") {
		if n, ok := strings.CutPrefix(part, "name="); ok {
			return n
		}
	}
	if f.Anonymous {
		return ""
	}
	return f.Name
}

func keyText(k reflect.Value) string {
	switch k.Kind() {
	case reflect.String:
		return k.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(k.Uint(), 10)
	case reflect.Bool:
		return strconv.FormatBool(k.Bool())
	}
	return "?"
}

// observe records the call in the API inventory (RASP_ROUTES), by its full
// method, with 200, or 403 (429 for a rate limit) when it was refused.
func (c *RPC) observe() {
	startRoutesWriter()
	status := http.StatusOK
	if c.request.Blocked() != nil {
		status = http.StatusForbidden
		if c.RetryAfter() != "" {
			status = http.StatusTooManyRequests
		}
	}
	auth := ""
	if a := c.metadata["authorization"]; len(a) > 0 {
		auth = authOf(a[0])
	}
	routetable.Observe(c.request.Method, c.request.Path, c.request.Inputs(), auth, status)
}
