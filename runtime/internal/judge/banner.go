package judge

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
)

var serverOnce sync.Once

// entryPoints says which standard library entry points are hooked; see
// SetEntryPoints.
var entryPoints = "none (not built with rasp-instrument)"

// SetEntryPoints sets what the banner says of the standard library's entry
// points: package rasp tells, at init, from its build.
func SetEntryPoints(s string) { entryPoints = s }

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
		events.Logf("%s", Banner())
	})
}

// Banner describes the runtime in force: mode, rule modes, policy source,
// and the instrumented call sites per family that the build linked in.
func Banner() string {
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
	fmt.Fprintf(&b, "; instrumented call sites: %s; entry points: %s", strings.Join(fs, ", "), entryPoints)
	return b.String()
}
