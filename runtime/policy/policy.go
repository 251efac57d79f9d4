package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
	"github.com/rasp-instrument/rasp-instrument/runtime/ssrf"
)

// Policy is the operator's configuration of the runtime, read from the JSON
// file named by RASP_POLICY. The runtime lets RASP_MODE, when set,
// override Mode; this package reads no environment.
type Policy struct {
	// Mode is off, detect or block; empty is detect.
	Mode string `json:"mode,omitempty"`
	// Rules sets the mode of single rules ("sqli-tautology": "block"),
	// over Mode. At run time RASP_RULE_<NAME> (upper case, '-' as '_')
	// overrides both.
	Rules map[string]string `json:"rules,omitempty"`
	// Allow lists what is never a finding, per family.
	Allow Allow `json:"allow"`
	// OptionPrograms names programs, besides the built-in table (git,
	// curl, tar, find, ssh, rsync, zip, sendmail, ...), whose options are
	// dangerous when an input chooses them (cmdi-argument-injection): base
	// names ("mytool") or full paths.
	OptionPrograms []string `json:"option_programs,omitempty"`

	// TrustedProxies are the addresses and CIDRs of the proxies in front
	// of the program: X-Forwarded-For, Forwarded and X-Real-IP are
	// believed only from them, right to left; otherwise the client is the
	// peer. Every event and request rule uses that client IP.
	TrustedProxies []string `json:"trusted_proxies,omitempty"`
	// BlockIPs are clients never served (rule ip-blocked); AllowIPs, when
	// not empty, are the only clients served (rule ip-not-allowed);
	// BypassIPs are never refused by a request rule (monitoring, your own
	// scanners). Entries: an address, a CIDR, or "file:PATH", a file of one
	// address or CIDR a line (# comments), relative to the policy file's
	// directory and read again when it changes.
	BlockIPs  []string `json:"block_ips,omitempty"`
	AllowIPs  []string `json:"allow_ips,omitempty"`
	BypassIPs []string `json:"bypass_ips,omitempty"`
	// Routes configure single routes: IP lists and rate limits.
	Routes []Route `json:"routes,omitempty"`
	// Bots sets the mode of user-agent categories (rule bot): the built-in
	// scanners, ai_crawlers, search_engines, http_libraries, and those of
	// BotPatterns. A category not listed is off.
	Bots map[string]string `json:"bots,omitempty"`
	// BotPatterns adds categories, or replaces built-in ones: user-agent
	// substrings, matched case-insensitively.
	BotPatterns map[string][]string `json:"bot_patterns,omitempty"`
	// Users says how requests name their user, and which users are
	// refused.
	Users *Users `json:"users,omitempty"`
	// AttackWave detects many findings or scanner probes from one client.
	AttackWave *AttackWave `json:"attack_wave,omitempty"`
	// Egress, when set, lists where the program may connect.
	Egress *Egress `json:"egress,omitempty"`
}

// SQLAllow allowlists SQL findings: by call site ("example.com/app/store.go:67",
// as events name it), by query shape (the redacted query of the event's
// "value", literals as ?), or both; Rule, when set, limits the entry to
// one rule.
type SQLAllow struct {
	Site  string `json:"site,omitempty"`
	Shape string `json:"shape,omitempty"`
	Rule  string `json:"rule,omitempty"`
}

// RouteAllow exempts requests from rules: Path is an exact path, or a
// prefix ending in '*' ("/admin/*"); Method, when set, limits it to one
// method; Rules, when set, to those rules (a trailing '*' matches a prefix,
// "sqli-*"); empty: all rules.
type RouteAllow struct {
	Path   string   `json:"path"`
	Method string   `json:"method,omitempty"`
	Rules  []string `json:"rules,omitempty"`
}

