package nethook

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
)

// A program that dials links this package, and so the resolver: the
// command detector then resolves the hosts of URLs handed to programs that
// fetch them (git clone, curl), as the dial hook resolves the program's
// own.
func init() { detect.ResolveHost = resolveHost }

// resolveTimeout bounds the lookup of a URL argument's host: the child
// would resolve it again, and a host that does not resolve in time is not
// judged by address.
const resolveTimeout = 2 * time.Second

func resolveHost(host string) []netip.Addr {
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	return addrs
}
