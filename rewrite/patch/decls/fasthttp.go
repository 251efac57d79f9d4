//go:build rasp_decls

// Declarations added to package github.com/valyala/fasthttp (and so to
// Fiber, which serves through it): every server's handler behind the
// runtime's request middleware.

package fasthttp

import __rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"

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
// runs (fasthttp reuses its goroutines: End forgets it), and a request
// one of whose sink calls was blocked gets the runtime's 403 answer
// instead of the handler's, which fasthttp has not sent yet: its status,
// body and headers, except the cookies it set (a fresh session or CSRF
// cookie lost would log the user out).
func __rasp_serve(h RequestHandler, ctx *RequestCtx) {
	s := __rasp_httphook.Begin(string(ctx.Request.Header.Peek("X-Request-Id")), string(ctx.Method()), string(ctx.URI().PathOriginal()),
		ctx.RemoteAddr().String(), string(ctx.Request.Header.Peek("Accept")), func() __rasp_httphook.RawRequest {
			return __rasp_read(ctx)
		})
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
	h(ctx)
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
