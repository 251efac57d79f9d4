// Package httphook is the runtime's request middleware. The build
// reroutes every call that starts a net/http server (http.ListenAndServe,
// http.Serve, (*http.Server).Serve and their TLS forms) to the hooks here,
// which wrap the server's handler with Wrap; frameworks that start their
// servers through these calls (gin, echo, chi with net/http) are covered
// the same way, since their packages are rewritten like the program's.
package httphook

import (
	"net"
	"net/http"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
)

// Site is a rewritten call site, the first parameter of every hook.
type Site = callsite.Site

// HTTPListenAndServe is the hook for http.ListenAndServe.
func HTTPListenAndServe(_ *Site, addr string, handler http.Handler) error {
	return http.ListenAndServe(addr, serving(handler))
}

// HTTPListenAndServeTLS is the hook for http.ListenAndServeTLS.
func HTTPListenAndServeTLS(_ *Site, addr, certFile, keyFile string, handler http.Handler) error {
	return http.ListenAndServeTLS(addr, certFile, keyFile, serving(handler))
}

// HTTPServe is the hook for http.Serve.
func HTTPServe(_ *Site, l net.Listener, handler http.Handler) error {
	return http.Serve(l, serving(handler))
}

// HTTPServeTLS is the hook for http.ServeTLS.
func HTTPServeTLS(_ *Site, l net.Listener, handler http.Handler, certFile, keyFile string) error {
	return http.ServeTLS(l, serving(handler), certFile, keyFile)
}

// wrapServer wraps the handler of srv, once: a Server's handler is set
// before it serves (in a struct literal or an assigned field), and a nil
// one means http.DefaultServeMux.
func wrapServer(srv *http.Server) {
	if srv != nil {
		srv.Handler = serving(srv.Handler)
	}
}

// ServerStarting is called by the glue the build adds to servers other
// than net/http's (gRPC's Serve, fasthttp's and so Fiber's) when one
// starts to serve: the first server of the process, of any kind, writes
// the "rasp active" record and prints the runtime's banner, as a net/http
// server does.
func ServerStarting() { judge.ServerStarting() }

// serving is the handler a starting server serves: handler wrapped with
// the middleware. The first server of the program prints the runtime's
// banner.
func serving(handler http.Handler) http.Handler {
	judge.ServerStarting()
	return Wrap(handler)
}

// ServerListenAndServe is the hook for (*http.Server).ListenAndServe.
func ServerListenAndServe(_ *Site, srv *http.Server) error {
	wrapServer(srv)
	return srv.ListenAndServe()
}

// ServerListenAndServeTLS is the hook for (*http.Server).ListenAndServeTLS.
func ServerListenAndServeTLS(_ *Site, srv *http.Server, certFile, keyFile string) error {
	wrapServer(srv)
	return srv.ListenAndServeTLS(certFile, keyFile)
}

// ServerServe is the hook for (*http.Server).Serve.
func ServerServe(_ *Site, srv *http.Server, l net.Listener) error {
	wrapServer(srv)
	return srv.Serve(l)
}

// ServerServeTLS is the hook for (*http.Server).ServeTLS.
func ServerServeTLS(_ *Site, srv *http.Server, l net.Listener, certFile, keyFile string) error {
	wrapServer(srv)
	return srv.ServeTLS(l, certFile, keyFile)
}
