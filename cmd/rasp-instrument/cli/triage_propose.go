package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
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
	if p.Egress != nil {
		pr.egressFrom = len(p.Egress.Hosts)
	}
	fmt.Fprintln(report, "\n# proposal")
	for _, g := range marked {
		pr.add(g)
	}
	if p.Egress != nil {
		slices.Sort(p.Egress.Hosts[pr.egressFrom:]) // the entries added, after the base's own
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
	// egressFrom is where the entries the proposal adds to egress.hosts
	// start: they are sorted, after the base policy's own.
	egressFrom int
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
	case event.FamilyRequest:
		pr.addRequest(g)
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
	if g.Rule == policy.RuleEgressUnlisted {
		pr.addEgress(g)
		return
	}
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

// addEgress proposes the destinations of g's values (host:port, as the
// runtime records them) for egress.hosts: deduplicated, sorted, without
// those an entry of the base policy allows already.
func (pr *proposal) addEgress(g *eventGroup) {
	var base *policy.EgressList
	wasAbsent := pr.policy.Egress == nil
	if !wasAbsent {
		if c, err := policy.Compile(policy.Policy{Egress: pr.policy.Egress}, ""); err == nil {
			base = c.Egress()
		}
	}
	var entries, covered []string
	for _, v := range g.values.list {
		e, host, port, ok := egressEntryOf(v)
		if !ok {
			continue
		}
		if base != nil && !slices.Contains(pr.policy.Egress.Hosts, e) && !slices.Contains(covered, e) {
			addr, _ := netip.ParseAddr(host)
			if base.Allowed(host, addr, port) {
				covered = append(covered, e)
				continue
			}
		}
		entries = append(entries, e)
	}
	slices.Sort(entries)
	entries = slices.Compact(entries)
	if len(covered) > 0 {
		pr.hint(g, "already allowed by egress.hosts: %s", clean(strings.Join(covered, ", ")))
	}
	if len(entries) == 0 {
		if len(covered) == 0 {
			pr.hint(g, "no entry proposed: the events name no destination; add it to egress.hosts by hand")
		}
		return
	}
	if wasAbsent {
		pr.policy.Egress = &policy.Egress{}
	}
	if pr.addAll(g, "egress.hosts", &pr.policy.Egress.Hosts, entries) > 0 && wasAbsent {
		pr.hint(g, "note: the base policy had no egress list; merge this into the policy in force (--policy), or every destination the proposal does not list is a finding")
	}
}

// egressEntryOf returns the egress.hosts entry for a recorded destination
// (host:port, [v6]:port, or a host alone for a dial without a port), lower
// case, with its host and port (0: any); ok is false for a value that is
// none of these.
func egressEntryOf(v string) (entry, host string, port int, ok bool) {
	h, p, err := net.SplitHostPort(v)
	if err != nil {
		h, p = strings.Trim(v, "[]"), ""
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || strings.ContainsAny(h, "/ *@?#") {
		return "", "", 0, false
	}
	if p == "" {
		if strings.Contains(h, ":") {
			if _, err := netip.ParseAddr(h); err != nil {
				return "", "", 0, false
			}
		}
		return h, h, 0, true
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", "", 0, false
	}
	return net.JoinHostPort(h, strconv.Itoa(port)), h, port, true
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

// The request rules (family request): who sent a request rather than what
// reached a sink. Only ip-not-allowed gets entries, the addresses seen
// added alone to the allow_ips that refused them; the others get a hint,
// because their entries are the operator's own choices (a block list, a
// limit, a bot category's mode) that a detect-mode run cannot judge.

// addRequest proposes entries, or explains why none, for a group of a
// request rule.
func (pr *proposal) addRequest(g *eventGroup) {
	switch g.Rule {
	case policy.RuleIPNotAllowed:
		pr.addIPNotAllowed(g)
	case policy.RuleBot:
		pr.hintBots(g)
	case policy.RuleRateLimit:
		pr.hint(g, "no entry proposed: a limit is a number only you can choose; %s exceeded %s: %s. If they are legitimate, raise its max_requests (or shorten its window), or add trusted automation to bypass_ips",
			plural(len(g.values.list), "client"), pr.routesOf(g, func(r *policy.GateRoute) bool { return r.Limit != nil }, "the rate limit of their route"), sampleList(g.values.list))
	case policy.RuleIPBlocked:
		pr.hint(g, "no entry proposed: %s %s: %s. If they are wanted, remove them (or their network, or their line in a file: list) there, or add them to bypass_ips",
			listedIn(len(g.values.list)), pr.routesOf(g, func(r *policy.GateRoute) bool { return r.Block != nil }, "block_ips"), sampleList(g.values.list))
	case policy.RuleUserBlocked:
		pr.hint(g, "no entry proposed: users.block names these users: %s. Remove them there to serve them", sampleList(g.values.list))
	case policy.RuleAttackWave:
		pr.hint(g, "no entry proposed: %s sent many findings or scanner probes: %s. If they are your own scanners, add them to bypass_ips; else raise attack_wave.threshold",
			plural(len(g.values.list), "client"), sampleList(g.values.list))
	default:
		pr.hint(g, "no allowlist for the request rule %q", g.Rule)
	}
}

// listedIn says where the blocked addresses of n events are listed.
func listedIn(n int) string {
	if n == 1 {
		return "the address is in"
	}
	return "the addresses are in"
}

// sampleList joins the first items of list, saying how many more there
// are.
func sampleList(list []string) string {
	const max = 10
	if len(list) <= max {
		return clean(strings.Join(list, ", "))
	}
	return clean(strings.Join(list[:max], ", ")) + fmt.Sprintf(" and %d more", len(list)-max)
}

// requestGate compiles the request rules of the proposal's policy, as the
// runtime would; the file: lists are read relative to the working
// directory, and left out (ok false) when they cannot be read there.
func (pr *proposal) requestGate() (g *policy.Gate, withFiles bool) {
	if c, err := policy.Compile(*pr.policy, ""); err == nil {
		return c.Gate(), true
	}
	p := *pr.policy
	inline := func(list []string) []string {
		var out []string
		for _, e := range list {
			if !strings.HasPrefix(strings.TrimSpace(e), "file:") {
				out = append(out, e)
			}
		}
		return out
	}
	p.BlockIPs, p.AllowIPs, p.BypassIPs, p.TrustedProxies = inline(p.BlockIPs), inline(p.AllowIPs), inline(p.BypassIPs), inline(p.TrustedProxies)
	p.Routes = slices.Clone(p.Routes)
	for i := range p.Routes {
		p.Routes[i].AllowIPs, p.Routes[i].BlockIPs = inline(p.Routes[i].AllowIPs), inline(p.Routes[i].BlockIPs)
	}
	if c, err := policy.Compile(p, ""); err == nil {
		return c.Gate(), false
	}
	return nil, false
}

// matchedRoutes returns the indexes of the routes entries of the policy
// that the group's requests (each path with each method seen) fall under
// and that keep, in order.
func matchedRoutes(gt *policy.Gate, g *eventGroup, keep func(*policy.GateRoute) bool) []int {
	methods := g.methods.list
	if len(methods) == 0 {
		methods = []string{""}
	}
	var out []int
	for _, path := range g.paths.list {
		for _, m := range methods {
			r := gt.Route(m, path)
			if r == nil || !keep(r) {
				continue
			}
			for i := range gt.Routes {
				if &gt.Routes[i] == r && !slices.Contains(out, i) {
					out = append(out, i)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// routesOf names the route entries of the policy that g's requests fall
// under and that keep ("routes[1] (POST /login)"), or what when the
// policy does not say.
func (pr *proposal) routesOf(g *eventGroup, keep func(*policy.GateRoute) bool, what string) string {
	gt, _ := pr.requestGate()
	if gt == nil {
		return what
	}
	var names []string
	for _, i := range matchedRoutes(gt, g, keep) {
		names = append(names, routeName(gt, i))
	}
	if len(names) == 0 {
		return what
	}
	return what + " (" + strings.Join(names, ", ") + ")"
}

// routeName names routes[i]: "routes[1] (POST /login)".
func routeName(gt *policy.Gate, i int) string {
	r := gt.Routes[i]
	return fmt.Sprintf("routes[%d] (%s)", i, strings.TrimSpace(r.Method+" "+r.Pattern))
}

// addIPNotAllowed adds the client addresses of g, each alone (a /32 or
// /128, never its network), to the allow_ips that refused them: the
// global list when it is set and lacks them, and the route's when every
// request of g falls under one route entry with allow_ips. The events do
// not pair a path with its client, so with several such routes it only
// names them.
func (pr *proposal) addIPNotAllowed(g *eventGroup) {
	var ips []netip.Addr
	for _, v := range g.values.list {
		if a, err := netip.ParseAddr(v); err == nil {
			ips = append(ips, a.Unmap())
		}
	}
	if len(ips) == 0 {
		pr.hint(g, "no entry proposed: the events name no client address")
		return
	}
	gt, withFiles := pr.requestGate()
	if gt == nil || gt.Allow == nil && !slices.ContainsFunc(gt.Routes, func(r policy.GateRoute) bool { return r.Allow != nil }) {
		pr.hint(g, "no entry proposed: the policy given (--policy) has no allow_ips to add them to; if these clients are legitimate, add them to the allow_ips that refused them (the route's, or the global one): %s",
			sampleList(g.values.list))
		return
	}
	missing := func(set interface{ Contains(netip.Addr) bool }) []string {
		var out []string
		for _, a := range ips {
			if !set.Contains(a) {
				out = append(out, a.String())
			}
		}
		return out
	}
	pr.hint(g, "only if these clients are legitimate: each address is added alone, not its network")
	if !withFiles {
		pr.hint(g, "note: the file: lists of the policy could not be read from here; an address already in one is proposed again")
	}
	if gt.Allow != nil {
		if add := missing(gt.Allow); len(add) > 0 {
			pr.addAll(g, "allow_ips", &pr.policy.AllowIPs, add)
		}
	}
	routes := matchedRoutes(gt, g, func(r *policy.GateRoute) bool { return r.Allow != nil })
	switch {
	case len(routes) == 1:
		i := routes[0]
		if add := missing(gt.Routes[i].Allow); len(add) > 0 {
			pr.policy.Routes = slices.Clone(pr.policy.Routes) // the base's entries stay as they were
			pr.addAll(g, fmt.Sprintf("routes[%d].allow_ips", i), &pr.policy.Routes[i].AllowIPs, add)
		}
	case len(routes) > 1:
		var names []string
		for _, i := range routes {
			names = append(names, routeName(gt, i))
		}
		pr.hint(g, "not added to the routes' allow_ips: the requests fall under %s, and the events do not say which client sent which; add by hand where they belong: %s",
			strings.Join(names, ", "), sampleList(g.values.list))
	}
}

// hintBots names the bot categories of g's user agents, with their modes
// in the policy, and says what to do: there is no allowlist of user
// agents.
func (pr *proposal) hintBots(g *eventGroup) {
	p := *pr.policy
	if len(p.Bots) == 0 {
		p.Bots = map[string]string{"scanners": "off"} // any category: the matcher knows them all
	}
	var m interface {
		Match(string) (string, string, bool)
	}
	if c, err := policy.Compile(policy.Policy{Bots: p.Bots, BotPatterns: p.BotPatterns}, ""); err == nil && c.Gate().Bots != nil {
		m = c.Gate().Bots
	}
	byCat := map[string][]string{}
	var cats []string
	unknown := 0
	for _, ua := range g.values.list {
		cat := ""
		if m != nil {
			cat, _, _ = m.Match(ua)
		}
		if cat == "" {
			unknown++
			continue
		}
		if byCat[cat] == nil {
			cats = append(cats, cat)
		}
		byCat[cat] = append(byCat[cat], ua)
	}
	slices.Sort(cats)
	var detect []string
	for _, c := range cats {
		mode := "not set in the policy given"
		if v, ok := pr.policy.Bots[c]; ok {
			mode = v
		}
		if mode == "detect" {
			detect = append(detect, c)
		}
		uas := byCat[c]
		pr.hint(g, "category %s (bots.%s: %s): %s, e.g. %s", c, c, mode, plural(len(uas), "user agent"), sampleList(uas[:min(len(uas), 3)]))
	}
	if unknown > 0 {
		pr.hint(g, "%s match no category of the policy given", plural(unknown, "user agent"))
	}
	pr.hint(g, "no entry proposed: the policy has no allowlist of user agents. For clients you want, set their category to off, or exempt their route (allow.routes with rules [\"bot\"]) or their addresses (bypass_ips)")
	if len(detect) > 0 {
		pr.hint(g, "categories in detect mode seen: %s; a category whose clients you do not want can be set to block instead", strings.Join(detect, ", "))
	}
}
