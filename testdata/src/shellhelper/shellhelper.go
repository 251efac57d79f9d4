// Package shellhelper is a third-party style helper library: it runs shell
// scripts and reads files for its callers. The integration tests check that
// the sinks it calls are instrumented although it lives in another module.
package shellhelper

import (
	"os"
	"os/exec"
)

// Run runs script with sh -c and returns its combined output.
func Run(script string) (string, error) {
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	return string(out), err
}

// ReadAll reads every file named in paths, for any string type.
func ReadAll[S ~string](paths ...S) ([][]byte, error) {
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(string(p))
		if err != nil {
			return out, err
		}
		out = append(out, data)
	}
	return out, nil
}

// Runner builds commands through a function value, as code that stores
// exec.Command in a field does.
type Runner struct {
	command func(name string, arg ...string) *exec.Cmd
}

// NewRunner returns a Runner that uses exec.Command.
func NewRunner() *Runner { return &Runner{command: exec.Command} }

// Shell runs script with sh -c through the stored function value.
func (r *Runner) Shell(script string) (string, error) {
	out, err := r.command("sh", "-c", script).Output()
	return string(out), err
}
