package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// triageOptions holds the flags of the triage command.
type triageOptions struct {
	fp     string // --fp: "1,3", "2-4", "all"
	yes    bool
	policy string // --policy: the policy to merge into
	out    string // -o
}

// newTriageCmd returns the triage command: list the findings of event
// logs by group and propose a policy for the groups marked as false
// positives.
func newTriageCmd() *cobra.Command {
	var o triageOptions
	cmd := &cobra.Command{
		Use:   "triage EVENTS.jsonl...",
		Short: "Group runtime findings and propose a policy for the false positives",
		Long: `triage reads the runtime's event log (RASP_EVENTS: one JSON object a line),
groups the findings by rule and call site, and lists the groups, most
frequent first, with their request paths, inputs and values.

It then proposes a policy that allowlists the groups you mark as false
positives: SQL findings by call site and rule (and query shape when the
group has one), network findings by host (egress-unlisted ones as
egress.hosts entries, host:port), shell scripts by script, clients a
route's allow_ips refused by address. File findings, single routes and
the other request rules (bots, rate limits, blocked IPs and users,
attack waves) get a hint rather than an entry.

Marking groups:
  on a terminal, triage asks for each group (y: false positive, n: not,
  q: stop asking); --fp N,M,... (or N-M, or all) marks groups without
  asking, and --yes skips the confirmation, for CI. With neither flag and
  no terminal, triage only lists the groups.

The proposal is merged into --policy FILE (JSON or YAML; its other content
is kept) and written as JSON to -o FILE, or to standard output, in which
case the listing goes to standard error. Check it with
'rasp-instrument policy check'.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runTriage(cmd, args, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.fp, "fp", "", "mark groups as false positives without asking: `N,M,...`, N-M or all")
	f.BoolVar(&o.yes, "yes", false, "do not ask for confirmation (CI)")
	f.StringVar(&o.policy, "policy", "", "merge the proposal into this policy `file`")
	f.StringVarP(&o.out, "output", "o", "", "write the proposed policy to `file` (default: standard output)")
	return cmd
}

// stdinIsTerminal tells whether r is a terminal one can ask questions on:
// a character device other than /dev/null. A variable for tests.
var stdinIsTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(st, null)
}

// runTriage reads the event files, lists their groups, and, when groups
// are to be marked (--fp, or a terminal to ask on), writes the proposal.
func runTriage(cmd *cobra.Command, files []string, o triageOptions) error {
	var base *policyFile
	if o.policy != "" {
		var err error
		if base, err = loadPolicy(o.policy); err != nil {
			return fmt.Errorf("--policy: %w\n(fix it first: rasp-instrument policy check %s)", err, o.policy)
		}
	}
	var log eventLog
	for _, name := range files {
		if err := log.readFile(name, cmd.ErrOrStderr()); err != nil {
			return err
		}
	}
	groups := groupEvents(log.events)
	interactive := o.fp == "" && !o.yes && stdinIsTerminal(cmd.InOrStdin())
	proposing := o.fp != "" || interactive
	report := cmd.OutOrStdout()
	if proposing && o.out == "" {
		report = cmd.ErrOrStderr() // standard output holds the policy
	}
	printGroups(report, groups, &log)
	if len(groups) == 0 {
		return nil // nothing to propose
	}
	if !proposing {
		if o.yes {
			fmt.Fprintln(cmd.ErrOrStderr(), "no group marked: name the false positives with --fp N,M,... or --fp all")
		}
		return nil
	}
	marked, err := markGroups(cmd, groups, o, interactive)
	if err != nil || len(marked) == 0 {
		if err == nil {
			fmt.Fprintln(report, "\nno group marked as a false positive: no policy written")
		}
		return err
	}
	return writeProposal(cmd, report, base, marked, o.out)
}
