package judge

import (
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/attackwave"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// Attack waves (policy attack_wave): the findings of sink calls and the
// scanner probes of one client IP, counted in a window. The detector
// follows the policy in force: a reload that changes the configuration
// starts it afresh.

var waves struct {
	mu  sync.Mutex
	cfg policy.WaveConfig
	d   atomic.Pointer[attackwave.Detector]
}

// waveDetector returns the detector of the policy in force, or nil when
// the policy detects no waves.
func waveDetector() *attackwave.Detector {
	w := CurrentPolicy().Gate().Wave
	if w == nil {
		return nil
	}
	if d := waves.d.Load(); d != nil && waves.cfg == *w {
		return d
	}
	waves.mu.Lock()
	defer waves.mu.Unlock()
	if d := waves.d.Load(); d != nil && waves.cfg == *w {
		return d
	}
	d := attackwave.New(attackwave.Config{Threshold: w.Threshold, Window: w.Window, BlockFor: w.BlockFor})
	waves.cfg = *w
	waves.d.Store(d)
	return d
}

// NoteProbe notes a scanner probe (attackwave.IsProbe) from client, for
// req; it records the attack-wave event when the probe starts a wave.
func NoteProbe(req *reqctx.Request, client netip.Addr) {
	if d := waveDetector(); d != nil && client.IsValid() {
		noteWave(d, req, client, attackwave.Probe)
	}
}

// noteFinding notes a finding of a sink call made for req, for attack
// waves.
func noteFinding(req *reqctx.Request, f Finding, family event.Family) {
	if req == nil || family == event.FamilyRequest {
		return
	}
	d := waveDetector()
	if d == nil {
		return
	}
	if client, err := netip.ParseAddr(req.ClientIP); err == nil {
		noteWave(d, req, client, attackwave.Finding)
	}
}

func noteWave(d *attackwave.Detector, req *reqctx.Request, client netip.Addr, kind attackwave.Kind) {
	w := d.Note(client, kind, time.Now())
	if !w.Started {
		return
	}
	cfg := CurrentPolicy().Gate().Wave
	detail := strconv.Itoa(w.Findings) + " findings and " + strconv.Itoa(w.Probes) + " scanner probes from one client within " + cfg.Window.String()
	if !w.BlockedUntil.IsZero() {
		detail += "; its requests are refused until " + w.BlockedUntil.UTC().Format(time.RFC3339) + " in block mode"
	}
	// The wave's own event refuses nothing (verdict detected): with
	// block_for, in block mode, the gate refuses the client's requests
	// from this one on, each with its own event.
	judgeRequest(req, Finding{Rule: policy.RuleAttackWave, Detail: detail, Value: client.String()}, -1, true, false)
}

// WaveBlocked reports whether client is refused after an attack wave
// (attack_wave.block_for), and until when.
func WaveBlocked(client netip.Addr) (time.Time, bool) {
	d := waveDetector()
	if d == nil || !client.IsValid() {
		return time.Time{}, false
	}
	return d.Blocked(client, time.Now())
}
