// Package spec reads sinks.yaml, the one declaration of what rasp-instrument
// instruments: each entry a join point (a call, a server start, the entry of
// a standard-library function, a standard-library struct or package) and
// one advice (reroute the call to a runtime hook, check it in place, wrap
// the server's handler, or patch the standard library). The file's header
// documents the format.
package spec
