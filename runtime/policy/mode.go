package policy

import (
	"fmt"
	"strings"
)

// Mode says what the runtime does with a finding.
type Mode int32

const (
	// ModeOff disables every check: hooks call straight through.
	ModeOff Mode = iota
	// ModeDetect records an event for each finding and lets the call go ahead.
	ModeDetect
	// ModeBlock records an event and refuses the call with ErrBlocked.
	ModeBlock
)

// String returns the mode's name as written in RASP_MODE.
func (m Mode) String() string {
	switch m {
	case ModeOff:
		return "off"
	case ModeDetect:
		return "detect"
	case ModeBlock:
		return "block"
	}
	return fmt.Sprintf("mode(%d)", int32(m))
}

// ParseMode parses off, detect or block; empty is detect.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "off":
		return ModeOff, nil
	case "detect", "":
		return ModeDetect, nil
	case "block":
		return ModeBlock, nil
	}
	return ModeDetect, fmt.Errorf("rasp: unknown mode %q: want off, detect or block", s)
}

// ParseRuleMode parses a rule's mode: off, detect or block (empty is not
// allowed here).
func ParseRuleMode(v string) (Mode, error) {
	if strings.TrimSpace(v) == "" {
		return ModeDetect, fmt.Errorf("empty mode: want off, detect or block")
	}
	return ParseMode(v)
}
