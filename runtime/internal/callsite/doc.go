// Package callsite declares the call sites the build rewrote (Site): where
// each is, and what the build knew of its arguments. A refusal at a site
// is a rasp.BlockedError, whose Site is the public part of this one.
package callsite
