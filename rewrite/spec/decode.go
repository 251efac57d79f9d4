package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/token"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/patch"
	"github.com/rasp-instrument/rasp-instrument/runtime/sqli"
)

// builtinName is how the built-in spec is named in messages and records.
const builtinName = "sinks.yaml (built in)"

// entry is one item of sinks: in the file.
type entry struct {
	Call      string `yaml:"call"`
	Server    string `yaml:"server"`
	Entry     string `yaml:"entry"`
	Struct    string `yaml:"struct"`
	Package   string `yaml:"package"`
	Interface string `yaml:"interface"`
	Family    string `yaml:"family"`
	Reroute   string `yaml:"reroute"`
	Check     string `yaml:"check"`
	Wrap      string `yaml:"wrap"`
	CoveredBy string `yaml:"covered_by"`
	Propagate string `yaml:"propagate"`
	Returns   string `yaml:"returns"`
	Prologue  string `yaml:"prologue"`
	After     string `yaml:"after"`
	Fields    string `yaml:"fields"`
	Decls     string `yaml:"decls"`
	Optional  bool   `yaml:"optional"`
	Override  bool   `yaml:"override"`
}

// fieldNames are the fields an item of sinks: may have: entry's yaml
// tags, in order.
var fieldNames = func() []string {
	t := reflect.TypeOf(entry{})
	out := make([]string, t.NumField())
	for i := range out {
		out[i] = t.Field(i).Tag.Get("yaml")
	}
	return out
}()

// knownFields lists fieldNames for messages.
var knownFields = strings.Join(fieldNames, ", ")

type document struct {
	Sinks   []yaml.Node `yaml:"sinks"`
	Exclude []string    `yaml:"exclude"`
}

// Parse parses a spec. Errors name the file, the line and the field at
// fault.
func Parse(file string, data []byte) (*Spec, error) {
	s := &Spec{File: file, byKey: map[string]*Call{}}
	sum := sha256.Sum256(data)
	s.Hash = hex.EncodeToString(sum[:])

	var doc document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s:%s", file, yamlMessage(err))
	}
	if len(doc.Sinks) == 0 {
		return nil, fmt.Errorf("%s:1: sinks: the spec lists no join points", file)
	}
	entries := map[string]string{} // entry join point -> position
	for i := range doc.Sinks {
		e, at, err := decodeEntry(file, &doc.Sinks[i])
		if err != nil {
			return nil, err
		}
		switch {
		case e.Call != "" || e.Server != "":
			err = s.addCall(&e, at)
		case e.Interface != "":
			err = s.addInterface(&e, at)
		case e.Entry != "" || e.Struct != "" || e.Package != "":
			err = s.addPatch(&e, at, entries)
		default:
			err = fmt.Errorf("%s: the entry names no join point; give one of call, server, interface, entry, struct, package", at(""))
		}
		if err != nil {
			return nil, err
		}
	}
	for _, c := range s.Calls {
		if c.override {
			return nil, fmt.Errorf("%s: override: only a user's spec (--sinks, RASP_SINKS) overrides a built-in join point", c.Pos)
		}
	}
	s.Complete = len(s.Patches) > 0
	if !s.Complete {
		// The standard library's join points are tied to the runtime built
		// into the tool: a spec that declares none has the built-in ones.
		builtin, err := Builtin()
		if err != nil {
			return nil, err
		}
		s.Patches = builtin.Patches
		for _, p := range s.Patches {
			if p.Func != "" {
				entries[p.Pkg+"."+p.Func] = p.Pos
			}
		}
	}
	s.Exclude = doc.Exclude
	return s.finish(entries)
}

