package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check and convert runtime policy files",
		Long: `policy checks the runtime's policy files (the file RASP_POLICY names) before
they are deployed, and converts YAML policies to the JSON the runtime reads.
A file whose name ends in .yaml or .yml is read as YAML, any other as JSON.`,
	}
	cmd.AddCommand(newPolicyCheckCmd(), newPolicyConvertCmd())
	return cmd
}

func newPolicyCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate policy files",
		Long: `check reads each policy file as the runtime would and validates its content:
the modes, the rule names, and every allowlist entry. Errors name the file,
the line and the field; a valid file prints one line:

	policy.json: ok (mode block, 2 rules, 5 allowlist entries)

Exit status: 0 when every file is valid, else 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, name := range args {
				pf, err := loadPolicy(name)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					bad++
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%s)\n", name, describePolicy(pf.Policy))
			}
			if bad > 0 {
				cmd.SilenceErrors = true
				return fmt.Errorf("%d invalid policy files", bad)
			}
			return nil
		},
	}
}

func newPolicyConvertCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "convert FILE.yaml",
		Short: "Print a YAML policy as the JSON the runtime reads",
		Long: `convert checks a YAML policy like check does, then prints it as indented
JSON, in the order of the YAML file, or writes it to the file -o names.
An invalid policy is not converted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isYAML(args[0]) {
				return fmt.Errorf("%s: not a YAML file (.yaml or .yml): a JSON policy needs no conversion; check it with 'rasp-instrument policy check %s'", args[0], args[0])
			}
			pf, err := loadPolicy(args[0])
			if err != nil {
				cmd.SilenceErrors = true
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return err
			}
			return writeOutput(cmd.OutOrStdout(), out, pf.JSON)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the JSON to `file` instead of standard output")
	return cmd
}

