package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	invschema "github.com/rasp-instrument/rasp-instrument/runtime/inventory"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// invVersion is the version of the inventory's JSON schema this tool
// reads.
const invVersion = invschema.Version

// The inventory's schema is the runtime's (package inventory, which
// writes it).
type (
	inventory = invschema.Inventory
	invRoute  = invschema.Route
	invStatus = invschema.Status
	invAuth   = invschema.Auth
	invInput  = invschema.Input
)

// invKinds are the kinds an input may have; another reads as string.
var invKinds = map[string]bool{
	invschema.KindInteger: true, invschema.KindNumber: true, invschema.KindBoolean: true, invschema.KindUUID: true,
	invschema.KindEmail: true, invschema.KindDate: true, invschema.KindDateTime: true, invschema.KindString: true,
}

// newRoutesCmd returns the routes command: print the routes an inventory
// file holds, and write them as an OpenAPI document.
func newRoutesCmd() *cobra.Command {
	var openapi string
	cmd := &cobra.Command{
		Use:   "routes FILE...",
		Short: "List the routes a program served (RASP_ROUTES), or write them as OpenAPI 3.1",
		Long: `routes reads the API inventory an instrumented program wrote (RASP_ROUTES=FILE:
its routes, with the names and kinds of their inputs, never their values)
and prints it as a table: method, route, requests, statuses, auth schemes,
and each input with its source, name, kind and the number of requests that
had it. Several files (replicas, runs) are merged: counts add up, and an
input seen with different kinds is a string (integer and number make a
number).

With --openapi FILE it also writes an OpenAPI 3.1 document (JSON; "-" for
standard output, and then no table): a path item per route in OpenAPI's
{param} form, its path, query, header and cookie parameters typed by their
kinds, a request body for the JSON, form and multipart inputs, the
responses seen, security schemes for the auth schemes seen, and the request
counts as x-rasp-count. It describes what was observed, not all the API
allows: review it before you publish it. See docs/inventory.md.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := readInventories(args)
			if err != nil {
				return err
			}
			if openapi == "-" {
				return writeOpenAPI(cmd.OutOrStdout(), inv)
			}
			printRoutes(cmd.OutOrStdout(), inv, len(args))
			if openapi == "" {
				return nil
			}
			var buf bytes.Buffer
			if err := writeOpenAPI(&buf, inv); err != nil {
				return err
			}
			return os.WriteFile(openapi, buf.Bytes(), 0o644)
		},
	}
	cmd.Flags().StringVar(&openapi, "openapi", "", "write an OpenAPI 3.1 document to `file` (- for standard output)")
	return cmd
}

// readInventories reads and merges inventory files.
func readInventories(names []string) (*inventory, error) {
	var all []*inventory
	for _, name := range names {
		inv, err := readInventory(name)
		if err != nil {
			return nil, err
		}
		all = append(all, inv)
	}
	return mergeInventories(all), nil
}

// readInventory reads one inventory file and checks its version.
func readInventory(name string) (*inventory, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var inv inventory
	if err := json.Unmarshal(data, &inv); err != nil {
		return nil, fmt.Errorf("%s: not an inventory: %w", name, err)
	}
	switch {
	case inv.Version == 0:
		return nil, fmt.Errorf("%s: not an inventory (no version; RASP_ROUTES writes one)", name)
	case inv.Version > invVersion:
		return nil, fmt.Errorf("%s: inventory version %d is newer than this tool reads (%d): update rasp-instrument", name, inv.Version, invVersion)
	}
	for i := range inv.Routes {
		r := &inv.Routes[i]
		if r.Method == "" || r.Route == "" {
			return nil, fmt.Errorf("%s: route %d has no method or route", name, i+1)
		}
		for j := range r.Inputs {
			if !invKinds[r.Inputs[j].Kind] {
				r.Inputs[j].Kind = "string"
			}
		}
	}
	return &inv, nil
}

// mergeInventories merges inventories into one, sorted as the runtime
// sorts it: counts add up and kinds widen (widenKind).
func mergeInventories(invs []*inventory) *inventory {
	if len(invs) == 1 {
		return invs[0]
	}
	out := &inventory{Version: invVersion}
	var programs []string
	routes := map[[2]string]*invRoute{}
	for _, inv := range invs {
		if inv.Program != "" && !containsString(programs, inv.Program) {
			programs = append(programs, inv.Program)
		}
		out.Overflow += inv.Overflow
		out.Unmatched += inv.Unmatched
		for i := range inv.Routes {
			r := &inv.Routes[i]
			key := [2]string{r.Method, r.Route}
			if m := routes[key]; m != nil {
				mergeRoute(m, r, nil)
				continue
			}
			c := *r
			c.Statuses = append([]invStatus(nil), r.Statuses...)
			c.Auth = append([]invAuth(nil), r.Auth...)
			c.Inputs = append([]invInput(nil), r.Inputs...)
			routes[key] = &c
		}
	}
	out.Program = strings.Join(programs, ", ")
	for _, r := range routes {
		out.Routes = append(out.Routes, *r)
	}
	sort.Slice(out.Routes, func(i, j int) bool {
		a, b := &out.Routes[i], &out.Routes[j]
		if a.Route != b.Route {
			return a.Route < b.Route
		}
		return a.Method < b.Method
	})
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mergeRoute adds src's counts, statuses, auth schemes and inputs to dst;
// rename, when not nil, renames src's path inputs.
func mergeRoute(dst, src *invRoute, rename map[string]string) {
	dst.Count += src.Count
	dst.OtherStatuses += src.OtherStatuses
	dst.OtherAuth += src.OtherAuth
	dst.Dropped += src.Dropped
	for _, s := range src.Statuses {
		found := false
		for i := range dst.Statuses {
			if dst.Statuses[i].Code == s.Code {
				dst.Statuses[i].Count += s.Count
				found = true
			}
		}
		if !found {
			dst.Statuses = append(dst.Statuses, s)
		}
	}
	sort.Slice(dst.Statuses, func(i, j int) bool { return dst.Statuses[i].Code < dst.Statuses[j].Code })
	for _, a := range src.Auth {
		found := false
		for i := range dst.Auth {
			if dst.Auth[i].Scheme == a.Scheme {
				dst.Auth[i].Count += a.Count
				found = true
			}
		}
		if !found {
			dst.Auth = append(dst.Auth, a)
		}
	}
	sort.Slice(dst.Auth, func(i, j int) bool { return dst.Auth[i].Scheme < dst.Auth[j].Scheme })
	for _, in := range src.Inputs {
		if n, ok := rename[in.Name]; ok && in.Source == "path" {
			in.Name = n
		}
		found := false
		for i := range dst.Inputs {
			d := &dst.Inputs[i]
			if d.Source == in.Source && d.Name == in.Name {
				d.Count += in.Count
				d.Kind = widenKind(d.Kind, in.Kind)
				found = true
			}
		}
		if !found {
			dst.Inputs = append(dst.Inputs, in)
		}
	}
	sort.Slice(dst.Inputs, func(i, j int) bool {
		a, b := &dst.Inputs[i], &dst.Inputs[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		return a.Name < b.Name
	})
}

// widenKind is the kind of an input seen with kinds a and b: the same, a
// number for an integer and a number, else a string.
func widenKind(a, b string) string {
	switch {
	case a == b:
		return a
	case (a == "integer" || a == "number") && (b == "integer" || b == "number"):
		return "number"
	}
	return "string"
}

// printRoutes prints the inventory as a table, one row per input.
func printRoutes(w io.Writer, inv *inventory, files int) {
	program := inv.Program
	if program == "" {
		program = "(unnamed program)"
	}
	var requests uint64
	for _, r := range inv.Routes {
		requests += r.Count
	}
	from := ""
	if files > 1 {
		from = fmt.Sprintf(" (%d files)", files)
	}
	fmt.Fprintf(w, "%s%s: %d routes, %d requests\n\n", program, from, len(inv.Routes), requests)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tROUTE\tREQUESTS\tSTATUSES\tAUTH\tINPUT\tKIND\tSEEN")
	for _, r := range inv.Routes {
		var statuses, auth []string
		for _, s := range r.Statuses {
			statuses = append(statuses, fmt.Sprintf("%d=%d", s.Code, s.Count))
		}
		if r.OtherStatuses > 0 {
			statuses = append(statuses, fmt.Sprintf("other=%d", r.OtherStatuses))
		}
		for _, a := range r.Auth {
			auth = append(auth, fmt.Sprintf("%s=%d", a.Scheme, a.Count))
		}
		if r.OtherAuth > 0 {
			auth = append(auth, fmt.Sprintf("other=%d", r.OtherAuth))
		}
		head := fmt.Sprintf("%s\t%s\t%d\t%s\t%s", r.Method, r.Route, r.Count, orDash(strings.Join(statuses, " ")), orDash(strings.Join(auth, " ")))
		rows := 0
		for _, in := range r.Inputs {
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%d\n", head, in.Source, orDash(in.Name), in.Kind, in.Count)
			head, rows = "\t\t\t\t", rows+1
		}
		if r.Dropped > 0 {
			fmt.Fprintf(tw, "%s\t(%d not recorded)\t\t\n", head, r.Dropped)
			rows++
		}
		if rows == 0 {
			fmt.Fprintf(tw, "%s\t-\t\t\n", head)
		}
	}
	tw.Flush()
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		if line != "" {
			fmt.Fprintln(w, strings.TrimRight(line, " \n"))
		}
	}
	if inv.Overflow > 0 {
		fmt.Fprintf(w, "\n%d requests not recorded: the table was full, or their route was not valid\n", inv.Overflow)
	}
	if inv.Unmatched > 0 {
		fmt.Fprintf(w, "\n%d requests to paths the program answered 404 or 405, not recorded\n", inv.Unmatched)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
