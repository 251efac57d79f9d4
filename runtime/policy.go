package rasp

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// inForce is the policy in force.
var inForce atomic.Pointer[policy.Compiled]

// CurrentPolicy returns the policy in force; never nil.
func CurrentPolicy() *policy.Compiled {
	loadOnce.Do(loadConfig)
	return inForce.Load()
}

// SetPolicy checks p, applies the environment's rule overrides
// (RASP_RULE_*) and puts it in force. source names it in messages. On
// error the policy in force is kept.
func SetPolicy(p policy.Policy, source string) error {
	c, err := compilePolicy(p, source)
	if err != nil {
		return err
	}
	loadOnce.Do(loadConfig)
	inForce.Store(c)
	return nil
}

// compilePolicy compiles p and applies the environment's rule overrides:
// RASP_RULE_<NAME> (upper case, '-' as '_') sets the mode of rule name over
// the policy's.
func compilePolicy(p policy.Policy, source string) (*policy.Compiled, error) {
	c, err := policy.Compile(p, source)
	if err != nil {
		return nil, err
	}
	for _, r := range policy.KnownRules() {
		if v := os.Getenv(ruleEnv(r)); v != "" {
			m, err := policy.ParseRuleMode(v)
			if err != nil {
				events.Logf("%s: %v; ignored", ruleEnv(r), err)
				continue
			}
			c.OverrideRule(r, m)
		}
	}
	return c, nil
}

// ruleEnv is the environment variable that sets the mode of rule.
func ruleEnv(rule string) string {
	return "RASP_RULE_" + strings.ToUpper(strings.ReplaceAll(rule, "-", "_"))
}

// loadPolicyFile reads, parses and compiles a policy file, with the
// environment's rule overrides.
func loadPolicyFile(name string) (*policy.Compiled, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return compilePolicy(p, name)
}

// allowlisted reports whether a finding is allowed by the policy's SQL
// entries or route exemptions.
func allowlisted(p *policy.Compiled, site *callsite.Site, f Finding, req *reqctx.Request) bool {
	if site.Family == event.FamilySQL && len(p.Allow.SQL) > 0 {
		where := ""
		for _, e := range p.Allow.SQL {
			if e.Rule != "" && e.Rule != f.Rule {
				continue
			}
			if e.Site != "" {
				if where == "" {
					where = siteOf(site)
				}
				if e.Site != where && e.Site != site.String() {
					continue
				}
			}
			if !e.SameShape(f.Value) {
				continue
			}
			return true
		}
	}
	if req != nil {
		for _, r := range p.Allow.Routes {
			if r.Matches(req.Method, req.Path) && r.Exempts(f.Rule) {
				return true
			}
		}
	}
	return false
}

// loadOnce loads the configuration on first use rather than at init: a
// program built with the tool loads it from Start (or its first sink call,
// if that comes earlier), and a program that only uses the package's
// functions never reads RASP_POLICY.
var loadOnce sync.Once

// loadConfig puts the policy of RASP_POLICY in force, and the mode of
// RASP_MODE, which overrides the policy's.
func loadConfig() {
	c, _ := compilePolicy(policy.Policy{}, "")
	inForce.Store(c)
	m := policy.ModeDetect
	if name := os.Getenv("RASP_POLICY"); name != "" {
		p, err := loadPolicyFile(name)
		if err != nil {
			metrics.CountInternalError("policy")
			events.Logf("RASP_POLICY: %v; running with the default policy", err)
		} else {
			inForce.Store(p)
			m = p.DefaultMode()
			metrics.SetPolicyReloadTime(time.Now())
			metrics.SetAllowlistEntries(p.AllowlistEntries())
		}
	}
	if env := os.Getenv("RASP_MODE"); env != "" {
		var err error
		if m, err = policy.ParseMode(env); err != nil {
			events.Logf("RASP_MODE: %v; using detect", err)
		}
	}
	mode.Store(int32(m))
}
