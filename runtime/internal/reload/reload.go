// Package reload lets package rasp, which users import, reach the policy
// loader without importing the runtime's layers: the loader registers
// itself here when the runtime is linked, and a program that imports rasp
// only for ErrBlocked links none of it.
package reload

// Policy reloads the policy file; nil in a program not built with
// rasp-instrument.
var Policy func() error
