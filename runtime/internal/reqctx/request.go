package reqctx

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// InputSource reads the inputs of a request.
type InputSource interface {
	Inputs() []taint.Input
}

// Request is what the runtime knows of the HTTP request a sink call
// serves. The server middleware (package httphook) makes one per request
// and makes it reachable from the request's context and from the
// goroutines that serve it; the inputs are read lazily, the first time a
// detector asks. A Request must not be copied after Init.
type Request struct {
	// ID is the client's X-Request-Id; RequestID makes one when it is
	// empty. Read it through RequestID.
	ID                     string
	Method, Path, ClientIP string
	idOnce                 sync.Once

	load   InputSource
	mu     sync.Mutex
	stale  atomic.Bool // the inputs must be (re)loaded
	inputs atomic.Pointer[[]taint.Input]

	blocked  atomic.Pointer[callsite.BlockedError]
	attached atomic.Pointer[attachment]
	user     atomic.Pointer[string]
}

// UserSource names the user of a request: the InputSource of a request
// may implement it (from a bearer token's subject, or a trusted proxy's
// header).
type UserSource interface {
	User() string
}

// User returns the request's user: the one SetUser named, else the one
// its input source names (UserSource), read on first use; "" when
// unknown.
func (r *Request) User() string {
	if p := r.user.Load(); p != nil {
		return *p
	}
	u := ""
	if us, ok := r.load.(UserSource); ok {
		u = us.User()
	}
	r.user.CompareAndSwap(nil, &u)
	return *r.user.Load()
}

// SetUser names the request's user, over what its input source says
// (rasp.SetUser).
func (r *Request) SetUser(user string) { r.user.Store(&user) }

// Attachment is what a hook keeps with a request beyond the request
// itself: the messages of a connection upgraded from it (a WebSocket),
// whose inputs follow the request's own, and what to do when one of the
// request's sink calls is refused (close that connection).
type Attachment interface {
	InputSource
	// Refused is called with the request's first refusal, on the
	// goroutine of the refused call, or by Attach when the request was
	// refused before; a refusal racing with Attach may call it twice.
	Refused(e *callsite.BlockedError)
}

// LeadingInputs is an Attachment whose inputs come before the request's
// own: the arguments of a GraphQL operation, named by their path, go
// before the JSON body that carries them, so that an event names the
// argument (an input found in a value is named by its longest occurrence,
// the first input on a tie).
type LeadingInputs interface {
	Attachment
	InputsLead()
}

type attachment struct{ a Attachment }

// Attach attaches a to the request, unless an attachment is there
// already; it returns the request's attachment. When the request was
// refused already, the new attachment's Refused runs before Attach
// returns.
func (r *Request) Attach(a Attachment) Attachment {
	if p := r.attached.Load(); p != nil {
		return p.a
	}
	if !r.attached.CompareAndSwap(nil, &attachment{a}) {
		return r.attached.Load().a
	}
	r.InputsChanged()
	if b := r.blocked.Load(); b != nil {
		a.Refused(b)
	}
	return a
}

// Attached returns the request's attachment, or nil.
func (r *Request) Attached() Attachment {
	if p := r.attached.Load(); p != nil {
		return p.a
	}
	return nil
}

// NewRequest returns a Request whose inputs src reads on first use (src
// may be nil: no inputs).
// For tests, those of other packages too (so it stays exported).
func NewRequest(id, method, path, clientIP string, src InputSource) *Request {
	r := new(Request)
	r.Init(id, method, path, clientIP, src)
	return r
}

// Init sets up a zero Request, as NewRequest does, for a Request embedded
// in a larger structure.
func (r *Request) Init(id, method, path, clientIP string, src InputSource) {
	r.ID, r.Method, r.Path, r.ClientIP, r.load = id, method, path, clientIP, src
	r.stale.Store(src != nil)
}

// RequestID returns the request's ID: the client's, or one made on first
// use (a request that never reports pays nothing for it).
func (r *Request) RequestID() string {
	r.idOnce.Do(func() {
		if r.ID == "" {
			r.ID = newRequestID()
		}
	})
	return r.ID
}