// Allow holds a policy's allowlists.
type Allow struct {
	// SSRFHosts are hosts, "*.domain" patterns, addresses and CIDRs that a
	// dynamic URL or address may reach even when they are internal.
	SSRFHosts []string `json:"ssrf_hosts,omitempty"`
	// PathBases are the directories a file path with a dynamic part may
	// resolve into; a path with a dynamic part outside all of them is a
	// finding. Empty: no base-directory rule.
	PathBases []string `json:"path_bases,omitempty"`
	// ShellCommands, when not empty, are the only shell scripts (sh -c and
	// the like) the program may run: '*' matches any run of bytes, '?' one
	// byte. Any other shell invocation is a finding, and allowed scripts
	// are still judged for injection.
	ShellCommands []string `json:"shell_commands,omitempty"`
	// SQL allowlists SQL findings by call site or query shape.
	SQL []SQLAllow `json:"sql,omitempty"`
	// Routes exempts requests by path from some or all rules.
	Routes []RouteAllow `json:"routes,omitempty"`
}

// Matches reports whether the route exemption covers a request with
// method and path: Path is exact, or a prefix when it ends in '*'; an empty
// Method matches any.
func (r RouteAllow) Matches(method, path string) bool {
	return (r.Method == "" || strings.EqualFold(r.Method, method)) && matchPattern(r.Path, path)
}

// Exempts reports whether the exemption covers rule: no Rules cover all,
// else one of them, a trailing '*' matching a prefix.
func (r RouteAllow) Exempts(rule string) bool { return matchesAny(r.Rules, rule) }

// SameShape reports whether the entry's Shape is the query shape value,
// white space folded, so a shape copied from an event matches however it
// was indented. An empty Shape matches every value.
func (e SQLAllow) SameShape(value string) bool {
	return e.Shape == "" || normalizeShape(e.Shape) == normalizeShape(value)
}

// matchPattern matches s exactly, or by prefix when pattern ends in '*'.
func matchPattern(pattern, s string) bool {
	if strings.HasSuffix(pattern, "*") {
		return strings.HasPrefix(s, pattern[:len(pattern)-1])
	}
	return pattern == s
}

func matchesAny(patterns []string, rule string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if matchPattern(p, rule) {
			return true
		}
	}
	return false
}

// normalizeShape folds runs of white space.
func normalizeShape(s string) string { return strings.Join(strings.Fields(s), " ") }

// Problem is one thing wrong in a policy: the field, as a path
// ("allow.ssrf_hosts[2]", "rules.sqli-tautology"), and what is wrong.
type Problem struct {
	Field, Problem string
}

