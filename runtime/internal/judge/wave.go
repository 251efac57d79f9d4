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

// waveState is a detector and the configuration it was made for.
type waveState struct {
	d   *attackwave.Detector
	cfg policy.WaveConfig
}

var waves struct {
	mu  sync.Mutex
	cur atomic.Pointer[waveState]
}

// waveDetector returns the detector of the policy in force with its
// configuration, or nil when the policy detects no waves.
func waveDetector() *waveState {
	w := CurrentPolicy().Gate().Wave
	if w == nil {
		return nil
	}
	if st := waves.cur.Load(); st != nil && st.cfg == *w {
		return st
	}
	waves.mu.Lock()
	defer waves.mu.Unlock()
	if st := waves.cur.Load(); st != nil && st.cfg == *w {
		return st
	}
	st := &waveState{d: attackwave.New(attackwave.Config{Threshold: w.Threshold, Window: w.Window, BlockFor: w.BlockFor}), cfg: *w}
	waves.cur.Store(st)
	return st
}

// NoteProbe notes a scanner probe (attackwave.IsProbe) from client, for
// req; it records the attack-wave event when the probe starts a wave.
func NoteProbe(req *reqctx.Request, client netip.Addr) {
	if st := waveDetector(); st != nil && client.IsValid() {
		noteWave(st, req, client, attackwave.Probe)
	}
}

// noteFinding notes a finding of a sink call made for req, for attack
// waves.
func noteFinding(req *reqctx.Request, f Finding, family event.Family) {
	if req == nil || family == event.FamilyRequest {
		return
	}
	st := waveDetector()
	if st == nil {
		return
	}
	if client, err := netip.ParseAddr(req.ClientIP); err == nil {
		noteWave(st, req, client, attackwave.Finding)
	}
}

func noteWave(st *waveState, req *reqctx.Request, client netip.Addr, kind attackwave.Kind) {
	w := st.d.Note(client, kind, time.Now())
	if !w.Started {
		return
	}
	detail := strconv.Itoa(w.Findings) + " findings and " + strconv.Itoa(w.Probes) + " scanner probes from one client within " + st.cfg.Window.String()
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
	st := waveDetector()
	if st == nil || !client.IsValid() {
		return time.Time{}, false
	}
	return st.d.Blocked(client, time.Now())
}
