// Package jwtclaims reads the claims of the JSON Web Token (RFC 7519) a
// request carries in its Authorization header as a bearer token (RFC
// 6750): the JSON object of the token's second segment, decoded from
// base64url.
//
// The claims are decoded but NOT verified. The package checks no
// signature, no key, no expiry, no issuer and no audience: anyone can
// send a token that says anything. The runtime uses the claims for two
// things only, both of which hold for a forged token as well as for a
// genuine one:
//
//   - to name the user in its events (Token.Subject), as a hint for the
//     person who reads them, never as an identity to trust;
//   - to judge injections (Token.StringClaims): the strings of a token
//     are inputs the client chose, like a query parameter, and a claim
//     that reaches a SQL query or a shell command unchanged is an
//     injection whoever signed it.
//
// Nothing here may be used to authorise, authenticate or rate-limit by
// user: that is the application's job, with its keys.
//
// # What is a token
//
// FromAuthorization accepts a header value of the form "Bearer <jwt>",
// the scheme in any case, where <jwt> is a JWS in compact serialisation:
// three base64url segments joined by dots, the first (the JOSE header)
// and the second (the claims) each a JSON object, the third (the
// signature) possibly empty, as with "alg": "none". Trailing '=' padding
// is tolerated on each segment; the standard base64 alphabet ('+', '/')
// and embedded white space are not. Anything else is not a token and is
// reported as such: Basic credentials, opaque bearer tokens, JWE (five
// segments: their claims are encrypted), malformed base64 or JSON, a
// claims segment that is not an object.
//
// # Bounded work
//
// A hostile client controls the header, so every cost is bounded:
//
//   - A header value longer than 16 KiB and a few bytes for the scheme is
//     refused before it is read.
//   - The JSON of both segments is checked in one pass, linear in its
//     length; objects and arrays nested deeper than 32 levels make the
//     token refused.
//   - StringClaims walks at most the first 256 values of the claims (a
//     member's value or an array's element, of any type, counts as one)
//     and skips the rest.
//   - An empty header value returns at once, without allocating; a
//     typical token costs one allocation (the decoded segments).
//
// # Differences from encoding/json
//
// The claims are read as encoding/json reads them into a map, with these
// differences, all deliberate: member names are compared exactly (the
// "sub" claim is "sub", as RFC 7519 says names are case-sensitive, not
// "Sub" or "SUB"); invalid UTF-8 in a string is passed on as it is,
// not replaced with U+FFFD (a lone surrogate escape such as \ud800 is
// replaced, as encoding/json does); and a duplicate member is visited
// each time it occurs, while Subject reports the last "sub", as a map
// would hold it.
package jwtclaims
