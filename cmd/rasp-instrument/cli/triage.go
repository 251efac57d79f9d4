package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// Sample limits of the triage listing.
const (
	maxPaths   = 3
	maxInputs  = 3
	maxValues  = 2
	maxSampleB = 80 // bytes of a sample input or value
)

type triageOptions struct {
	fp     string // --fp: "1,3", "2-4", "all"
	yes    bool
	policy string // --policy: the policy to merge into
	out    string // -o
}

func newTriageCmd() *cobra.Command {
	var o triageOptions
	cmd := &cobra.Command{
		Use:   "triage EVENTS.jsonl...",
		Short: "Group runtime findings and propose a policy for the false positives",
		Long: `triage reads the runtime's event log (RASP_EVENTS: one JSON object a line),
groups the findings by rule and call site, and lists the groups, most
frequent first, with their request paths, inputs and values.

It then proposes a policy that allowlists the groups you mark as false
positives: SQL findings by call site and rule (and query shape when the
group has one), network findings by host, shell scripts by script. File
findings and single routes get a hint rather than an entry.

Marking groups:
  on a terminal, triage asks for each group (y: false positive, n: not,
  q: stop asking); --fp N,M,... (or N-M, or all) marks groups without
  asking, and --yes skips the confirmation, for CI. With neither flag and
  no terminal, triage only lists the groups.

The proposal is merged into --policy FILE (JSON or YAML; its other content
is kept) and written as JSON to -o FILE, or to standard output, in which
case the listing goes to standard error. Check it with
'rasp-instrument policy check'.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runTriage(cmd, args, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.fp, "fp", "", "mark groups as false positives without asking: `N,M,...`, N-M or all")
	f.BoolVar(&o.yes, "yes", false, "do not ask for confirmation (CI)")
	f.StringVar(&o.policy, "policy", "", "merge the proposal into this policy `file`")
	f.StringVarP(&o.out, "output", "o", "", "write the proposed policy to `file` (default: standard output)")
	return cmd
}

// stdinIsTerminal tells whether r is a terminal one can ask questions on:
// a character device other than /dev/null. A variable for tests.
var stdinIsTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}

func runTriage(cmd *cobra.Command, files []string, o triageOptions) error {
	var base *policyFile
	if o.policy != "" {
		var err error
		if base, err = loadPolicy(o.policy); err != nil {
			return fmt.Errorf("--policy: %w\n(fix it first: rasp-instrument policy check %s)", err, o.policy)
		}
	}
	var log eventLog
	for _, name := range files {
		if err := log.readFile(name, cmd.ErrOrStderr()); err != nil {
			return err
		}
	}
	groups := groupEvents(log.events)
	interactive := o.fp == "" && !o.yes && stdinIsTerminal(cmd.InOrStdin())
	proposing := o.fp != "" || interactive
	report := cmd.OutOrStdout()
	if proposing && o.out == "" {
		report = cmd.ErrOrStderr() // standard output holds the policy
	}
	printGroups(report, groups, &log)
	if len(groups) == 0 {
		return nil // nothing to propose
	}
	if !proposing {
		if o.yes {
			fmt.Fprintln(cmd.ErrOrStderr(), "no group marked: name the false positives with --fp N,M,... or --fp all")
		}
		return nil
	}
	marked, err := markGroups(cmd, groups, o, interactive)
	if err != nil || len(marked) == 0 {
		if err == nil {
			fmt.Fprintln(report, "\nno group marked as a false positive: no policy written")
		}
		return err
	}
	return writeProposal(cmd, report, base, marked, o.out)
}

// eventLog holds the findings read from event files and what was skipped.
type eventLog struct {
	events    []event.Event
	findings  int // events plus the identical ones the runtime suppressed
	malformed int // lines that are not JSON objects
	other     int // JSON lines that are not findings (no rule or site)
}

// readFile reads one event file; malformed lines are reported to warn as
// FILE:LINE: ... and skipped.
func (l *eventLog) readFile(name string, warn io.Writer) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			l.add(line, fmt.Sprintf("%s:%d", name, n), warn)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
}

func (l *eventLog) add(line []byte, where string, warn io.Writer) {
	var e event.Event
	if err := json.Unmarshal(line, &e); err != nil {
		l.malformed++
		fmt.Fprintf(warn, "%s: malformed event, skipped: %v\n", where, err)
		return
	}
	if e.Rule == "" || e.Site == "" {
		l.other++ // a runtime message, not a finding
		return
	}
	l.events = append(l.events, e)
	l.findings += findingsOf(e)
}

// findingsOf returns how many findings an event line stands for: a finding
// line one (plus those an older runtime said it had suppressed before it);
// a summary of suppressed events ("rasp events suppressed") its count.
func findingsOf(e event.Event) int {
	if e.Msg == event.MsgSuppressed {
		return int(e.Suppressed)
	}
	return 1 + int(e.Suppressed)
}

// eventGroup is the findings of one rule at one call site.
type eventGroup struct {
	Num      int
	Rule     string
	Family   event.Family
	Site     string
	Sink     string
	Count    int            // findings, with the suppressed ones
	Verdicts map[string]int // verdict -> findings
	paths    distinct       // request paths
	methods  distinct
	inputs   distinct // "source name=value"
	values   distinct // the events' values
	noPath   int      // events without a request path
	noValue  int      // events without a value
}

// distinct is a set of strings in order of first appearance.
type distinct struct {
	seen map[string]bool
	list []string
}

func (d *distinct) add(s string) {
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if !d.seen[s] {
		d.seen[s] = true
		d.list = append(d.list, s)
	}
}

// groupEvents groups events by rule and site, sorted by count descending,
// then rule and site, and numbers the groups from 1.
func groupEvents(events []event.Event) []*eventGroup {
	byKey := map[[2]string]*eventGroup{}
	var groups []*eventGroup
	for _, e := range events {
		key := [2]string{e.Rule, e.Site}
		g := byKey[key]
		if g == nil {
			g = &eventGroup{Rule: e.Rule, Family: e.Family, Site: e.Site, Sink: e.Sink, Verdicts: map[string]int{}}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.add(e)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Site < b.Site
	})
	for i, g := range groups {
		g.Num = i + 1
	}
	return groups
}

func (g *eventGroup) add(e event.Event) {
	n := findingsOf(e)
	g.Count += n
	g.Verdicts[e.Verdict] += n
	if e.Msg == event.MsgSuppressed {
		return // a count: its findings' paths and values were in the lines before it
	}
	if e.Path == "" {
		g.noPath++
	} else {
		g.paths.add(e.Path)
		g.methods.add(e.Method)
	}
	if e.Value == "" {
		g.noValue++
	} else {
		g.values.add(e.Value)
	}
	if in := e.Input; in != nil {
		g.inputs.add(in.Source + " " + in.Name + "=" + sample(in.Value))
	}
}

// onlyAllowlisted reports whether every finding of g was allowlisted already.
func (g *eventGroup) onlyAllowlisted() bool { return g.Verdicts["allowlisted"] == g.Count }

// onePath returns the request path and method (may be "") of every event
// of g, when they all share them.
func (g *eventGroup) onePath() (path, method string, ok bool) {
	if g.noPath > 0 || len(g.paths.list) != 1 {
		return "", "", false
	}
	if len(g.methods.list) == 1 {
		method = g.methods.list[0]
	}
	return g.paths.list[0], method, true
}

func printGroups(w io.Writer, groups []*eventGroup, l *eventLog) {
	fmt.Fprintf(w, "# %s in %s, from %s", plural(l.findings, "finding"), plural(len(groups), "group"), plural(len(l.events), "event"))
	var skipped []string
	if l.malformed > 0 {
		skipped = append(skipped, plural(l.malformed, "malformed line"))
	}
	if l.other > 0 {
		skipped = append(skipped, plural(l.other, "other message"))
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "; skipped %s", strings.Join(skipped, " and "))
	}
	fmt.Fprintln(w)
	for _, g := range groups {
		printGroup(w, g)
	}
}

func printGroup(w io.Writer, g *eventGroup) {
	fmt.Fprintf(w, "\n%d. %s (%s) at %s\n", g.Num, g.Rule, g.Family, clean(g.Site))
	fmt.Fprintf(w, "   sink     %s\n", clean(g.Sink))
	fmt.Fprintf(w, "   count    %d: %s\n", g.Count, verdictCounts(g.Verdicts))
	if len(g.paths.list) > 0 {
		fmt.Fprintf(w, "   paths    %s\n", listSome(g.paths.list, maxPaths, ", "))
	}
	printSamples(w, "inputs", g.inputs.list, maxInputs)
	vals := make([]string, len(g.values.list))
	for i, v := range g.values.list {
		vals[i] = sample(v)
	}
	printSamples(w, "values", vals, maxValues)
}

// printSamples prints up to max items, one a line, and how many more.
func printSamples(w io.Writer, label string, items []string, max int) {
	for i, s := range items {
		if i == max {
			fmt.Fprintf(w, "   %-8s (%d more)\n", "", len(items)-max)
			break
		}
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "   %-8s %s\n", label, s)
	}
}

// verdictCounts formats "blocked 2, detected 5": known verdicts first.
func verdictCounts(v map[string]int) string {
	order := map[string]int{"blocked": 0, "detected": 1, "allowlisted": 2}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, iok := order[keys[i]]
		oj, jok := order[keys[j]]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := k
		if name == "" {
			name = "(no verdict)"
		}
		parts[i] = fmt.Sprintf("%s %d", clean(name), v[k])
	}
	return strings.Join(parts, ", ")
}

// listSome joins up to max items, and says how many were left out.
func listSome(items []string, max int, sep string) string {
	shown := items
	if len(items) > max {
		shown = items[:max]
	}
	out := make([]string, len(shown))
	for i, s := range shown {
		out[i] = clean(s)
	}
	s := strings.Join(out, sep)
	if len(items) > max {
		s += fmt.Sprintf(" (+%d more)", len(items)-max)
	}
	return s
}

// sample cuts s to maxSampleB bytes (on a character boundary) and makes
// it safe to print.
func sample(s string) string {
	if len(s) <= maxSampleB {
		return clean(s)
	}
	cut := maxSampleB
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return clean(s[:cut]) + "…"
}

// clean escapes control characters and invalid UTF-8, which an attacker
// may have put in a request to play tricks on the terminal.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r) || r == ' ':
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// markGroups returns the groups marked as false positives: by --fp (with a
// confirmation on a terminal unless --yes), or by asking for each group.
func markGroups(cmd *cobra.Command, groups []*eventGroup, o triageOptions, interactive bool) ([]*eventGroup, error) {
	in := bufio.NewReader(cmd.InOrStdin())
	w := cmd.ErrOrStderr()
	if o.fp == "" {
		return askEach(in, w, groups)
	}
	marked, err := parseFP(o.fp, groups)
	if err != nil || o.yes || len(marked) == 0 || !stdinIsTerminal(cmd.InOrStdin()) {
		return marked, err
	}
	nums := make([]string, len(marked))
	for i, g := range marked {
		nums[i] = strconv.Itoa(g.Num)
	}
	fmt.Fprintf(w, "\nallowlist groups %s as false positives? [y/N] ", strings.Join(nums, ", "))
	if a := answer(in); a != 'y' {
		return nil, nil
	}
	return marked, nil
}

// askEach asks whether each group is a false positive; q stops asking.
func askEach(in *bufio.Reader, w io.Writer, groups []*eventGroup) ([]*eventGroup, error) {
	var marked []*eventGroup
	fmt.Fprintln(w)
	for _, g := range groups {
		fmt.Fprintf(w, "%d. %s at %s: false positive? [y/N/q] ", g.Num, g.Rule, clean(g.Site))
		switch answer(in) {
		case 'y':
			marked = append(marked, g)
		case 'q':
			return marked, nil
		}
	}
	return marked, nil
}

// answer reads a line: 'y' for y or yes, 'q' for q or quit and at the end
// of the input, 'n' for anything else.
func answer(in *bufio.Reader) byte {
	line, err := in.ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return 'y'
	case "q", "quit":
		return 'q'
	}
	if err != nil && line == "" {
		return 'q'
	}
	return 'n'
}

// parseFP parses --fp: "all", or group numbers and ranges "1,3,5-7".
func parseFP(s string, groups []*eventGroup) ([]*eventGroup, error) {
	if strings.TrimSpace(s) == "all" {
		return groups, nil
	}
	pick := make([]bool, len(groups)+1)
	for _, part := range strings.Split(s, ",") {
		lo, hi, err := parseRange(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("--fp %s: %v: want group numbers as the listing shows them (1,3,5-7) or all", s, err)
		}
		if lo < 1 || hi > len(groups) {
			return nil, fmt.Errorf("--fp %s: there is no group %s: the events make groups 1 to %d", s, part, len(groups))
		}
		for n := lo; n <= hi; n++ {
			pick[n] = true
		}
	}
	var marked []*eventGroup
	for _, g := range groups {
		if pick[g.Num] {
			marked = append(marked, g)
		}
	}
	return marked, nil
}

func parseRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = strconv.Atoi(a); err != nil {
		return 0, 0, fmt.Errorf("%q is not a number", a)
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = strconv.Atoi(b); err != nil || hi < lo {
		return 0, 0, fmt.Errorf("%q is not a range", s)
	}
	return lo, hi, nil
}

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