// writeOutput writes data to the file named out, or to w when out is "".
func writeOutput(w io.Writer, out string, data []byte) error {
	if out == "" {
		_, err := w.Write(data)
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

// policyFile is a policy file read and checked.
type policyFile struct {
	Name   string
	Policy policy.Policy
	JSON   []byte         // the policy as indented JSON (YAML files converted)
	lines  map[string]int // field path ("allow.sql[0].site") -> line in the file
}

// loadPolicy reads, parses and checks the policy file name, JSON or YAML
// by its name. Errors name the file, and the line where it is known.
func loadPolicy(name string) (*policyFile, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return parsePolicyFile(name, data)
}

// parsePolicyFile parses and checks a policy file's content.
func parsePolicyFile(name string, data []byte) (*policyFile, error) {
	pf := &policyFile{Name: name, JSON: data}
	var err error
	if isYAML(name) {
		var conv *yamlConv
		if conv, err = yamlToJSON(name, data); err != nil {
			return nil, err
		}
		pf.JSON, pf.lines = conv.buf.Bytes(), conv.index
		if pf.Policy, err = policy.Parse(name, pf.JSON); err != nil {
			return nil, conv.remapLine(err)
		}
	} else {
		if pf.Policy, err = policy.Parse(name, data); err != nil {
			return nil, err
		}
		pf.lines = jsonIndex(data)
	}
	errs := checkPolicy(pf.Policy)
	errs = append(errs, checkListFiles(pf.Policy, name)...)
	if len(errs) > 0 {
		return nil, pf.fieldErrors(errs)
	}
	if err := policy.Check(pf.Policy, name); err != nil {
		return nil, err // a check this command does not know yet
	}
	return pf, nil
}

func isYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// describePolicy summarizes a valid policy: "mode block, 2 rules, 5
// allowlist entries".
func describePolicy(p policy.Policy) string {
	m, _ := policy.ParseMode(p.Mode)
	a := p.Allow
	n := len(a.SSRFHosts) + len(a.PathBases) + len(a.ShellCommands) + len(a.SQL) + len(a.Routes)
	s := fmt.Sprintf("mode %s, %s, %s", m, plural(len(p.Rules), "rule"), plural(n, "allowlist entry"))
	if req := requestKeys(p); len(req) > 0 {
		s += "; request keys: " + strings.Join(req, ", ")
	}
	return s
}

// requestKeys names the request keys p sets, with the number of route
// entries: "block_ips, routes (2), bots".
func requestKeys(p policy.Policy) []string {
	var keys []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"trusted_proxies", len(p.TrustedProxies) > 0},
		{"block_ips", len(p.BlockIPs) > 0},
		{"allow_ips", len(p.AllowIPs) > 0},
		{"bypass_ips", len(p.BypassIPs) > 0},
		{fmt.Sprintf("routes (%d)", len(p.Routes)), len(p.Routes) > 0},
		{"bots", len(p.Bots) > 0},
		{"bot_patterns", len(p.BotPatterns) > 0},
		{"users", p.Users != nil},
		{"attack_wave", p.AttackWave != nil},
		{"egress", p.Egress != nil},
	} {
		if k.set {
			keys = append(keys, k.name)
		}
	}
	return keys
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return strconv.Itoa(n) + " " + strings.TrimSuffix(what, "y") + "ies"
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// fieldError is a problem with one field of a policy. Field is a path:
// "mode", "rules.sqli-union", "allow.ssrf_hosts[2]", "allow.routes[0].path".
type fieldError struct {
	Field   string
	Problem string
}

// fieldErrors formats errs as "FILE:LINE: field: problem", one a line.
func (pf *policyFile) fieldErrors(errs []fieldError) error {
	sort.SliceStable(errs, func(i, j int) bool { return pf.lineOf(errs[i].Field) < pf.lineOf(errs[j].Field) })
	out := make([]error, len(errs))
	for i, e := range errs {
		where := pf.Name
		if line := pf.lineOf(e.Field); line > 0 {
			where += ":" + strconv.Itoa(line)
		}
		out[i] = fmt.Errorf("%s: %s: %s", where, e.Field, e.Problem)
	}
	return errors.Join(out...)
}

// lineOf returns the line of field, or of its closest parent the file
// has; 0 when unknown.
func (pf *policyFile) lineOf(field string) int {
	for field != "" {
		if line, ok := pf.lines[field]; ok {
			return line
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

// checkPolicy returns every problem of p's content, as the runtime sees
// them (policy.Policy.Problems, which policy.Check refuses).
func checkPolicy(p policy.Policy) []fieldError {
	var errs []fieldError
	for _, pr := range p.Problems() {
		errs = append(errs, fieldError{pr.Field, pr.Problem})
	}
	return errs
}

// checkListFiles reads the "file:PATH" entries of p's IP lists
// (trusted_proxies, block_ips, allow_ips, bypass_ips, and the routes'
// allow_ips and block_ips) as the runtime does, a relative PATH from the
// directory of the policy file name, and returns a problem for each file
// that cannot be read or holds an entry that is not an address or a CIDR,
// naming the file and the line of the entry. An entry naming no file is
// one of policy.Problems'.
func checkListFiles(p policy.Policy, name string) []fieldError {
	var errs []fieldError
	check := func(field string, list []string) {
		for i, e := range list {
			path, ok := strings.CutPrefix(strings.TrimSpace(e), "file:")
			if path = strings.TrimSpace(path); !ok || path == "" {
				continue
			}
			f := fmt.Sprintf("%s[%d]", field, i)
			if problem := listFileProblem(path, name); problem != "" {
				errs = append(errs, fieldError{f, "file:" + path + ": " + problem})
			}
		}
	}
	check("trusted_proxies", p.TrustedProxies)
	check("block_ips", p.BlockIPs)
	check("allow_ips", p.AllowIPs)
	check("bypass_ips", p.BypassIPs)
	for i, r := range p.Routes {
		check(fmt.Sprintf("routes[%d].allow_ips", i), r.AllowIPs)
		check(fmt.Sprintf("routes[%d].block_ips", i), r.BlockIPs)
	}
	return errs
}

// listFileProblem says what is wrong with the list file path of the policy
// file name, or "". The file is read by policy.Compile, the runtime's own
// reader, so that the check cannot differ from what the runtime accepts.
func listFileProblem(path, name string) string {
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(filepath.Dir(name), full)
	}
	st, err := os.Stat(full)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if full != path {
			return full + " does not exist (a relative name is read from the policy file's directory)"
		}
		return full + " does not exist"
	case err != nil:
		return err.Error()
	case st.IsDir():
		return full + " is a directory: want a file of one address or CIDR a line"
	}
	_, err = policy.Compile(policy.Policy{BlockIPs: []string{"file:" + path}}, name) // reads full
	if err == nil {
		return ""
	}
	// Compile says "NAME: block_ips[0]: FILE:LINE: problem".
	msg := strings.TrimPrefix(err.Error(), name+": ")
	return strings.TrimPrefix(msg, "block_ips[0]: ")
}

// jsonIndex maps the field paths of a JSON policy to their lines. It
// gives up quietly on broken JSON (ParsePolicy reports that).
func jsonIndex(data []byte) map[string]int {
	idx := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(data))
	line := func() int { return 1 + bytes.Count(data[:dec.InputOffset()], []byte("\n")) }
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if _, ok := idx[path]; !ok && path != "" {
			idx[path] = line()
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				child := joinField(path, fmt.Sprint(k))
				idx[child] = line()
				if err := walk(child); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		}
		return err
	}
	_ = walk("")
	return idx
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// yamlConv converts a YAML policy to indented JSON, one key or list item
// a line, remembering the YAML line of every JSON line and field.
type yamlConv struct {
	name  string
	buf   bytes.Buffer
	lines []int          // lines[i]: the YAML line of JSON line i+1
	index map[string]int // field path -> YAML line
}

// yamlToJSON converts a YAML policy. Errors name the file and the line.
func yamlToJSON(name string, data []byte) (*yamlConv, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file is empty: want a policy (mode, rules, allow)", name)
		}
		return nil, yamlError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, fmt.Errorf("%s:%d: a policy file holds one YAML document: remove the '---' and what follows", name, next.Line)
	case !errors.Is(err, io.EOF):
		return nil, yamlError(name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty: want a policy (mode, rules, allow)", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping at the top (mode, rules, allow), got %s", name, root.Line, nodeKind(root))
	}
	c := &yamlConv{name: name, index: map[string]int{}, lines: []int{root.Line}}
	if err := c.value(root, "", 0); err != nil {
		return nil, err
	}
	c.buf.WriteByte('\n')
	return c, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns "yaml: line 3: problem" into "FILE:3: problem".
