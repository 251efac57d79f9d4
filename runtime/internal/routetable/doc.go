// Package routetable records the API a program serves (the API
// inventory): the routes its requests reach, with the names and shapes of
// their inputs, never their values. Its JSON schema is package inventory
// (runtime/inventory), which the tool's routes command reads too. The
// request middleware calls Observe once per served request; Snapshot
// returns what was recorded, WriteFile writes it as JSON, and
// StartWriter keeps a file (RASP_ROUTES) up to date. The tool's
// `rasp-instrument routes FILE --openapi OUT` turns the file into an
// OpenAPI 3.1 document. docs/inventory.md is the user's description.
//
// # Routes
//
// A route is a method and a route pattern. Observe takes the pattern the
// framework matched when it names one (net/http's r.Pattern, whose method
// and host are cut: "GET example.com/items/{id}" is "/items/{id}"; gin,
// echo and Fiber's "/items/:id" and "/static/*filepath"; chi and
// gorilla/mux's "/items/{id:[0-9]+}"; a gRPC full method
// "/pkg.Svc/Method"), and keeps it as it is written. Otherwise it takes the
// request's path (r.URL.Path), and makes a template of it (TemplatePath):
// a segment that is a number, a UUID, 16 hex digits or more (one of them a
// decimal digit), an e-mail address, or a token of 16 letters, digits,
// '-' and '_' or more holding a digit and a letter becomes {id} ({id2},
// {id3}... after the first). When
// the route is "" the path is rebuilt from the request's path inputs
// (segments "0", "1"...), which is the same unless the request had so
// many inputs that the path's were left out, or the path ends in '/'.
//
// A route is taken for a path, not a pattern, when it has no method or
// host before its first '/' and no segment holding '{' or starting with
// ':', '*' or '+'. A request to a path that the program answered 404 or
// 405 is not recorded (it is counted as unmatched): a scanner probing
// thousands of paths must not fill the table with routes that do not
// exist. A pattern answered 404 is recorded (an item that was not found).
//
// # Inputs
//
// Each input (taint.Input) is recorded by its source and name, with the
// number of requests that had it and its kind: integer, number, boolean,
// uuid, email, date (YYYY-MM-DD), date-time (RFC 3339), or string. A field
// seen with different kinds is a string, except integer and number, which
// make a number. The kind of a value is all that is kept of it.
//
//   - Names are normalised: an array index becomes "[]" ("items[3].id" is
//     "items[].id", "ids[0]" is "ids[]"), so an array is one input.
//   - path: a path input is recorded when the route names the segment it
//     came from (its Name is the segment's index) or the wildcard it
//     filled, under the parameter's name ("id" for "{id}", ":id" and
//     "{id:[0-9]+}"; "filepath" for "*filepath"; "*" and "+" for the
//     anonymous wildcards). Literal segments are the route itself.
//   - header, metadata (gRPC): only the names of a fixed list
//     (Idempotency-Key, If-Match, If-None-Match, If-Modified-Since,
//     If-Unmodified-Since, Prefer, Range, Accept-Version, Api-Version)
//     and the X- headers, except those of proxies and tracers
//     (X-Forwarded-*, X-Real-Ip, X-Request-Id, X-Correlation-Id, X-Amzn-*,
//     X-Amz-*, X-B3-*, X-Datadog-*, X-Envoy-*, X-Cloud-Trace-Context) and
//     those that carry a credential: a name holding key, token, secret,
//     auth, passw, session, cookie, signature, csrf, xsrf or credential,
//     in any case. Authorization and Cookie are never inputs; the auth
//     argument says how the request authenticated.
//   - Every other source (query, form, multipart, json, body, cookie, and
//     those to come) is recorded as it is named. A cookie is recorded by
//     its name, like every input.
//   - A name longer than 128 bytes, or holding a control byte, a space, a
//     byte above 0x7e or one of "'`<>\{}, is not recorded; neither is the
//     input the middleware adds for an unusual name (its value is the name
//     itself).
//
// # Auth
//
// Observe's auth names how the request authenticated, "" for not at all:
// "bearer" and "basic" (the Authorization scheme, and likewise any other
// scheme: "digest", "negotiate"), "cookie:NAME" (a session cookie),
// "header:NAME" (an API key in a header such as X-Api-Key), "query:NAME"
// (an API key in the query). The scheme is compared without regard to
// case and recorded in lower case; a NAME is kept as it is. A route keeps
// at most 4 schemes with their counts, and the count of requests without
// auth under "none".
//
// # Bounds
//
// At most 1,000 routes; a request to a route beyond them, or whose route
// is not valid (a method that is not a token of at most 16 bytes, a route
// longer than 256 bytes once templated, or holding a control byte), is
// counted in the inventory's overflow and not recorded. Per route, at most
// 64 inputs (the others' occurrences are counted in the route's dropped),
// 8 statuses (the others are counted in otherStatuses) and 4 auth schemes
// (likewise otherAuth). So the table holds at most 1,000 × 64 inputs of at
// most 128 + 16 bytes of name, and is of a few kilobytes in practice.
//
// # Cost
//
// The tables are read without a lock: maps from a key to a record, copied
// and published under a mutex when a record is added, and counters updated
// with atomic adds. A request to a known route whose inputs are all known
// allocates nothing: the keys are built in buffers on the stack, and the
// inputs a request had are counted once through a bit mask of the route's
// fields. The kind of a field already widened to string is not computed
// again. BenchmarkObserveKnown measures it (see docs/inventory.md).
package routetable
