// Package metrics counts what the runtime does and writes it in the
// Prometheus text exposition format 0.0.4 (Write, Value).
//
// Every series has a fixed place: a counter of a rule lives in that rule's
// series record, found through an immutable map from rule name to record
// that is built at init from KnownRules. The hot path (a finding, a
// detector timing) is a map read and atomic adds: no lock, no allocation.
// A rule name the map does not know is added under a mutex the first time
// it is seen (the map is copied and the copy published), so it is exported
// under its own name from then on.
package metrics
