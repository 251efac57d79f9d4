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

// entryPoints says which standard library entry points are hooked (a
// program built with the tool: the build record names those of its sink
// spec), or none (a plain build).
func entryPoints() string {
	if !stdhook.Hooked {
		return "none (not built with rasp-instrument)"
	}
	var rec struct {
		EntryPoints string `json:"entry_points"`
	}
	if json.Unmarshal([]byte(buildRecord()), &rec) != nil || rec.EntryPoints == "" {
		return "hooked (the link step named none)"
	}
	return rec.EntryPoints
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
