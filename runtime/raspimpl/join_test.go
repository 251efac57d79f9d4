package raspimpl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/pathjoin"
	"github.com/rasp-instrument/rasp-instrument/runtime/pathguard"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// TestZipSlipOutsideRequest is an extraction loop run from the command
// line: the entry's "../" is cleaned away by the join, and the write is
// refused in block mode with no request around it.
func TestZipSlipOutsideRequest(t *testing.T) {
	pathjoin.Reset()
	defer pathjoin.Reset()
	dir := t.TempDir()
	dest := filepath.Join(dir, "data")
	os.MkdirAll(dest, 0o755)
	join := site(event.FamilyFile, "path/filepath.Join")
	open := site(event.FamilyFile, "os.OpenFile")
	var errSlip, errOK error
	evs := withMode(t, policy.ModeBlock, func() {
		target := FilepathJoin(join, dest, strings.Clone("../zipslip.txt"))
		var f *os.File
		if f, errSlip = OSOpenFile(open, target, os.O_CREATE|os.O_WRONLY, 0o644); errSlip == nil {
			f.Close()
		}
		target = FilepathJoin(join, dest, strings.Clone("docs.txt"))
		if f, errOK = OSOpenFile(open, target, os.O_CREATE|os.O_WRONLY, 0o644); errOK == nil {
			f.Close()
		}
	})
	if !errors.Is(errSlip, rasp.ErrBlocked) {
		t.Errorf("the zip slip was not refused: %v", errSlip)
	}
	if _, err := os.Stat(filepath.Join(dir, "zipslip.txt")); err == nil {
		t.Error("the file was written outside the destination")
	}
	if errOK != nil {
		t.Errorf("a normal entry was refused: %v", errOK)
	}
	if len(evs) != 1 || evs[0].Rule != pathguard.RuleTraversal || evs[0].Verdict != "blocked" {
		t.Errorf("events = %+v", evs)
	}
}

func BenchmarkFilepathJoin(b *testing.B) {
	dir, name := strings.Clone("/srv/data"), strings.Clone("docs/readme.txt")
	s := site(event.FamilyFile, "path/filepath.Join")
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			benchSink = filepath.Join(dir, name)
		}
	})
	b.Run("hook", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			benchSink = FilepathJoin(s, dir, name)
		}
	})
}

var benchSink string
