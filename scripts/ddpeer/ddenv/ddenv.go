// Package ddenv sets ddpeer's dd-trace-go configuration in the
// environment, where the environment does not already set it.
//
// It does so in init, not in main: some of dd-trace-go's packages read
// their settings once, while they are initialised (instrumentation
// telemetry's on/off switch, for one), which is before main runs. Go
// initialises packages in the order of their import paths once their own
// imports are initialised, and this package imports only os, so
// "example.com/ddpeer/ddenv" runs before every "github.com/DataDog/..."
// package.
package ddenv

import "os"

// Defaults is the configuration ddpeer sets when the environment does not.
var Defaults = [][2]string{
	{"DD_APPSEC_ENABLED", "true"},      // AAP: the WAF on every request
	{"DD_APPSEC_RASP_ENABLED", "true"}, // and RASP's checks (SQL injection here)
	{"DD_SERVICE", "ddpeer"},
	// What would talk to the agent in the background: off.
	{"DD_TRACE_STARTUP_LOGS", "false"},
	{"DD_REMOTE_CONFIGURATION_ENABLED", "false"},
	{"DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false"},
}

func init() {
	for _, kv := range Defaults {
		if _, ok := os.LookupEnv(kv[0]); !ok {
			os.Setenv(kv[0], kv[1])
		}
	}
}
