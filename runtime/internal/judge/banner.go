package judge

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
)

var serverOnce sync.Once

// activeOnce guards the "rasp active" record: at most one per process.
var activeOnce sync.Once

// entryPoints says which standard library entry points are hooked; see
// SetEntryPoints.
var entryPoints = "none (not built with rasp-instrument)"

// buildRecord is the build's link record (a JSON object), or ""; see
// SetBuildRecord.
var buildRecord string

// SetEntryPoints sets what the banner says of the standard library's entry
// points: package raspimpl tells, at init, from its build.
func SetEntryPoints(s string) { entryPoints = s }

// SetBuildRecord sets the build's link record, the JSON object the
// "rasp active" record carries as its build attribute: package raspimpl
// tells, at init.
func SetBuildRecord(rec string) { buildRecord = rec }

// ServerStarting is called by the server hooks when a server starts, of
// any kind (net/http, gRPC, fasthttp and Fiber): the first writes the
// "rasp active" record (see announce) and prints the banner on standard
// error, where a server's operator looks, unless RASP_BANNER=off.
func ServerStarting() {
	serverOnce.Do(func() {
		loadOnce.Do(loadConfig)
		announce()
		switch strings.ToLower(os.Getenv("RASP_BANNER")) {
		case "off", "0", "false", "no":
			return
		}
		events.Logf("%s", Banner())
	})
}

// announce writes the "rasp active" record to the RASP_EVENTS file, once
// per process: when the first server starts, or, in a process that serves
// nothing, just before its first finding. So a short-lived command (a
// subcommand, a git hook run by the same binary) writes nothing unless it
// has a finding. Without RASP_EVENTS it writes nothing: the events would
// go to standard error, which a command-line program keeps as its plain
// build has it.
func announce() {
	activeOnce.Do(func() {
		if os.Getenv("RASP_EVENTS") == "" {
			return
		}
		loadOnce.Do(loadConfig)
		events.Emit(slog.LevelInfo, event.MsgActive, slog.String("banner", Banner()), buildAttr())
	})
}

// buildAttr is the "rasp active" record's build attribute: the link
// record's object, or null when there is none.
func buildAttr() slog.Attr {
	if buildRecord == "" || !json.Valid([]byte(buildRecord)) {
		return slog.Any("build", nil)
	}
	return slog.Any("build", json.RawMessage(buildRecord))
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
