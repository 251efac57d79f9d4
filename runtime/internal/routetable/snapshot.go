package routetable

import (
	"os"
	"path/filepath"
	"sort"
)

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
