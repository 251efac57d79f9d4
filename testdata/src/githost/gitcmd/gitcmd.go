// Package gitcmd runs git the way the command libraries of Git hosting
// services do: a Command collects its arguments in a slice, the service's
// code adds options it writes and values it read (branch names, revisions,
// URLs), and Run hands the whole slice to exec.CommandContext.
//
// It is deliberately the unhardened kind: AddDynamicArguments does not
// refuse a value that starts with "-", as the libraries did before their
// advisories.
package gitcmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Command is one git invocation being built.
type Command struct {
	name string
	args []string
}

// New starts a git command with the options the service always passes.
func New(args ...string) *Command {
	c := &Command{name: "git", args: []string{"-c", "user.name=githost", "-c", "user.email=githost@example.com", "-c", "protocol.file.allow=always"}}
	return c.AddArgs(args...)
}

// AddArgs adds arguments the service's code wrote.
func (c *Command) AddArgs(args ...string) *Command {
	c.args = append(c.args, args...)
	return c
}

// AddDynamicArguments adds values the service read: branch names,
// revisions, URLs.
func (c *Command) AddDynamicArguments(args ...string) *Command {
	c.args = append(c.args, args...)
	return c
}

// String is the command line, for logs.
func (c *Command) String() string { return c.name + " " + strings.Join(c.args, " ") }

// Run runs the command in dir and returns its standard output; the error
// carries its standard error.
func (c *Command) Run(ctx context.Context, dir string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.name, c.args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w: %s", c, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
