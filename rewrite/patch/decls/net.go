//go:build rasp_decls

// Declarations added to package net: the dial hook and the mark of the
// resolver's own dials.

package net // import "net"

import (
	"context"
	_ "unsafe" // for go:linkname
)

var __rasp_dialHook func(ctx context.Context, network, address string, resolved Addr) error

// __rasp_dnsDial marks the context of the resolver's dials to its name
// servers: they carry the request's context, but are never its destination.
type __rasp_dnsDial struct{}

// __rasp_setDialHook is called by the runtime at init.
//
//go:linkname __rasp_setDialHook
//rasp:pull runtime/nethook setDialHook
func __rasp_setDialHook(h func(ctx context.Context, network, address string, resolved Addr) error) {
	__rasp_dialHook = h
}
