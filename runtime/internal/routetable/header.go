package routetable

import (
	"bytes"
	"strings"
)

// headerAllowed are the headers other than X- headers that are inputs of
// the inventory.
var headerAllowed = [...]string{
	"Idempotency-Key",
	"If-Match",
	"If-None-Match",
	"If-Modified-Since",
	"If-Unmodified-Since",
	"Prefer",
	"Range",
	"Accept-Version",
	"Api-Version",
}

// headerInfra are the X- headers of proxies and tracers, left out (a name
// ending in '-' is a prefix).
var headerInfra = [...]string{
	"X-Forwarded-",
	"X-Real-Ip",
	"X-Request-Id",
	"X-Correlation-Id",
	"X-Amzn-",
	"X-Amz-",
	"X-B3-",
	"X-Datadog-",
	"X-Envoy-",
	"X-Cloud-Trace-Context",
}

// headerSecret are the words that make a header a credential, left out.
var headerSecret = [...][]byte{
	[]byte("key"), []byte("token"), []byte("secret"), []byte("auth"), []byte("passw"), []byte("session"),
	[]byte("cookie"), []byte("signature"), []byte("csrf"), []byte("xsrf"), []byte("credential"),
}

// maxHeaderLen is the longest header name that may be an input.
const maxHeaderLen = 64

// interestingHeader reports whether a header (or gRPC metadata key) is an
// input of the inventory: one of headerAllowed, or an X- header that is
// neither a proxy's or tracer's nor a credential. Names are compared
// without regard to case.
func interestingHeader(name string) bool {
	if len(name) < 3 || len(name) > maxHeaderLen {
		return false
	}
	if name[1] != '-' || name[0] != 'x' && name[0] != 'X' {
		for _, h := range headerAllowed {
			if len(h) == len(name) && strings.EqualFold(name, h) {
				return true
			}
		}
		return false
	}
	for _, h := range headerInfra {
		if h[len(h)-1] == '-' && hasPrefixFold(name, h) || strings.EqualFold(name, h) {
			return false
		}
	}
	var lower [maxHeaderLen]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for _, w := range headerSecret {
		if bytes.Contains(lower[:len(name)], w) {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
