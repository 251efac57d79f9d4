package rasp

import (
	"encoding/json"
	"log/slog"
	"os"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/stdhook"
)

var startOnce sync.Once

func init() { judge.SetEntryPoints(entryPoints()) }

// Start is called by the init of every main package the tool builds, after
// the program's packages have registered their call sites. With
// RASP_EVENTS it records what the runtime is doing there (the banner), and
// with RASP_POLICY it watches the policy file: a change, or SIGHUP, reloads
// it. It writes nothing on standard output or error: a command-line
// program prints exactly what it printed before it was instrumented.
func Start() {
	startOnce.Do(func() {
		judge.Load()
		if os.Getenv("RASP_EVENTS") != "" {
			events.Emit(slog.LevelInfo, "rasp active", slog.String("banner", judge.Banner()), buildAttr())
		}
		if name := os.Getenv("RASP_POLICY"); name != "" {
			go judge.WatchPolicy(name)
		}
	})
}

// entryPointList names the standard library's entry points of the sink
// spec the program was built with: the tool's linker step sets it (-X).
var entryPointList string

// entryPoints says which standard library entry points are hooked (a
// program built with the tool), or none (a plain build).
func entryPoints() string {
	switch {
	case !stdhook.Hooked:
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
func ReloadPolicy() error { return judge.ReloadPolicy() }

// buildAttr is the start event's "build" attribute: the link record's
// object, or null when there is none.
func buildAttr() slog.Attr {
	rec := buildRecord()
	if rec == "" || !json.Valid([]byte(rec)) {
		return slog.Any("build", nil)
	}
	return slog.Any("build", json.RawMessage(rec))
}
