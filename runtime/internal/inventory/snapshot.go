package inventory

import (
	"os"
	"path/filepath"
	"sort"
)

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

// Snapshot returns the inventory recorded so far.
func Snapshot() Inventory {
	inv := Inventory{
		Version:   Version,
		Overflow:  table.overflow.Load(),
		Unmatched: table.unmatched.Load(),
		Routes:    []Route{},
	}
	if len(os.Args) > 0 {
		inv.Program = filepath.Base(os.Args[0])
	}
	for _, r := range *table.routes.Load() {
		inv.Routes = append(inv.Routes, r.snapshot())
	}
	sort.Slice(inv.Routes, func(i, j int) bool {
		a, b := &inv.Routes[i], &inv.Routes[j]
		if a.Route != b.Route {
			return a.Route < b.Route
		}
		return a.Method < b.Method
	})
	return inv
}

func (r *route) snapshot() Route {
	out := Route{
		Method:        r.method,
		Route:         r.path,
		Count:         r.count.Load(),
		Statuses:      []Status{},
		OtherStatuses: r.otherStatus.Load(),
		Auth:          []Auth{},
		OtherAuth:     r.otherAuth.Load(),
		Inputs:        []Input{},
		Dropped:       r.dropped.Load(),
	}
	for i := range r.statuses {
		s := &r.statuses[i]
		if c := s.code.Load(); c != 0 {
			out.Statuses = append(out.Statuses, Status{Code: int(c) - 1, Count: s.n.Load()})
		}
	}
	sort.Slice(out.Statuses, func(i, j int) bool { return out.Statuses[i].Code < out.Statuses[j].Code })
	if n := r.noAuth.Load(); n > 0 {
		out.Auth = append(out.Auth, Auth{Scheme: "none", Count: n})
	}
	for i := range r.auth {
		a := &r.auth[i]
		if p := a.scheme.Load(); p != nil {
			out.Auth = append(out.Auth, Auth{Scheme: *p, Count: a.n.Load()})
		}
	}
	sort.Slice(out.Auth, func(i, j int) bool { return out.Auth[i].Scheme < out.Auth[j].Scheme })
	for _, f := range *r.fields.Load() {
		out.Inputs = append(out.Inputs, Input{
			Source: f.source,
			Name:   f.name,
			Count:  f.count.Load(),
			Kind:   kindName(kindBits(f.kinds.Load())),
		})
	}
	sort.Slice(out.Inputs, func(i, j int) bool {
		a, b := &out.Inputs[i], &out.Inputs[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		return a.Name < b.Name
	})
	return out
}

// total is the number of requests the table has seen, to tell whether it
// changed.
func total() uint64 {
	n := table.overflow.Load() + table.unmatched.Load()
	for _, r := range *table.routes.Load() {
		n += r.count.Load()
	}
	return n
}
