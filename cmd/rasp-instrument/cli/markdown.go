package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// The tables of docs/sinks.md and docs/policy.md are generated from the
// spec and the rule catalogue (`rasp-instrument sinks --markdown`), and a
// test fails when the documentation's copy is stale.

// writeSinksTable writes the call join points of a spec as a Markdown
// table, one row per family: for each package and receiver, the names of
// its functions or methods; "(entry)" marks a call that an entry point
// judges (covered_by).
func writeSinksTable(w io.Writer, sp *spec.Spec) {
	fmt.Fprintln(w, "| family | sinks |")
	fmt.Fprintln(w, "|---|---|")
	for _, family := range append(spec.Families, spec.Join) {
		var order []string
		names := map[string][]string{}
		for _, c := range sp.Calls {
			if c.Family != family {
				continue
			}
			group := c.Package
			if c.Receiver != "" {
				group += ".(" + c.Receiver + ")"
				if !strings.HasPrefix(c.Receiver, "*") {
					group = c.Package + "." + c.Receiver
				}
			}
			if names[group] == nil {
				order = append(order, group)
			}
			name := "`" + c.Name + "`"
			if !c.Rewrites() {
				name += " (entry)" // covered_by: the entry point judges it
			}
			names[group] = append(names[group], name)
		}
		if len(order) == 0 {
			continue
		}
		cells := make([]string, len(order))
		for i, g := range order {
			cells[i] = "`" + g + "`: " + strings.Join(names[g], ", ")
		}
		fmt.Fprintf(w, "| %s | %s |\n", family, strings.Join(cells, "; "))
	}
}

// writeRulesTable writes the rule catalogue as a Markdown table, one row
// per family.
func writeRulesTable(w io.Writer) {
	fmt.Fprintln(w, "| family | rules |")
	fmt.Fprintln(w, "|---|---|")
	for _, f := range policy.RulesByFamily() {
		rules := make([]string, len(f.Rules))
		for i, r := range f.Rules {
			rules[i] = "`" + r + "`"
		}
		fmt.Fprintf(w, "| %s | %s |\n", f.Family, strings.Join(rules, ", "))
	}
}
