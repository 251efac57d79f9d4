// Package callsite declares the call sites the build rewrote (Site) and
// the refusal a hook returns at one (BlockedError). Package rasp declares
// its Site from this one, and names BlockedError and ErrBlocked.
package callsite
