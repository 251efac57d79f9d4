package rasp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/rasp-instrument/rasp-instrument/runtime/shell"
)

// Policy is the operator's configuration of the runtime, read from the JSON
// file named by RASP_POLICY. RASP_MODE, when set, overrides Mode.
type Policy struct {
	// Mode is off, detect or block; empty is detect.
	Mode string `json:"mode,omitempty"`
	// Allow lists what is never a finding, per family.
	Allow Allow `json:"allow"`
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
}

// ActivePolicy is a policy checked and ready for the detectors.
type ActivePolicy struct {
	Policy
	Source    string           // the file it came from, or "" for the default
	mode      Mode             // Policy.Mode parsed
	pathBases []string         // absolute and clean
	shell     *shell.Allowlist // nil: no shell allowlist
}

// PathBases returns the policy's base directories, absolute and clean.
func (p *ActivePolicy) PathBases() []string { return p.pathBases }

var policy atomic.Pointer[ActivePolicy]

// CurrentPolicy returns the policy in force; never nil.
func CurrentPolicy() *ActivePolicy { return policy.Load() }

// SetPolicy checks p and puts it in force. source names it in messages.
// On error the policy in force is kept.
func SetPolicy(p Policy, source string) error {
	ap, err := compilePolicy(p, source)
	if err != nil {
		return err
	}
	policy.Store(ap)
	return nil
}

func compilePolicy(p Policy, source string) (*ActivePolicy, error) {
	where := func(field string) string {
		if source == "" {
			return field
		}
		return source + ": " + field
	}
	ap := &ActivePolicy{Policy: p, Source: source}
	var err error
	if ap.mode, err = ParseMode(p.Mode); err != nil {
		return nil, fmt.Errorf("%s: %v", where("mode"), err)
	}
	for i, b := range p.Allow.PathBases {
		if b == "" {
			return nil, fmt.Errorf("%s: entry %d is empty", where("allow.path_bases"), i)
		}
		abs, err := filepath.Abs(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where("allow.path_bases"), err)
		}
		ap.pathBases = append(ap.pathBases, abs)
	}
	if len(p.Allow.ShellCommands) > 0 {
		if ap.shell, err = shell.NewAllowlist(p.Allow.ShellCommands); err != nil {
			return nil, fmt.Errorf("%s: %v", where("allow.shell_commands"), err)
		}
	}
	for i, h := range p.Allow.SSRFHosts {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, fmt.Errorf("%s: entry %d is empty", where("allow.ssrf_hosts"), i)
		}
		if strings.Contains(h, "/") {
			if _, err := netip.ParsePrefix(h); err != nil {
				return nil, fmt.Errorf("%s: entry %d: %v", where("allow.ssrf_hosts"), i, err)
			}
		}
	}
	return ap, nil
}

// ParsePolicy reads a policy file's content. Errors name the file, the line
// and the field.
func ParsePolicy(name string, data []byte) (Policy, error) {
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
		return p, fmt.Errorf("%s:%d: unknown field %q (known: mode, allow.ssrf_hosts, allow.path_bases, allow.shell_commands)",
			name, lineOf(data, `"`+field+`"`, int(dec.InputOffset())), field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p, fmt.Errorf("%s:%d: the policy ends early: want a JSON object", name, lineAt(data, len(data)))
	}
	return p, fmt.Errorf("%s: %v", name, err)
}

// LoadPolicyFile reads, parses and checks a policy file.
func LoadPolicyFile(name string) (*ActivePolicy, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	p, err := ParsePolicy(name, data)
	if err != nil {
		return nil, err
	}
	return compilePolicy(p, name)
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

// init puts the policy of RASP_POLICY in force, and the mode of RASP_MODE,
// which overrides the policy's.
func init() {
	ap, _ := compilePolicy(Policy{}, "")
	policy.Store(ap)
	m := ModeDetect
	if name := os.Getenv("RASP_POLICY"); name != "" {
		p, err := LoadPolicyFile(name)
		if err != nil {
			logf("RASP_POLICY: %v; running with the default policy", err)
		} else {
			policy.Store(p)
			m = p.mode
		}
	}
	if env := os.Getenv("RASP_MODE"); env != "" {
		var err error
		if m, err = ParseMode(env); err != nil {
			logf("RASP_MODE: %v; using detect", err)
		}
	}
	mode.Store(int32(m))
}