// finish checks what the spec's entries say together and indexes its
// calls: every runtime declarations file added, every covered_by naming an
// entry of the spec; the markers a file must hold to reference a call.
func (s *Spec) finish(entries map[string]string) (*Spec, error) {
	file := s.File
	named := map[string]bool{}
	for _, p := range s.Patches {
		named[p.Decls] = true
	}
	for _, d := range patch.LinkedDecls() {
		if !named[d] {
			return nil, fmt.Errorf("%s:1: sinks: no entry adds the declarations %s, which the runtime needs; "+
				"declare the join points of the built-in spec that add it (rasp-instrument sinks lists them), or none of the built-in patches to have them all", file, d)
		}
	}
	for _, c := range s.Calls {
		if c.Advice == CoveredBy && entries[c.Entry] == "" {
			return nil, fmt.Errorf("%s: covered_by: %s is not an entry of this spec", c.Pos, c.Entry)
		}
	}
	index := map[string]int{}
	s.pkgs = map[string]bool{}
	spelled := map[string]bool{}
	for _, c := range s.Calls {
		s.pkgs[c.Package] = true
		if !spelled[c.Name] {
			spelled[c.Name] = true
			s.names = append(s.names, []byte("."+c.Name))
		}
	}
	for _, c := range s.Calls {
		if !c.Rewrites() {
			continue
		}
		m := "." + c.Name
		if c.Receiver == "" {
			m = `"` + c.Package + `"`
		}
		i, ok := index[m]
		if !ok {
			i = len(s.markers)
			index[m] = i
			s.markers = append(s.markers, marker{text: []byte(m)})
		}
		if c.Receiver != "" && !contains(s.markers[i].pkgs, c.Package) {
			s.markers[i].pkgs = append(s.markers[i].pkgs, c.Package)
		}
	}
	return s, nil
}

// decodeEntry decodes one item of sinks: and returns it with the function
// that names the position of one of its fields ("" for the item's own).
func decodeEntry(file string, n *yaml.Node) (entry, func(string) string, error) {
	var e entry
	if err := decodeStrict(n, &e); err != nil {
		return e, nil, fmt.Errorf("%s:%s", file, yamlMessage(err))
	}
	return e, func(field string) string { return fmt.Sprintf("%s:%d", file, fieldLine(n, field)) }, nil
}

