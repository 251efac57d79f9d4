package rasp

import (
	"io"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// WriteMetrics writes every metric of the runtime to w (see metrics.Write),
// rasp_agent_active telling whether the mode in force is not off.
func WriteMetrics(w io.Writer) error { return metrics.Write(w, CurrentMode() != policy.ModeOff) }

// MetricValue returns the value of the runtime's metric name (see
// metrics.Value).
func MetricValue(name string, labels ...string) float64 {
	return metrics.Value(CurrentMode() != policy.ModeOff, name, labels...)
}

// InternalErrors returns how many internal failures the runtime recovered from.
func InternalErrors() int64 { return metrics.InternalErrors() }
