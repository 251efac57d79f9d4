package raspimpl

import (
	"encoding/json"
	"os"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/stdhook"
)

var startOnce sync.Once

func init() {
	judge.SetEntryPoints(entryPoints())
	judge.SetBuildRecord(buildRecord())
}

// Start is called by the init of every main package the tool builds, after
// the program's packages have registered their call sites. It loads the
// configuration, and with RASP_POLICY it watches the policy file: a change,
// or SIGHUP, reloads it. It writes nothing: a command-line program prints
// exactly what it printed before it was instrumented, and the "rasp
// active" record goes to the RASP_EVENTS file when the first server
// starts, or just before the first finding of a process that serves
// nothing, so a subcommand or a git hook run by the same binary writes
// none unless it has a finding.
func Start() {
	startOnce.Do(func() {
		judge.Load()
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
