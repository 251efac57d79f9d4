// Package gate judges a request by who sends it, before its handler runs:
// the request rules of the policy (trusted_proxies for the client IP,
// block_ips, allow_ips and bypass_ips, globally and per route; bots;
// users.block; a route's rate limit; attack waves). The servers' hooks
// (package httphook: net/http, fasthttp, gRPC) read the policy's Gate
// once per request and call Check with it when it is Active (the policy
// has any of them), and answer a Refusal instead of
// running the handler: 403, or 429 with Retry-After for a rate limit.
//
// Findings are recorded through package judge like a sink's, in the
// family request, with the client IP and the user; in detect mode they
// are recorded and the request goes ahead.
package gate
