package rasp

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

var startOnce, serverOnce sync.Once

// Start is called by the init of every main package the tool builds, after
// the program's packages have registered their call sites. With
// RASP_EVENTS it records what the runtime is doing there (the banner), and
// with RASP_POLICY it watches the policy file: a change, or SIGHUP, reloads
// it. It writes nothing on standard output or error: a command-line
// program prints exactly what it printed before it was instrumented.
func Start() {
	startOnce.Do(func() {
		loadOnce.Do(loadConfig)
		if os.Getenv("RASP_EVENTS") != "" {
			events.Emit(slog.LevelInfo, "rasp active", slog.String("banner", banner()))
		}
		if name := os.Getenv("RASP_POLICY"); name != "" {
			go watchPolicy(name)
		}
	})
}

// ServerStarting is called by the server hooks when a server starts: the
// first prints the banner on standard error, where a server's operator
// looks, unless RASP_BANNER=off.
func ServerStarting() {
	serverOnce.Do(func() {
		loadOnce.Do(loadConfig)
		switch strings.ToLower(os.Getenv("RASP_BANNER")) {
		case "off", "0", "false", "no":
			return
		}
		events.Logf("%s", banner())
	})
}

// banner describes the runtime in force: mode, rule modes, policy source,
// and the instrumented call sites per family that the build linked in.
func banner() string {
	p := CurrentPolicy()
	var b strings.Builder
	fmt.Fprintf(&b, "active, mode %s", CurrentMode())
	if p.Source != "" {
		fmt.Fprintf(&b, ", policy %s", p.Source)
	} else {
		b.WriteString(", no policy file")
	}
	if rs := p.RuleModes(); len(rs) > 0 {
		fmt.Fprintf(&b, ", rules %s", strings.Join(rs, " "))
	}
	counts := callsite.Counts()
	var fs []string
	for _, f := range []event.Family{event.FamilySQL, event.FamilyExec, event.FamilyFile, event.FamilyNet, event.FamilyServer} {
		fs = append(fs, fmt.Sprintf("%s %d", f, counts[f]))
	}
	fmt.Fprintf(&b, "; instrumented call sites: %s; entry points: %s", strings.Join(fs, ", "), entryPoints())
	return b.String()
}

// entryPointList names the standard library's entry points of the sink
// spec the program was built with: the tool's linker step sets it (-X).
var entryPointList string

// entryPoints says which standard library entry points are hooked (a
// program built with the tool), or none (a plain build).
func entryPoints() string {
	switch {
	case !stdHooked:
		return "none (not built with rasp-instrument)"
	case entryPointList == "":
		return "hooked (the link step named none)"
	}
	return entryPointList
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
	putPolicy(p)
	events.Logf("policy %s loaded: mode %s", name, CurrentMode())
	return nil
}

// putPolicy puts a loaded policy in force, with its mode unless RASP_MODE
// overrides it.
func putPolicy(p *policy.Compiled) {
	inForce.Store(p)
	if os.Getenv("RASP_MODE") == "" {
		mode.Store(int32(p.DefaultMode()))
	}
	metrics.SetPolicyReloadTime(time.Now())
	metrics.SetAllowlistEntries(p.AllowlistEntries())
}

// watchPolicy reloads the policy on SIGHUP, and when the file changes
// (polled every RASP_POLICY_POLL, 2s by default).
func watchPolicy(name string) {
	hup := make(chan os.Signal, 1)
	if len(reloadSignals) > 0 {
		signal.Notify(hup, reloadSignals...)
	}
	poll := 2 * time.Second
	if d, err := time.ParseDuration(os.Getenv("RASP_POLICY_POLL")); err == nil && d > 0 {
		poll = d
	}
	last, _ := os.Stat(name)
	missing := false
	for {
		select {
		case <-hup:
			ReloadPolicy()
			last, _ = os.Stat(name)
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
			if last == nil || !os.SameFile(last, cur) || cur.ModTime() != last.ModTime() || cur.Size() != last.Size() {
				last = cur
				ReloadPolicy()
			}
		}
	}
}
