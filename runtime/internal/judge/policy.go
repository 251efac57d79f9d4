package judge

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/apihooks"
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
// For tests, those of other packages too (so it stays exported).
func SetPolicy(p policy.Policy, source string) error {
	c, err := CompilePolicy(p, source)
	if err != nil {
		return err
	}
	loadOnce.Do(loadConfig)
	inForce.Store(c)
	return nil
}

// CompilePolicy compiles p and applies the environment's rule overrides:
// RASP_RULE_<NAME> (upper case, '-' as '_') sets the mode of rule name over
// the policy's.
func CompilePolicy(p policy.Policy, source string) (*policy.Compiled, error) {
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
	return CompilePolicy(p, name)
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

// Load loads the configuration (RASP_POLICY, RASP_MODE) once: Start, or
// the first use of the mode or the policy.
func Load() { loadOnce.Do(loadConfig) }

// loadOnce loads the configuration on first use rather than at init: a
// program built with the tool loads it from Start (or its first sink call,
// if that comes earlier), and a program that only uses the package's
// functions never reads RASP_POLICY.
var loadOnce sync.Once

// loadConfig puts the policy of RASP_POLICY in force, and the mode of
// RASP_MODE, which overrides the policy's.
func loadConfig() {
	c, _ := CompilePolicy(policy.Policy{}, "")
	inForce.Store(c)
	m := policy.ModeDetect
	if name := os.Getenv("RASP_POLICY"); name != "" {
		// Seen before it is read: a change between the two is then a
		// change for the watcher, and gets loaded.
		loaded.name = name
		loaded.info, _ = os.Stat(name)
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

// loaded is the policy file as loadConfig found it, before reading it:
// the watcher's first view of the file.
var loaded struct {
	name string
	info os.FileInfo // nil when it could not be seen
}

func init() { apihooks.Policy = ReloadPolicy }

// changed reports whether a file's stat differs from the one seen before
// (nil: never seen).
func changed(last, cur os.FileInfo) bool {
	return last == nil || !os.SameFile(last, cur) || cur.ModTime() != last.ModTime() || cur.Size() != last.Size()
}

// statLists stats the list files of the policy in force (block_ips and
// the like, as file: entries); a file that cannot be stat'ed has no
// entry.
func statLists() map[string]os.FileInfo {
	files := CurrentPolicy().Gate().Files
	if len(files) == 0 {
		return nil
	}
	out := make(map[string]os.FileInfo, len(files))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			out[f] = fi
		}
	}
	return out
}

// listsChanged reports whether a list file changed, appeared or went.
func listsChanged(last, cur map[string]os.FileInfo) bool {
	if len(last) != len(cur) {
		return true
	}
	for f, fi := range cur {
		if changed(last[f], fi) {
			return true
		}
	}
	return false
}

// ReloadPolicy reads the policy file named by RASP_POLICY again and puts it
// in force, atomically: a detector sees the old policy or the new one,
// never a mix. A file that cannot be read or parsed keeps the policy in
// force, and says why in the log and in an event.
func ReloadPolicy() error {
	name := os.Getenv("RASP_POLICY")
	if name == "" {
		return fmt.Errorf("RASP_POLICY is not set")
	}
	p, err := loadPolicyFile(name)
	if err != nil {
		metrics.CountInternalError("policy")
		events.Logf("policy reload failed, keeping the policy in force: %v", err)
		events.Emit(slog.LevelError, "rasp policy reload failed", slog.String("policy", name), slog.String("error", err.Error()))
		return err
	}
	PutPolicy(p)
	events.Logf("policy %s loaded: mode %s", name, CurrentMode())
	return nil
}

// PutPolicy puts a loaded policy in force, with its mode unless RASP_MODE
// overrides it.
func PutPolicy(p *policy.Compiled) {
	inForce.Store(p)
	if os.Getenv("RASP_MODE") == "" {
		mode.Store(int32(p.DefaultMode()))
	}
	metrics.SetPolicyReloadTime(time.Now())
	metrics.SetAllowlistEntries(p.AllowlistEntries())
}

// WatchPolicy reloads the policy on SIGHUP, and when the file changes
// (polled every RASP_POLICY_POLL, 2s by default).
func WatchPolicy(name string) {
	Load() // and what it saw of the file
	hup := make(chan os.Signal, 1)
	if len(reloadSignals) > 0 {
		signal.Notify(hup, reloadSignals...)
	}
	poll := 2 * time.Second
	if d, err := time.ParseDuration(os.Getenv("RASP_POLICY_POLL")); err == nil && d > 0 {
		poll = d
	}
	// The file as it was when its policy was read; a file the watcher
	// sees only now may have changed since, and is read again.
	var last os.FileInfo
	if loaded.name == name {
		last = loaded.info
	}
	missing := false
	lists := statLists()
	for {
		select {
		case <-hup:
			last, _ = os.Stat(name)
			ReloadPolicy()
		case <-time.After(poll):
			cur, err := os.Stat(name)
			if err != nil {
				if !missing {
					missing = true
					metrics.CountInternalError("policy")
					events.Logf("policy %s: %v; keeping the policy in force", name, err)
					events.Emit(slog.LevelError, "rasp policy missing", slog.String("policy", name), slog.String("error", err.Error()))
				}
				continue
			}
			missing = false
			if changed(last, cur) {
				last = cur
				ReloadPolicy()
				lists = statLists()
			} else if cur := statLists(); listsChanged(lists, cur) {
				lists = cur
				ReloadPolicy() // a list file the policy reads (file: entries) changed
			}
		}
	}
}

// Restore puts c back in force as it is, without the environment's
// overrides or its mode: a test restores the policy it found.
func Restore(c *policy.Compiled) { inForce.Store(c) }
