package events

// This file exports, for the package's tests, names that the runtime's own
// code does not need exported.

// Written returns how many events were written.
func Written() int64 { return eventQueue.written.Load() }

// Dropped returns how many events were dropped because the queue was
// full.
func Dropped() int64 { return eventQueue.dropped.Load() }
