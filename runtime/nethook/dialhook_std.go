//go:build rasp_std

package nethook

import (
	"context"
	"net"
	_ "unsafe" // for go:linkname
)

// The tool builds the runtime with the tag rasp_std, and package net with
// the dial hook that this setter installs (see sinks.yaml and
// rewrite/patch/decls). A plain build of this package, as in its own tests,
// has neither.

//go:linkname setDialHook net.__rasp_setDialHook
func setDialHook(h func(ctx context.Context, network, address string, resolved net.Addr) error)

func init() { setDialHook(dialCheck) }
