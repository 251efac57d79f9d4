package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/rasp-instrument/rasp-instrument/rewrite"
)

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
	root.AddCommand(newVersionCmd(), newDiffCmd(), newSinksCmd(), newPolicyCmd(), newTriageCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the tool's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "rasp-instrument %s (%s, built with %s)\n", rewrite.Version, runtime.GOOS+"/"+runtime.GOARCH, runtime.Version())
		},
	}
}

func newSinksCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "sinks",
		Short: "Check and list the sink table in force",
		Long: `sinks parses the sink table (--sinks FILE, else RASP_SINKS, else the built-in
table), checks that every listed function exists in its package, and lists
the sinks with their runtime hooks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := rewrite.LoadTable(file)
			if err != nil {
				return err
			}
			if err := rewrite.VerifyTable(t); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "# %s: %d sinks\n", t.File, len(t.Sinks))
			for _, s := range t.Sinks {
				fmt.Fprintf(w, "%-5s %-45s -> %s.%s\n", s.Family, s.Key(), s.HookPkg, s.Hook)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "sinks", "", "sink table `file` (default: RASP_SINKS, else built in)")
	return cmd
}
