package raspimpl

import (
	"strings"
	"sync"
)

// buildManifest is the link record of the build (see the tool's package
// rewrite/manifest): the tool's link step sets it (-X). The start banner
// takes the entry points from it, which also keeps it linked, and the
// "rasp active" record carries it.
var buildManifest string

// packageRecords holds the records of the instrumented packages, as
// Instrumented received them.
var packageRecords struct {
	sync.Mutex
	list []string
}

// Instrumented records what the build rewrote in one package. Generated
// code calls it once per instrumented package, at initialisation, with
// the package's record; `rasp-instrument inspect` reads the same records
// from the executable's bytes, without running it.
func Instrumented(record string) bool {
	packageRecords.Lock()
	packageRecords.list = append(packageRecords.list, record)
	packageRecords.Unlock()
	return true
}

// buildRecord returns the JSON object of the link record, or "" in a
// program linked without the tool's link step.
func buildRecord() string {
	if i := strings.IndexByte(buildManifest, '{'); i >= 0 {
		return buildManifest[i:]
	}
	return ""
}
