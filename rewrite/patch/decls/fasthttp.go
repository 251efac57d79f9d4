//go:build rasp_decls

// Declarations added to package github.com/valyala/fasthttp (and so to
// Fiber, which serves through it): every server's handler behind the
// runtime's request middleware.

package fasthttp

import (
	"strings"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_wrap puts the server's handler behind the middleware, once,
// whichever of Serve and ServeConn runs first; the first server of the
// process prints the runtime's banner, as a net/http server does.
func (s *Server) __rasp_wrap() {
	s.__rasp_once.Do(func() {
		__rasp_httphook.ServerStarting()
		if h := s.Handler; h != nil {
			s.Handler = func(ctx *RequestCtx) { __rasp_serve(h, ctx) }
		}
	})
}

// __rasp_serve serves one request: the runtime knows it while the handler
// runs (fasthttp reuses its goroutines: End forgets it). A request the
// policy's request rules refuse (the client IP, behind a trusted proxy the
// one its headers name, a bot, a user, a rate limit) is answered without
// running the handler: 403, or 429 with Retry-After. A request one of
// whose sink calls was blocked gets the runtime's 403 answer instead of
// the handler's, which fasthttp has not sent yet: its status, body and
// headers, except the cookies it set (a fresh session or CSRF cookie lost
// would log the user out).
func __rasp_serve(h RequestHandler, ctx *RequestCtx) {
	s := __rasp_httphook.Begin(string(ctx.Method()), string(ctx.URI().PathOriginal()), ctx.RemoteAddr().String(), (*__rasp_request)(ctx))
	if s == nil {
		h(ctx)
		return
	}
	defer func() {
		refusal, id := s.End()
		if refusal != nil {
			var cookies []string
			ctx.Response.Header.VisitAllCookie(func(_, v []byte) { cookies = append(cookies, string(v)) })
			ctx.Response.Reset()
			ctx.SetStatusCode(refusal.Status)
			for _, kv := range refusal.Header {
				ctx.Response.Header.Set(kv[0], kv[1])
			}
			for _, c := range cookies {
				ctx.Response.Header.Add("Set-Cookie", c)
			}
			ctx.SetBodyString(refusal.Body)
		} else if id != "" {
			ctx.Response.Header.Set("X-Request-Id", id)
		}
	}()
	if s.Refused() {
		return // End answers
	}
	h(ctx)
}

// __rasp_request is a request as the runtime reads it
// (__rasp_httphook.Raw): a header when asked, the rest when a detector
// first asks for the request's inputs. A conversion of the *RequestCtx,
// it costs no allocation.
type __rasp_request RequestCtx

// Header returns the first value of the header name, or "".
func (r *__rasp_request) Header(name string) string {
	return string(r.Request.Header.Peek(name))
}

// Values returns every line of the header name, matched without regard to
// case, in the order they came: the forwarding headers of a trusted proxy
// (a client's own X-Forwarded-For line must not hide the proxy's).
func (r *__rasp_request) Values(name string) []string {
	var vs []string
	r.Request.Header.VisitAll(func(k, v []byte) {
		if len(k) == len(name) && strings.EqualFold(string(k), name) {
			vs = append(vs, string(v))
		}
	})
	return vs
}

// Status returns the status of the handler's answer, for the API
// inventory.
func (r *__rasp_request) Status() int { return r.Response.StatusCode() }

// Read returns the rest of the request.
func (r *__rasp_request) Read() __rasp_httphook.RawRequest {
	return __rasp_read((*RequestCtx)(r))
}

// __rasp_read copies what the runtime reads of a request: the query
// string, the headers with the cookies, and the body.
func __rasp_read(ctx *RequestCtx) __rasp_httphook.RawRequest {
	header := map[string][]string{}
	ctx.Request.Header.VisitAll(func(k, v []byte) {
		key := string(k)
		header[key] = append(header[key], string(v))
	})
	return __rasp_httphook.RawRequest{
		RawQuery: string(ctx.URI().QueryString()),
		Header:   header,
		Body:     append([]byte(nil), ctx.PostBody()...),
	}
}
