// Package inventory is the schema of the API inventory a program built
// with rasp-instrument records (RASP_ROUTES): the JSON the runtime writes
// and `rasp-instrument routes` reads, and how a route pattern is read.
// docs/inventory.md describes it for users. The recording is the
// runtime's (package runtime/internal/routetable).
package inventory

import "strings"

// Version is the version of the inventory's JSON schema.
const Version = 1

// Inventory is what the program served: its JSON is the file that
// RASP_ROUTES names, and what `rasp-instrument routes` reads. Every list
// is sorted, so that two snapshots of the same table are the same bytes.
type Inventory struct {
	Version int    `json:"version"` // Version
	Program string `json:"program"` // the base name of the program's os.Args[0]
	// Overflow counts the requests not recorded because the table had all
	// its routes, or their method or route was not valid.
	Overflow uint64 `json:"overflow"`
	// Unmatched counts the requests to a path (no pattern) answered 404
	// or 405, not recorded.
	Unmatched uint64  `json:"unmatched"`
	Routes    []Route `json:"routes"` // by route, then method
}

// Route is one method and route pattern (or path template).
type Route struct {
	Method string `json:"method"`
	Route  string `json:"route"`
	Count  uint64 `json:"count"` // requests
	// Statuses are the statuses the requests were answered, by code; past
	// the first 8 codes, OtherStatuses counts the requests.
	Statuses      []Status `json:"statuses"`
	OtherStatuses uint64   `json:"otherStatuses,omitempty"`
	// Auth are how the requests authenticated, by scheme, "none" for
	// requests without auth; past 4 schemes, OtherAuth counts them.
	Auth      []Auth `json:"auth"`
	OtherAuth uint64 `json:"otherAuth,omitempty"`
	// Inputs are the route's inputs by source, then name; Dropped counts
	// the occurrences of inputs not recorded (past 64 inputs, or a name
	// that is not valid).
	Inputs  []Input `json:"inputs"`
	Dropped uint64  `json:"dropped,omitempty"`
}

// Status is a status and the number of requests answered it.
type Status struct {
	Code  int    `json:"code"`
	Count uint64 `json:"count"`
}

// Auth is an auth scheme and the number of requests that used it.
type Auth struct {
	Scheme string `json:"scheme"` // "none", "bearer", "basic", "cookie:NAME", "header:NAME"...
	Count  uint64 `json:"count"`
}

// Input is one input of a route: never its values, only their kind.
type Input struct {
	Source string `json:"source"` // query, form, multipart, json, body, path, cookie, header...
	Name   string `json:"name"`   // the parameter, JSON key path ("items[].id"), cookie or header name
	Count  uint64 `json:"count"`  // requests that had it
	Kind   string `json:"kind"`   // integer, number, boolean, uuid, email, date, date-time or string
}

// The names of the kinds, as the JSON says them.
const (
	KindInteger  = "integer"
	KindNumber   = "number"
	KindBoolean  = "boolean"
	KindUUID     = "uuid"
	KindEmail    = "email"
	KindDate     = "date"
	KindDateTime = "date-time"
	KindString   = "string"
)

// SplitRoute splits a route at the slashes that are not inside braces (a
// regular expression of chi or gorilla/mux may hold one).
func SplitRoute(route string) []string {
	var segs []string
	depth, start := 0, 0
	for i := 0; i < len(route); i++ {
		switch route[i] {
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			}
		case '/':
			if depth == 0 {
				segs = append(segs, route[start:i])
				start = i + 1
			}
		}
	}
	return append(segs, route[start:])
}

// ParamName returns the parameter a whole segment of a route names:
// "{id}", "{id...}", "{id:[0-9]+}" (net/http, chi, gorilla/mux), ":id",
// ":id?", ":id<int>" (gin, echo, Fiber), "*filepath" (gin), and "*" and
// "+" (echo, Fiber); "" for anything else, "{$}" among them.
func ParamName(seg string) string {
	switch seg[0] {
	case '{':
		if len(seg) < 3 || seg[len(seg)-1] != '}' {
			return ""
		}
		in := seg[1 : len(seg)-1]
		if i := strings.IndexByte(in, ':'); i >= 0 {
			in = in[:i]
		}
		in = strings.TrimSuffix(strings.TrimSpace(in), "...")
		if in == "$" || strings.ContainsAny(in, "{}") {
			return ""
		}
		return in
	case ':', '*':
		n := 1
		for n < len(seg) && (seg[n] == '_' || 'a' <= seg[n] && seg[n] <= 'z' || 'A' <= seg[n] && seg[n] <= 'Z' || '0' <= seg[n] && seg[n] <= '9') {
			n++
		}
		if n == 1 {
			if seg[0] == '*' {
				return "*"
			}
			return ""
		}
		return seg[1:n]
	case '+':
		if seg == "+" {
			return "+"
		}
	}
	return ""
}
