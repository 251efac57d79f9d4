package cli

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rasp-instrument/rasp-instrument/rewrite/manifest"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// inspectReport is the --json output of inspect.
type inspectReport struct {
	Binary       string `json:"binary"`
	Instrumented bool   `json:"instrumented"`
	// GoVersion and MainModule are what the go command recorded in the
	// binary (debug/buildinfo), when it did.
	GoVersion  string `json:"go_version,omitempty"`
	MainModule string `json:"main_module,omitempty"`
	*manifest.Manifest
}

func newInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect BINARY",
		Short: "Tell whether a binary was built with rasp-instrument, and how",
		Long: `inspect reads, without running it, the manifest that a build with
rasp-instrument embeds in the binary: the tool's version, the Go release, the
sink spec and its SHA-256, the build flags, the call sites instrumented per
family and per package, the standard library's entry points, and the
packages the spec excluded. Stripped (-ldflags="-s -w") and -trimpath
binaries carry it too.

Exit status: 0 when the binary was built with the tool; 1 when it was not
(a deployment gate can refuse it), or cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := inspect(args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(w, rep); err != nil {
					return err
				}
			} else {
				printInspect(w, rep)
			}
			if !rep.Instrumented {
				cmd.SilenceErrors = !asJSON
				return fmt.Errorf("%s was not built with rasp-instrument", args[0])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	return cmd
}

// inspect reads the manifest of the binary at name.
func inspect(name string) (*inspectReport, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	rep := &inspectReport{Binary: name}
	if bi, err := buildinfo.ReadFile(name); err == nil {
		rep.GoVersion, rep.MainModule = bi.GoVersion, bi.Main.Path
	}
	m, err := manifest.Read(b)
	switch {
	case errors.Is(err, manifest.ErrNone):
		return rep, nil
	case err != nil:
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rep.Instrumented, rep.Manifest = true, m
	return rep, nil
}

func printInspect(w io.Writer, rep *inspectReport) {
	if !rep.Instrumented {
		fmt.Fprintf(w, "%s: not built with rasp-instrument: it carries no manifest, so its sink calls are not protected.\n", rep.Binary)
		fmt.Fprintf(w, "Build it with: go build -toolexec=rasp-instrument\n")
		return
	}
	l := rep.Link
	fmt.Fprintf(w, "%s: built with rasp-instrument\n", rep.Binary)
	fmt.Fprintf(w, "tool          %s %s\n", l.Tool, l.Version)
	fmt.Fprintf(w, "go            %s\n", l.Go)
	fmt.Fprintf(w, "sink spec     %s (sha256 %s)\n", l.Spec, l.SpecSHA256)
	fmt.Fprintf(w, "build flags   %s\n", orNone(strings.Join(l.BuildFlags, " ")))
	fmt.Fprintf(w, "call sites    %s, in %d packages\n", familyCounts(rep.Sites, true), len(rep.Packages))
	fmt.Fprintf(w, "entry points  %s\n", l.EntryPoints)
	fmt.Fprintf(w, "excluded      %s\n", orNone(strings.Join(l.Excluded, ", ")))
	if len(l.Disabled) > 0 {
		fmt.Fprintf(w, "disabled      %s\n", strings.Join(l.Disabled, ", "))
	}
	for _, p := range rep.Packages {
		fmt.Fprintf(w, "  %s: %s\n", p.Path, orNone(familyCounts(p.Sites, false)))
	}
}

// familyCounts renders counts per family in the spec's order of families,
// then any other, as "sql 3, exec 1"; zero counts only with all.
func familyCounts(n map[string]int, all bool) string {
	var parts []string
	seen := map[string]bool{}
	for _, f := range spec.Families {
		seen[f] = true
		if all || n[f] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", f, n[f]))
		}
	}
	var other []string
	for f := range n {
		if !seen[f] {
			other = append(other, f)
		}
	}
	sort.Strings(other)
	for _, f := range other {
		parts = append(parts, fmt.Sprintf("%s %d", f, n[f]))
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