// only returns an error naming the first field set among names, for a join
// point that takes none of them.
func only(at func(string) string, jp string, set map[string]bool, allowed ...string) error {
	for _, f := range fieldNames {
		if set[f] && !contains(allowed, f) {
			return fmt.Errorf("%s: %s: not an advice of %s %s join point (it takes %s)", at(f), f, article(jp), jp, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// article returns "an" before a word that starts with a vowel, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fieldsSet tells, by field name, which fields of the item are set.
func (e *entry) fieldsSet() map[string]bool {
	v := reflect.ValueOf(*e)
	set := make(map[string]bool, len(fieldNames))
	for i, f := range fieldNames {
		set[f] = !v.Field(i).IsZero()
	}
	return set
}

func (s *Spec) addCall(e *entry, at func(string) string) error {
	set := e.fieldsSet()
	delete(set, "override") // a call's or server's, whatever its advice
	c := &Call{Pos: at(""), override: e.Override}
	jp, fn := "call", e.Call
	if e.Server != "" {
		jp, fn = "server", e.Server
		if err := only(at, jp, set, "server", "wrap"); err != nil {
			return err
		}
		if e.Wrap == "" {
			return fmt.Errorf("%s: wrap: missing; name the hook that wraps the server's handler (e.g. httphook.ServerServe)", at("server"))
		}
		c.Family, c.Advice = "server", Wrap
		if err := c.setHook(e.Wrap); err != nil {
			return fmt.Errorf("%s: wrap: %v", at("wrap"), err)
		}
	} else if e.Propagate != "" {
		if err := only(at, jp, set, "call", "propagate"); err != nil {
			return err
		}
		c.Family, c.Advice = Join, Propagate
		if err := c.setHook(e.Propagate); err != nil {
			return fmt.Errorf("%s: propagate: %v", at("propagate"), err)
		}
	} else {
		if err := only(at, jp, set, "call", "family", "reroute", "check", "covered_by"); err != nil {
			return err
		}
		if !contains(SinkFamilies, e.Family) {
			return fmt.Errorf("%s: family: %q is not one of %s", at("family"), e.Family, strings.Join(SinkFamilies, ", "))
		}
		c.Family = e.Family
		advice := 0
		for _, f := range []string{"reroute", "check", "covered_by"} {
			if set[f] {
				advice++
			}
		}
		if advice != 1 {
			return fmt.Errorf("%s: a call takes exactly one advice: reroute, check or covered_by", at("call"))
		}
		switch {
		case e.Reroute != "":
			c.Advice = Reroute
			if err := c.setHook(e.Reroute); err != nil {
				return fmt.Errorf("%s: reroute: %v", at("reroute"), err)
			}
		case e.Check != "":
			if e.Family != "sql" {
				return fmt.Errorf("%s: check: in-place checks are for the sql family; %s calls need reroute", at("check"), e.Family)
			}
			if !contains(checkDialects, e.Check) {
				return fmt.Errorf("%s: check: %q is not a SQL dialect (%s)", at("check"), e.Check, strings.Join(checkDialects, ", "))
			}
			c.Advice, c.Dialect = Check, e.Check
		default:
			c.Advice, c.Entry = CoveredBy, e.CoveredBy
		}
	}
	var err error
	if c.Package, c.Receiver, c.Name, err = splitFunc(fn); err != nil {
		return fmt.Errorf("%s: %s: %v", at(jp), jp, err)
	}
	if prev := s.byKey[c.Key()]; prev != nil {
		return fmt.Errorf("%s: %s: %s is already listed at %s", at(jp), jp, c.Key(), prev.Pos)
	}
	s.byKey[c.Key()] = c
	s.Calls = append(s.Calls, c)
	return nil
}

// addInterface adds an interface join point.
func (s *Spec) addInterface(e *entry, at func(string) string) error {
	if err := only(at, "interface", e.fieldsSet(), "interface", "returns", "family"); err != nil {
		return err
	}
	if !token.IsIdentifier(e.Interface) || !token.IsExported(e.Interface) {
		return fmt.Errorf("%s: interface: %q is not an exported method name", at("interface"), e.Interface)
	}
	if e.Returns == "" {
		return fmt.Errorf("%s: returns: missing; name what the method's results contain, as go/types spells them (database/sql., net/http.Response)", at("interface"))
	}
	if !contains(SinkFamilies, e.Family) {
		return fmt.Errorf("%s: family: %q is not one of %s", at("family"), e.Family, strings.Join(SinkFamilies, ", "))
	}
	i := &Interface{Method: e.Interface, Returns: e.Returns, Family: e.Family, Pos: at("")}
	for _, prev := range s.Interfaces {
		if prev.Key() == i.Key() {
			return fmt.Errorf("%s: interface: %s is already listed at %s", at("interface"), i.Key(), prev.Pos)
		}
	}
	s.Interfaces = append(s.Interfaces, i)
	return nil
}

// setHook reads "pkg.Name", pkg the name of a package under runtime/.
func (c *Call) setHook(h string) error {
	pkg, name, ok := strings.Cut(h, ".")
	if !ok || !token.IsIdentifier(pkg) || !token.IsExported(name) || !token.IsIdentifier(name) {
		return fmt.Errorf("%q is not a hook name (runtimepkg.Name: raspimpl.DBQuery, nethook.NetDial)", h)
	}
	if pkg == "rasp" {
		return fmt.Errorf("%q: package rasp holds no hooks (it is the API programs name); the hooks of the standard library's calls are in raspimpl: write raspimpl.%s", h, name)
	}
	c.Hook, c.HookPkg = name, raspinstrument.RuntimePath+"/"+pkg
	return nil
}

func (s *Spec) addPatch(e *entry, at func(string) string, entries map[string]string) error {
	set := e.fieldsSet()
	p := &Patch{Pos: at(""), Family: e.Family}
	p.Decls, p.Optional = e.Decls, e.Optional
	var jp string
	switch {
	case e.Entry != "":
		jp = "entry"
		if err := only(at, jp, set, "entry", "family", "prologue", "after", "decls", "optional"); err != nil {
			return err
		}
		if e.Family != "" && !contains(SinkFamilies, e.Family) {
			return fmt.Errorf("%s: family: %q is not one of %s", at("family"), e.Family, strings.Join(SinkFamilies, ", "))
		}
		if e.Prologue == "" {
			return fmt.Errorf("%s: prologue: missing; an entry adds a line of Go to the function", at("entry"))
		}
		pkg, recv, name, err := splitFunc(e.Entry)
		if err != nil {
			return fmt.Errorf("%s: entry: %v", at("entry"), err)
		}
		p.Pkg, p.Func = pkg, strings.TrimPrefix(funcKey("", recv, name), ".")
		p.Anchor, p.Insert = e.After, e.Prologue
		if prev := entries[e.Entry]; prev != "" {
			return fmt.Errorf("%s: entry: %s is already listed at %s", at("entry"), e.Entry, prev)
		}
		entries[e.Entry] = p.Pos
	case e.Struct != "":
		jp = "struct"
		if err := only(at, jp, set, "struct", "fields", "decls"); err != nil {
			return err
		}
		i := strings.LastIndexByte(e.Struct, '.')
		if i <= 0 || !token.IsIdentifier(e.Struct[i+1:]) || e.Fields == "" {
			return fmt.Errorf("%s: struct: %q with fields %q: name a type (pkg.Type) and the fields to add", at("struct"), e.Struct, e.Fields)
		}
		p.Pkg, p.Type, p.Insert = e.Struct[:i], e.Struct[i+1:], e.Fields
	default:
		jp = "package"
		if err := only(at, jp, set, "package", "decls"); err != nil {
			return err
		}
		if e.Decls == "" {
			return fmt.Errorf("%s: decls: missing; a package join point adds declarations", at("package"))
		}
		p.Pkg = e.Package
	}
	if strings.Contains(p.Insert, "\n") {
		return fmt.Errorf("%s: the inserted line has a line break; patches never shift the package's lines", at(""))
	}
	if p.Decls != "" {
		if _, err := patch.Decls(p.Decls); err != nil {
			return fmt.Errorf("%s: decls: %v", at("decls"), err)
		}
	}
	for _, prev := range s.Patches {
		if prev.ID() == p.ID() {
			return fmt.Errorf("%s: %s: %s is already listed at %s", at(jp), jp, p.Patch, prev.Pos)
		}
	}
	s.Patches = append(s.Patches, p)
	return nil
}

// splitFunc reads a function's full name: "os.Open", "net.(*Dialer).Dial",
// "example.com/x/v2.T.M". A pointer receiver ends the package path
// whatever dots its last element has ("github.com/nats-io/nats.go.(*Conn).Close");
// otherwise the path ends at the first dot after its last slash.
func splitFunc(s string) (pkg, recv, name string, err error) {
	slash := strings.LastIndexByte(s, '/')
	dot := strings.IndexByte(s[slash+1:], '.')
	if p := strings.LastIndex(s, ".(*"); p > slash {
		dot = p - slash - 1
	}
	if dot < 0 {
		return "", "", "", fmt.Errorf("%q is not a function name (pkg.Func, pkg.(*T).Method or pkg.T.Method)", s)
	}
	pkg, rest := s[:slash+1+dot], s[slash+1+dot+1:]
	if r, n, ok := strings.Cut(rest, ")."); ok && strings.HasPrefix(r, "(*") {
		recv, name = "*"+r[2:], n
	} else if r, n, ok := strings.Cut(rest, "."); ok {
		recv, name = r, n
	} else {
		name = rest
	}
	if pkg == "" || !token.IsIdentifier(name) || recv != "" && !token.IsIdentifier(strings.TrimPrefix(recv, "*")) {
		return "", "", "", fmt.Errorf("%q is not a function name (pkg.Func, pkg.(*T).Method or pkg.T.Method)", s)
	}
	return pkg, recv, name, nil
}

func decodeStrict(n *yaml.Node, v any) error {
	// yaml.v3 applies KnownFields only through a Decoder; re-encode the node.
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		// Re-anchor the line numbers of the re-encoded node on the file.
		return lineShift{err: err, base: n.Line - 1}
	}
	return nil
}

// lineShift adds base to the "line N" that yaml.v3 puts in its messages.
type lineShift struct {
	err  error
	base int
}

func (l lineShift) Error() string {
	msg := yamlMessage(l.err)
	var line int
	if _, err := fmt.Sscanf(msg, "%d:", &line); err == nil {
		rest := msg[strings.IndexByte(msg, ':')+1:]
		return fmt.Sprintf("%d:%s", line+l.base, rest)
	}
	return msg
}

// yamlMessage turns "yaml: line 3: field x not found in type ..." into
// "3: x: unknown field ...".
func yamlMessage(err error) string {
	if ls, ok := err.(lineShift); ok {
		return ls.Error()
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	msg = strings.TrimPrefix(msg, "line ")
	if i := strings.Index(msg, "field "); i >= 0 && strings.Contains(msg, "not found in type") {
		name := strings.Fields(msg[i+len("field "):])[0]
		msg = msg[:i] + name + ": unknown field (known: " + knownFields + ")"
	}
	return msg
}

func fieldLine(n *yaml.Node, field string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == field {
			return n.Content[i].Line
		}
	}
	return n.Line
}

// checkDialects are the dialects an in-place check may name: the SQL
// detector's (sqli.Dialects).
var checkDialects = func() []string {
	out := make([]string, len(sqli.Dialects))
	for i, d := range sqli.Dialects {
		out[i] = d.String()
	}
	return out
}()