// newRequestID returns 32 random hex digits.
func newRequestID() string {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	return hex.EncodeToString(b[:])
}

// InputsChanged tells the request that its inputs grew (the handler read
// more of the body): the next Inputs loads them again.
func (r *Request) InputsChanged() {
	if (r.load != nil || r.attached.Load() != nil) && !r.stale.Load() {
		r.stale.Store(true)
	}
}

// Inputs returns the request's inputs, loading them on the first call and
// after InputsChanged. A loader that panics yields no inputs (and is
// counted). The slice returned is never modified.
func (r *Request) Inputs() []taint.Input {
	if r.stale.Load() {
		r.reload()
	}
	if p := r.inputs.Load(); p != nil {
		return *p
	}
	return nil
}

func (r *Request) reload() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stale.Load() {
		return
	}
	r.stale.Store(false)
	defer func() {
		if p := recover(); p != nil {
			metrics.NoteInternalError()
			metrics.CountInternalError("middleware")
			events.Logf("internal error reading the inputs of request %s: %v", r.RequestID(), p)
		}
	}()
	var in []taint.Input
	if r.load != nil {
		in = r.load.Inputs()
	}
	if a := r.attached.Load(); a != nil {
		if _, lead := a.a.(LeadingInputs); lead {
			lead := a.a.Inputs()
			in = append(append(make([]taint.Input, 0, len(lead)+len(in)), lead...), in...)
		} else {
			in = append(in[:len(in):len(in)], a.a.Inputs()...)
		}
	}
	r.inputs.Store(&in)
}

// Blocked returns the first refusal of a sink call made for the request,
// or nil.
func (r *Request) Blocked() *callsite.BlockedError { return r.blocked.Load() }

// NoteBlocked records the request's first refusal; it reports whether e
// was the first. The first refusal is passed on to the request's
// attachment (a connection upgraded from it closes), if any.
func (r *Request) NoteBlocked(e *callsite.BlockedError) bool {
	if !r.blocked.CompareAndSwap(nil, e) {
		return false
	}
	if p := r.attached.Load(); p != nil {
		p.a.Refused(e)
	}
	return true
}

type requestKey struct{}

// WithRequest returns ctx carrying r.
// For tests, those of other packages too (so it stays exported).
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestContext is a context carrying a request, to embed in a larger
// structure (WithRequest allocates one). Set Parent and Request before use.
type RequestContext struct {
	context.Context // the parent
	Request         *Request
}

// Value returns the request for the runtime's key, else the parent's value.
func (c *RequestContext) Value(key any) any {
	if _, ok := key.(requestKey); ok {
		return c.Request
	}
	return c.Context.Value(key)
}

// RequestFrom returns the request ctx carries, or nil.
func RequestFrom(ctx context.Context) *Request {
	if ctx == nil {
		return nil
	}
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// Entered remembers the request a goroutine served before Enter.
type Entered struct{ prev unsafe.Pointer }

// Enter makes r the request of the calling goroutine and of the goroutines
// it starts from now on; Leave on the result restores the previous one.
// Without the tool's patched runtime (a plain build) it does nothing, and
// only contexts carry the request.
func Enter(r *Request) Entered {
	prev := glsRequest()
	setGLSRequest(unsafe.Pointer(r))
	return Entered{prev}
}

// Leave restores the request the goroutine served before Enter.
func (e Entered) Leave() { setGLSRequest(e.prev) }

// CurrentRequest returns the request the calling goroutine serves: the one
// ctx carries (ctx may be nil), else the goroutine's, else nil.
func CurrentRequest(ctx context.Context) *Request {
	if r := RequestFrom(ctx); r != nil {
		return r
	}
	return (*Request)(glsRequest())
}

// Fixed is an InputSource whose inputs are known in advance: a request
// made by tests, or by a caller that read its inputs itself.
type Fixed []taint.Input

// Inputs returns the inputs.
func (f Fixed) Inputs() []taint.Input { return f }
