package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"gopkg.in/yaml.v3"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
)

// A user's spec (--sinks FILE, RASP_SINKS) adds to the built-in one: its
// calls and interface join points join the built-in ones, its disable: list removes built-in calls
// on purpose, its exclude: list excludes packages. The patches of the
// standard library and of framework packages are the runtime's own ABI:
// they always come from the tool.

// userDocument is a user's spec file.
type userDocument struct {
	Sinks   []yaml.Node `yaml:"sinks"`
	Disable yaml.Node   `yaml:"disable"`
	Exclude []string    `yaml:"exclude"`
}

// ParseUser parses a user's spec and returns the built-in spec with it
// added. A call of the user's spec that the built-in one already declares
// is an error unless the entry says override: true, which replaces the
// built-in entry; disable: lists built-in call join points to remove. An
// entry, struct or package join point (a patch) is an error. Errors name
// the file, the line and the field at fault.
func ParseUser(file string, data []byte) (*Spec, error) {
	builtin, err := Builtin()
	if err != nil {
		return nil, err
	}
	var doc userDocument
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s:%s", file, yamlMessage(err))
	}
	if len(doc.Sinks) == 0 && doc.Disable.Kind == 0 && len(doc.Exclude) == 0 {
		return nil, fmt.Errorf("%s:1: the spec adds nothing to the built-in one: give sinks:, disable: or exclude:", file)
	}

	// The user's calls, parsed on their own.
	user := &Spec{File: file, byKey: map[string]*Call{}}
	for i := range doc.Sinks {
		e, at, err := decodeEntry(file, &doc.Sinks[i])
		if err != nil {
			return nil, err
		}
		switch {
		case e.Call != "" || e.Server != "":
			if err := user.addCall(&e, at); err != nil {
				return nil, err
			}
		case e.Interface != "":
			if err := builtin.addInterface(&e, at); err != nil {
				return nil, err
			}
		case e.Entry != "" || e.Struct != "" || e.Package != "":
			field := "entry"
			if e.Struct != "" {
				field = "struct"
			} else if e.Package != "" {
				field = "package"
			}
			return nil, fmt.Errorf("%s: %s: patches of the standard library and of framework packages come with the tool (they are the runtime's own ABI); a spec file adds calls (call:, server:), removes built-in ones (disable:) or excludes packages (exclude:)", at(field), field)
		default:
			return nil, fmt.Errorf("%s: the entry names no join point; give call, server or interface", at(""))
		}
	}
	for _, c := range user.Calls {
		prev := builtin.byKey[c.Key()]
		switch {
		case prev != nil && !c.override:
			return nil, fmt.Errorf("%s: %s is a built-in join point (%s); say override: true to replace it, or list it under disable: to remove it",
				c.Pos, c.Key(), prev.Pos)
		case prev == nil && c.override:
			return nil, fmt.Errorf("%s: override: %s is not a built-in join point; drop override: (rasp-instrument sinks lists the built-in ones)", c.Pos, c.Key())
		}
	}

	// disable: keys of built-in calls.
	disabled := map[string]bool{}
	if d := &doc.Disable; d.Kind != 0 {
		if d.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s:%d: disable: want a list of built-in join points, such as [\"os/exec.Command\"]", file, d.Line)
		}
		for _, n := range d.Content {
			key := n.Value
			switch {
			case n.Kind != yaml.ScalarNode || key == "":
				return nil, fmt.Errorf("%s:%d: disable: want a join point such as \"os/exec.Command\"", file, n.Line)
			case builtin.byKey[key] == nil:
				return nil, fmt.Errorf("%s:%d: disable: %s is not a call of the built-in spec (rasp-instrument sinks lists them)", file, n.Line, key)
			case user.byKey[key] != nil:
				return nil, fmt.Errorf("%s:%d: disable: %s is also overridden at %s; keep one", file, n.Line, key, user.byKey[key].Pos)
			case disabled[key]:
				return nil, fmt.Errorf("%s:%d: disable: %s is listed twice", file, n.Line, key)
			}
			disabled[key] = true
			builtin.Disabled = append(builtin.Disabled, key)
		}
	}

	// The merge: the built-in calls, less those disabled; each overridden
	// one where it stood; then the user's own.
	s := &Spec{File: file, byKey: map[string]*Call{}, Interfaces: builtin.Interfaces, Patches: builtin.Patches, Exclude: doc.Exclude, Disabled: builtin.Disabled}
	sum := sha256.New()
	sum.Write(raspinstrument.DefaultSinks)
	sum.Write([]byte{0})
	sum.Write(data)
	s.Hash = hex.EncodeToString(sum.Sum(nil))
	for _, c := range builtin.Calls {
		if disabled[c.Key()] {
			continue
		}
		if u := user.byKey[c.Key()]; u != nil {
			c = u
		}
		s.byKey[c.Key()] = c
		s.Calls = append(s.Calls, c)
	}
	for _, c := range user.Calls {
		if s.byKey[c.Key()] == nil {
			s.byKey[c.Key()] = c
			s.Calls = append(s.Calls, c)
		}
	}
	entries := map[string]string{}
	for _, p := range s.Patches {
		if p.Func != "" {
			entries[p.Pkg+"."+p.Func] = p.Pos
		}
	}
	return s.finish(entries)
}
