// Package cli is the rasp-instrument command: the -toolexec wrapper when
// the go command calls it with a tool's path, the cobra command line when a
// person does. It is a package of its own so that the integration tests run
// it inside their test binary (testscript.Main), where coverage counts it.
package cli

import (
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
	"github.com/rasp-instrument/rasp-instrument/rewrite/toolexec"
)

// Main runs the tool with os.Args and returns the exit status.
func Main() int {
	if opts, tool, args, ok := toolexec.ParseArgs(os.Args[1:]); ok {
		return toolexec.New(opts, tool, args).Run()
	}
	if err := newRootCmd().Execute(); err != nil {
		return 1
	}
	return 0
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "rasp-instrument",
		Short: "Build Go programs with runtime application self-protection",
		Long: `rasp-instrument reroutes every call to a SQL, command, file or network sink
into a runtime that detects and blocks injection attacks. Use it as the go
command's -toolexec wrapper; your source, go.mod and imports stay as they are:

	go build -toolexec=rasp-instrument ./...
	go test  -toolexec=rasp-instrument ./...

Options for the build go before nothing else in -toolexec:
	go build -toolexec="rasp-instrument --sinks my-sinks.yaml" ./...

At run time, RASP_MODE=off|detect|block (default detect) sets what the
program does with a finding.`,
		SilenceUsage: true,
	}
	root.AddCommand(newVersionCmd(), newDiffCmd(), newInspectCmd(), newSinksCmd(), newPolicyCmd(), newTriageCmd(), newRoutesCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the tool's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "rasp-instrument %s (%s, built with %s)\n", toolexec.Version(), runtime.GOOS+"/"+runtime.GOARCH, runtime.Version())
		},
	}
}

func newSinksCmd() *cobra.Command {
	var file string
	var markdown bool
	cmd := &cobra.Command{
		Use:   "sinks",
		Short: "Check and list the sink spec in force",
		Long: `sinks parses the sink spec (--sinks FILE, else RASP_SINKS, else the built-in
sinks.yaml), checks it against this Go release and the runtime built into
the tool (every function exists, every hook has the right signature, the
runtime has no hook the spec does not name, every patch of the standard
library applies), and lists every join point with its advice. With
--markdown it prints the table of call sinks by family that
docs/sinks.md holds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sp, err := spec.Load(file)
			if err != nil {
				return err
			}
			if err := spec.Verify(sp); err != nil {
				return err
			}
			if markdown {
				writeSinksTable(cmd.OutOrStdout(), sp)
				return nil
			}
			printSpec(cmd.OutOrStdout(), sp)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "sinks", "", "sink table `file` (default: RASP_SINKS, else built in)")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the call sinks as a Markdown table, by family")
	return cmd
}

// printSpec lists a spec: one line per join point, with its advice.
func printSpec(w io.Writer, sp *spec.Spec) {
	fmt.Fprintf(w, "# %s: %d calls, %d interfaces, %d patches\n", sp.File, len(sp.Calls), len(sp.Interfaces), len(sp.Patches))
	if len(sp.Disabled) > 0 {
		fmt.Fprintf(w, "# disabled: %s\n", strings.Join(sp.Disabled, ", "))
	}
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	for _, c := range sp.Calls {
		jp := "call"
		if c.Advice == spec.Wrap {
			jp = "server"
		}
		var advice string
		switch {
		case c.Advice == spec.Check:
			advice = "check in place (" + c.Dialect + ")"
		case c.Advice == spec.CoveredBy:
			advice = "covered by entry " + c.Entry
		default:
			advice = c.Advice + " " + path.Base(c.HookPkg) + "." + c.Hook
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", jp, c.Family, c.Key(), advice)
	}
	for _, i := range sp.Interfaces {
		fmt.Fprintf(tw, "interface\t%s\t%s\tcovered by the %s entry points\n", i.Family, i.Key(), i.Family)
	}
	for _, p := range sp.Patches {
		jp, advice := "entry", "prologue"
		switch {
		case p.Type != "":
			jp, advice = "struct", "fields"
		case p.Func == "":
			jp, advice = "package", ""
		case p.Anchor != "":
			advice = "line after " + strconv.Quote(p.Anchor)
		}
		if p.Decls != "" {
			advice = strings.TrimPrefix(advice+" + decls "+p.Decls, " + ")
		}
		family := p.Family
		if family == "" {
			family = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", jp, family, p.Patch, advice)
	}
	tw.Flush()
	if len(sp.Exclude) > 0 {
		fmt.Fprintf(w, "# excluded: %s\n", strings.Join(sp.Exclude, ", "))
	}
}