func yamlError(name string, err error) error {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: %s", name, m[1], m[2])
	}
	return fmt.Errorf("%s: %v", name, err)
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", n.Value)
	}
	return "something else"
}

func (c *yamlConv) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", c.name, n.Line, fmt.Sprintf(format, args...))
}

// newline starts a JSON line that comes from YAML line yamlLine.
func (c *yamlConv) newline(depth, yamlLine int) {
	c.buf.WriteByte('\n')
	c.buf.WriteString(strings.Repeat("  ", depth))
	c.lines = append(c.lines, yamlLine)
}

func (c *yamlConv) last() int { return c.lines[len(c.lines)-1] }

func (c *yamlConv) value(n *yaml.Node, path string, depth int) error {
	switch n.Kind {
	case yaml.AliasNode:
		return c.value(n.Alias, path, depth)
	case yaml.MappingNode:
		return c.mapping(n, path, depth)
	case yaml.SequenceNode:
		return c.sequence(n, path, depth)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return c.errorf(n, "unexpected YAML node")
}

func (c *yamlConv) mapping(n *yaml.Node, path string, depth int) error {
	if len(n.Content) == 0 {
		c.buf.WriteString("{}")
		return nil
	}
	c.buf.WriteByte('{')
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			return c.errorf(k, "a key must be a plain name (merge keys and complex keys are not supported)")
		}
		if first, dup := seen[k.Value]; dup {
			return c.errorf(k, "key %q repeats (first at line %d): keep one", k.Value, first)
		}
		seen[k.Value] = k.Line
		if i > 0 {
			c.buf.WriteByte(',')
		}
		c.newline(depth+1, k.Line)
		c.buf.Write(jsonString(k.Value))
		c.buf.WriteString(": ")
		field := joinField(path, k.Value)
		c.index[field] = k.Line
		if err := c.value(v, field, depth+1); err != nil {
			return err
		}
	}
	c.newline(depth, c.last())
	c.buf.WriteByte('}')
	return nil
}

func (c *yamlConv) sequence(n *yaml.Node, path string, depth int) error {
	if len(n.Content) == 0 {
		c.buf.WriteString("[]")
		return nil
	}
	c.buf.WriteByte('[')
	for i, item := range n.Content {
		if i > 0 {
			c.buf.WriteByte(',')
		}
		c.newline(depth+1, item.Line)
		field := fmt.Sprintf("%s[%d]", path, i)
		c.index[field] = item.Line
		if err := c.value(item, field, depth+1); err != nil {
			return err
		}
	}
	c.newline(depth, c.last())
	c.buf.WriteByte(']')
	return nil
}

func (c *yamlConv) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		c.buf.WriteString("null")
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return c.errorf(n, "%v", err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return c.errorf(n, "%q has no JSON form: quote it", n.Value)
		}
		c.buf.Write(b)
	default:
		c.buf.Write(jsonString(n.Value))
	}
	return nil
}

// jsonString quotes s as JSON without escaping <, > and &.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// remapLine turns the JSON line of a "FILE:LINE: ..." error of
// policy.Parse on the converted JSON into the YAML line.
func (c *yamlConv) remapLine(err error) error {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, c.name+":")
	if !ok {
		return err
	}
	num, tail, ok := strings.Cut(rest, ":")
	n, convErr := strconv.Atoi(num)
	if !ok || convErr != nil || n < 1 || n > len(c.lines) {
		return err
	}
	return fmt.Errorf("%s:%d:%s", c.name, c.lines[n-1], tail)
}
