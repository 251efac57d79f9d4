package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// writeProposal adds the marked groups to the base policy (may be nil)
// and writes the result; hints go to report.
func writeProposal(cmd *cobra.Command, report io.Writer, base *policyFile, marked []*eventGroup, out string) error {
	var p policy.Policy
	if base != nil {
		p = base.Policy
	}
	pr := proposal{policy: &p, hints: report}
	fmt.Fprintln(report, "\n# proposal")
	for _, g := range marked {
		pr.add(g)
	}
	if pr.added == 0 {
		fmt.Fprintln(report, "nothing to add to the policy: no policy written")
		return nil
	}
	if errs := checkPolicy(p); len(errs) > 0 {
		return fmt.Errorf("the proposed policy is invalid (a bug): %s: %s", errs[0].Field, errs[0].Problem)
	}
	data, err := policyJSON(p)
	if err != nil {
		return err
	}
	if err := writeOutput(cmd.OutOrStdout(), out, data); err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintf(report, "wrote %s with %s; check it with: rasp-instrument policy check %s\n", out, plural(pr.added, "new entry"), out)
	}
	return nil
}

// policyJSON encodes p as indented JSON, as policy check reads it.
func policyJSON(p policy.Policy) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(p)
	return b.Bytes(), err
}

// proposal adds allowlist entries for false-positive groups to a policy.
type proposal struct {
	policy *policy.Policy
	hints  io.Writer
	added  int
}

// hint tells the user, under the group's number and rule, what the
// proposal did or could not do for g.
func (pr *proposal) hint(g *eventGroup, format string, args ...any) {
	fmt.Fprintf(pr.hints, "%d. %s: %s\n", g.Num, g.Rule, fmt.Sprintf(format, args...))
}

// add proposes entries for one group, and hints where no entry fits.
func (pr *proposal) add(g *eventGroup) {
	if g.onlyAllowlisted() {
		pr.hint(g, "already allowlisted by the policy in force: nothing to add")
		return
	}
	switch g.Family {
	case event.FamilySQL:
		pr.addSQL(g)
	case event.FamilyNet:
		pr.addNet(g)
	case event.FamilyExec:
		pr.addExec(g)
	case event.FamilyFile:
		pr.hint(g, "no entry proposed: if these paths are meant to be reached, add their base directory to allow.path_bases"+
			" (note: a non-empty path_bases makes every dynamic path outside the bases a finding)")
	default:
		pr.hint(g, "no allowlist for the %q family", g.Family)
	}
	pr.routeHint(g)
}

// addSQL proposes an allow.sql entry for g's site and rule, and its query
// shape when every event of g has the same one.
func (pr *proposal) addSQL(g *eventGroup) {
	e := policy.SQLAllow{Site: g.Site, Rule: g.Rule}
	if len(g.values.list) == 1 && g.noValue == 0 {
		e.Shape = g.values.list[0]
	}
	for _, x := range pr.policy.Allow.SQL {
		if x == e {
			pr.hint(g, "already in allow.sql")
			return
		}
	}
	pr.policy.Allow.SQL = append(pr.policy.Allow.SQL, e)
	pr.added++
	what := "site and rule"
	if e.Shape != "" {
		what = "site, rule and query shape"
	}
	pr.hint(g, "added to allow.sql by %s", what)
}

// addNet proposes the hosts of g's values for allow.ssrf_hosts.
func (pr *proposal) addNet(g *eventGroup) {
	if g.Rule == ssrf.RuleScheme {
		pr.hint(g, "no entry proposed: allow.ssrf_hosts does not allow a scheme; exempt the route with allow.routes if the scheme is meant")
		return
	}
	var hosts []string
	for _, v := range g.values.list {
		if h := hostOf(v); h != "" {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		pr.hint(g, "no entry proposed: the events name no host; add it to allow.ssrf_hosts by hand")
		return
	}
	pr.addAll(g, "allow.ssrf_hosts", &pr.policy.Allow.SSRFHosts, hosts)
}

// hostOf returns the host of a URL or host:port value, as the runtime
// reads it, lower case; "" when there is none.
func hostOf(v string) string {
	var host string
	var err error
	if strings.Contains(v, "://") || strings.HasPrefix(v, "//") {
		host, _, _, _, err = ssrf.ParseURL(v)
	} else {
		host, _, _, err = ssrf.ParseHostPort(v)
	}
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// addExec proposes g's scripts, quoted as patterns, for
// allow.shell_commands when the rule is the allowlist's own.
func (pr *proposal) addExec(g *eventGroup) {
	if g.Rule != shell.RuleShellNotAllowlisted {
		pr.hint(g, "no entry proposed: scripts in allow.shell_commands are still judged for injection, so an entry would not silence %s", g.Rule)
		return
	}
	if len(g.values.list) == 0 {
		pr.hint(g, "no entry proposed: the events do not record the script; add it to allow.shell_commands by hand")
		return
	}
	wasEmpty := len(pr.policy.Allow.ShellCommands) == 0
	patterns := make([]string, len(g.values.list))
	for i, v := range g.values.list {
		patterns[i] = globQuote(v)
	}
	if pr.addAll(g, "allow.shell_commands", &pr.policy.Allow.ShellCommands, patterns) > 0 && wasEmpty {
		pr.hint(g, "note: allow.shell_commands was empty; now every other shell script the program runs is a finding")
	}
}

// globQuote escapes the pattern characters of shell_commands ('*', '?',
// '\') so the pattern matches s only.
func globQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`)
	return r.Replace(s)
}

// routeHint shows the allow.routes entry that would exempt the group's
// only request path, as an alternative to the entries proposed.
func (pr *proposal) routeHint(g *eventGroup) {
	path, method, ok := g.onePath()
	if !ok {
		return
	}
	b, _ := json.Marshal(policy.RouteAllow{Path: path, Method: method, Rules: []string{g.Rule}})
	pr.hint(g, "all from one request path; to exempt the route instead, add to allow.routes: %s", clean(string(b)))
}

// addAll appends the items not in list yet, says which, and returns how
// many it added.
func (pr *proposal) addAll(g *eventGroup, field string, list *[]string, items []string) int {
	var added, there []string
	for _, s := range items {
		if slices.Contains(*list, s) || slices.Contains(added, s) {
			there = append(there, s)
			continue
		}
		*list = append(*list, s)
		added = append(added, s)
	}
	pr.added += len(added)
	if len(added) > 0 {
		pr.hint(g, "added to %s: %s", field, clean(strings.Join(added, ", ")))
	}
	if len(there) > 0 {
		pr.hint(g, "already in %s: %s", field, clean(strings.Join(there, ", ")))
	}
	return len(added)
}