// Problems lists everything wrong in p, in field order; none for a valid
// policy. Compile and Check refuse a policy with the first; the CLI's
// policy check reports them all, with their lines.
func (p Policy) Problems() []Problem {
	var out []Problem
	add := func(field, format string, args ...any) {
		out = append(out, Problem{field, fmt.Sprintf(format, args...)})
	}
	const modes = "want off, detect or block"
	if _, err := ParseMode(p.Mode); err != nil {
		add("mode", "unknown mode %q: %s", p.Mode, modes)
	}
	known := map[string]bool{}
	for _, r := range KnownRules() {
		known[r] = true
	}
	unknown := func(field, rule string) {
		add(field, "unknown rule %q (known: %s)", rule, strings.Join(KnownRules(), ", "))
	}
	names := make([]string, 0, len(p.Rules))
	for r := range p.Rules {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		switch v := p.Rules[r]; {
		case !known[r]:
			unknown("rules."+r, r)
		case strings.TrimSpace(v) == "":
			add("rules."+r, "empty mode: %s", modes)
		default:
			if _, err := ParseMode(v); err != nil {
				add("rules."+r, "unknown mode %q: %s", v, modes)
			}
		}
	}
	for i, e := range p.Allow.SQL {
		field := fmt.Sprintf("allow.sql[%d]", i)
		if e.Site == "" && e.Shape == "" {
			add(field, `needs a site ("example.com/app/store.go:67", as events name it) or a shape (an event's value)`)
		}
		if e.Rule != "" && !known[e.Rule] {
			unknown(field+".rule", e.Rule)
		}
	}
	for i, r := range p.Allow.Routes {
		if r.Path == "" {
			add(fmt.Sprintf("allow.routes[%d]", i), `needs a path: an exact request path, or a prefix ending in '*' ("/admin/*")`)
		}
	}
	entries := func(field string, list []string, check func(string) string) {
		for i, e := range list {
			f := fmt.Sprintf("%s[%d]", field, i)
			if strings.TrimSpace(e) == "" {
				add(f, "empty entry: remove it")
			} else if check != nil {
				if problem := check(e); problem != "" {
					add(f, "%s", problem)
				}
			}
		}
	}
	entries("allow.ssrf_hosts", p.Allow.SSRFHosts, func(h string) string {
		h = strings.TrimSpace(h)
		if !strings.Contains(h, "/") {
			return ""
		}
		if _, err := netip.ParsePrefix(h); err != nil {
			msg := err.Error()
			if _, after, ok := strings.Cut(msg, "): "); ok {
				msg = after // drop netip.ParsePrefix("..."), which repeats the entry
			}
			return fmt.Sprintf("%q is not a CIDR (%s): want a host, \"*.domain\", an address or a CIDR such as 10.0.0.0/8", h, msg)
		}
		return ""
	})
	entries("allow.path_bases", p.Allow.PathBases, nil)
	p.requestProblems(add)
	entries("allow.shell_commands", p.Allow.ShellCommands, func(pat string) string {
		if n := len(pat) - len(strings.TrimRight(pat, `\`)); n%2 == 1 {
			return "the pattern ends with a lone backslash, which escapes nothing: remove it, or double it to match a backslash"
		}
		return ""
	})
	return out
}

// Check validates p as Compile does, without compiling it: the first
// problem, if any, as an error naming source and the field. It reads no
// environment.
func Check(p Policy, source string) error {
	_, err := Compile(p, source)
	return err
}

// Compiled is a policy checked and ready for the detectors.
type Compiled struct {
	Policy
	Source    string           // the file it came from, or "" for the default
	mode      Mode             // Policy.Mode parsed
	ruleModes map[string]Mode  // Policy.Rules parsed, and the overrides
	pathBases []string         // absolute and clean
	shell     *shell.Allowlist // nil: no shell allowlist
	ssrf      *ssrf.Allowlist  // nil: no SSRF allowlist
	gate      *Gate
	egress    *EgressList // nil: no egress allowlist
}

// Compile checks p and prepares it for the detectors; errors name source
// and the first problem's field. It reads no environment: the runtime
// applies its RASP_RULE_* overrides with OverrideRule.
func Compile(p Policy, source string) (*Compiled, error) {
	if probs := p.Problems(); len(probs) > 0 {
		if source == "" {
			return nil, fmt.Errorf("%s: %s", probs[0].Field, probs[0].Problem)
		}
		return nil, fmt.Errorf("%s: %s: %s", source, probs[0].Field, probs[0].Problem)
	}
	c := &Compiled{Policy: p, Source: source, ruleModes: map[string]Mode{}}
	c.mode, _ = ParseMode(p.Mode)
	for r, v := range p.Rules {
		c.ruleModes[r], _ = ParseMode(v)
	}
	for _, b := range p.Allow.PathBases {
		abs, err := filepath.Abs(b)
		if err != nil {
			return nil, fmt.Errorf("%s: allow.path_bases: %v", source, err)
		}
		c.pathBases = append(c.pathBases, abs)
	}
	if len(p.Allow.ShellCommands) > 0 {
		var err error
		if c.shell, err = shell.NewAllowlist(p.Allow.ShellCommands); err != nil {
			return nil, fmt.Errorf("%s: allow.shell_commands: %v", source, err)
		}
	}
	if len(p.Allow.SSRFHosts) > 0 {
		var err error
		if c.ssrf, err = ssrf.NewAllowlist(p.Allow.SSRFHosts); err != nil {
			return nil, fmt.Errorf("%s: allow.ssrf_hosts: %v", source, err)
		}
	}
	var err error
	if c.gate, err = compileGate(p, source); err != nil {
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	if c.egress, err = compileEgress(p.Egress); err != nil {
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	return c, nil
}

// Gate returns the request rules' configuration: never nil.
func (c *Compiled) Gate() *Gate {
	if c.gate == nil {
		return &noGate
	}
	return c.gate
}

// noGate is the Gate of a Compiled made without Compile: it checks nothing.
var noGate = Gate{UserJWT: true}

// Egress returns the outbound allowlist, or nil when the policy has none
// (everything may be reached).
func (c *Compiled) Egress() *EgressList { return c.egress }

// OverrideRule sets the mode of rule over the policy's: the runtime's
// RASP_RULE_* variables. Call it before the policy is shared.
func (c *Compiled) OverrideRule(rule string, m Mode) { c.ruleModes[rule] = m }

// DefaultMode returns the policy's mode (Policy.Mode parsed).
func (c *Compiled) DefaultMode() Mode { return c.mode }

// RuleMode returns the mode of rule: its override, else its entry in the
// policy's rules, else global.
func (c *Compiled) RuleMode(rule string, global Mode) Mode {
	if m, ok := c.ruleModes[rule]; ok {
		return m
	}
	return global
}

// RuleModes returns "rule=mode" for every rule whose mode is set, sorted.
func (c *Compiled) RuleModes() []string {
	var rs []string
	for r, m := range c.ruleModes {
		rs = append(rs, r+"="+m.String())
	}
	sort.Strings(rs)
	return rs
}

// PathBases returns the policy's base directories, absolute and clean.
func (c *Compiled) PathBases() []string { return c.pathBases }

// ShellAllowlist returns the allowlist of shell scripts, or nil when the
// policy has none.
func (c *Compiled) ShellAllowlist() *shell.Allowlist { return c.shell }

// SSRFAllowlist returns the hosts and networks the program may reach
// (allow.ssrf_hosts), or nil, which allows nothing.
func (c *Compiled) SSRFAllowlist() *ssrf.Allowlist { return c.ssrf }

// AllowlistEntries counts the policy's allowlist entries per rule that
// allow findings (SQL entries, route exemptions), for the
// rasp_allowlist_entries_total gauge.
func (c *Compiled) AllowlistEntries() map[string]int {
	n := map[string]int{}
	add := func(k int, rules ...string) {
		for _, r := range rules {
			n[r] += k
		}
	}
	// Only the entries that allow findings count: they are what
	// rasp_allowlist_hits_total counts. SSRF hosts, path bases and shell
	// commands shape what the detectors find instead.
	for _, e := range c.Allow.SQL {
		if e.Rule != "" {
			add(1, e.Rule)
		} else {
			add(1, sqli.Rules()...)
		}
	}
	for _, r := range c.Allow.Routes {
		for _, k := range KnownRules() {
			if r.Exempts(k) {
				add(1, k)
			}
		}
	}
	return n
}

// Parse reads a policy file's content. Errors name the file, the line
// and the field.
func Parse(name string, data []byte) (Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = fmt.Errorf("unexpected data after the policy object")
			return p, fmt.Errorf("%s:%d: %v", name, lineAt(data, int(dec.InputOffset())), err)
		}
		return p, nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return p, fmt.Errorf("%s:%d: %v", name, lineAt(data, int(syn.Offset)), syn)
	case errors.As(err, &typ):
		return p, fmt.Errorf("%s:%d: field %s: want %s, got %s", name, lineAt(data, int(typ.Offset)), typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return p, fmt.Errorf("%s:%d: unknown field %q (known: mode, rules, option_programs, allow.ssrf_hosts, allow.path_bases, allow.shell_commands, allow.sql, allow.routes, trusted_proxies, block_ips, allow_ips, bypass_ips, routes, bots, bot_patterns, users, attack_wave, egress)",
			name, lineOf(data, `"`+field+`"`, int(dec.InputOffset())), field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p, fmt.Errorf("%s:%d: the policy ends early: want a JSON object", name, lineAt(data, len(data)))
	}
	return p, fmt.Errorf("%s: %v", name, err)
}

func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// lineOf finds the line of the last occurrence of needle before off.
func lineOf(data []byte, needle string, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if i := bytes.LastIndex(data[:off], []byte(needle)); i >= 0 {
		return lineAt(data, i)
	}
	return lineAt(data, off)
}
