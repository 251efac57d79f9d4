package nethook

import (
	"os"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/configured"
)

// TestMain makes every string of the tests a value read at run time: the
// tests write their URLs as constants, and stand for programs that read
// them. TestProgramStringIsTheProgramsHost restores package literal.
func TestMain(m *testing.M) {
	programString = func(string) bool { return false }
	configured.Hosts = func() map[string]bool {
		return map[string]bool{"upstream.internal": true, "10.0.0.7": true, "db.internal": true}
	}
	os.Exit(m.Run())
}
