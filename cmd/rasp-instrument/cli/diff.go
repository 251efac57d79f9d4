package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/tools/go/packages"

	raspinstrument "github.com/rasp-instrument/rasp-instrument"
	"github.com/rasp-instrument/rasp-instrument/rewrite/callsite"
	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

// diffReport is the --json output of diff.
type diffReport struct {
	Packages []diffPackage       `json:"packages"`
	Summary  map[string]*summary `json:"summary"` // per family
	Skipped  int                 `json:"skipped"`
}

type diffPackage struct {
	ImportPath string                `json:"import_path"`
	Error      string                `json:"error,omitempty"`
	Sites      []callsite.SiteReport `json:"sites"`
	Diffs      map[string]string     `json:"diffs,omitempty"`

	errorPos  string // of Error, when the loader gave one
	firstFile string // the package's first Go file
}

// excludedBySpec is the Error of a package the sink spec excludes.
const excludedBySpec = "excluded by the sink spec"

type summary struct {
	Rewritten int `json:"rewritten"` // call sites rerouted to a hook (templates known)
	Entry     int `json:"entry"`     // calls through interfaces, covered by a standard-library entry point
	Skipped   int `json:"skipped"`   // not covered
}

func newDiffCmd() *cobra.Command {
	var (
		asJSON, asSARIF, failOnSkipped, tests bool
		sinks                                 string
	)
	cmd := &cobra.Command{
		Use:   "diff [packages]",
		Short: "Show what the build would rewrite, without building",
		Long: `diff loads the packages (default ./...) with their types, applies the same
rewrite as the build, and prints a unified diff of every rewritten call per
file, then a summary per sink family and every sink call site that was not
rewritten, with the reason. --json prints the same as JSON for CI.
--sarif prints a SARIF 2.1.0 log for code scanning (GitHub, GitLab,
editors): a note at each call whose query, command, path or address is
built from non-constant parts, with its template (a review list of what to
parameterise), and an error at each sink reference the build cannot
instrument. Paths are relative to the current directory (%SRCROOT%).

Exit status: 0; with --fail-on-skipped, 1 when a sink call site was not
rewritten or a package could not be loaded.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"./..."}
			}
			sp, err := spec.Load(sinks)
			if err != nil {
				return err
			}
			rep, err := runDiff(sp, args, tests)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON || asSARIF {
				var out any = rep
				if asSARIF {
					wd, err := os.Getwd()
					if err != nil {
						return err
					}
					out = sarifReport(rep, wd)
				}
				if err := writeJSON(w, out); err != nil {
					return err
				}
			} else {
				printDiff(w, rep)
			}
			if failOnSkipped && rep.Skipped > 0 {
				cmd.SilenceErrors = true
				return fmt.Errorf("%d sink call sites not rewritten", rep.Skipped)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&asSARIF, "sarif", false, "print the call sites built from non-constant parts and the ones not covered as SARIF 2.1.0, for code scanning")
	cmd.MarkFlagsMutuallyExclusive("json", "sarif")
	cmd.Flags().BoolVar(&failOnSkipped, "fail-on-skipped", false, "exit 1 when a sink call site is not rewritten")
	cmd.Flags().BoolVar(&tests, "test", true, "include test files")
	cmd.Flags().StringVar(&sinks, "sinks", "", "sink spec `file` (default: RASP_SINKS, else built in)")
	return cmd
}

func runDiff(sp *spec.Spec, patterns []string, tests bool) (*diffReport, error) {
	cfg := &packages.Config{
		Mode:  packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports,
		Tests: tests,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, err
	}
	rep := &diffReport{Summary: map[string]*summary{}}
	for _, f := range append(spec.Families, spec.Join) {
		rep.Summary[f] = &summary{}
	}
	// With tests, a package's files come twice: in the package and in its
	// test variant. Report each file once, from the variant with most files.
	sort.SliceStable(pkgs, func(i, j int) bool { return len(pkgs[i].CompiledGoFiles) > len(pkgs[j].CompiledGoFiles) })
	seenFile := map[string]bool{}
	for _, p := range pkgs {
		dp := diffPackage{ImportPath: p.ID, Diffs: map[string]string{}}
		if len(p.GoFiles) > 0 {
			dp.firstFile = p.GoFiles[0]
		}
		if len(p.Errors) > 0 {
			e := p.Errors[0] // the first, or the first that has a position
			for _, x := range p.Errors {
				if x.Pos != "" {
					e = x
					break
				}
			}
			dp.Error, dp.errorPos = e.Error(), e.Pos
			rep.Skipped++
			rep.Packages = append(rep.Packages, dp)
			continue
		}
		if sp.Excluded(p.PkgPath) {
			dp.Error = excludedBySpec
			rep.Packages = append(rep.Packages, dp)
			continue
		}
		rp := &callsite.Package{Path: p.PkgPath, Fset: p.Fset, Info: p.TypesInfo}
		for i := range p.Syntax {
			name := p.CompiledGoFiles[i]
			if seenFile[name] {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			rp.Files = append(rp.Files, p.Syntax[i])
			rp.Srcs = append(rp.Srcs, src)
			rp.Names = append(rp.Names, name)
		}
		for _, name := range rp.Names {
			seenFile[name] = true
		}
		if len(rp.Files) == 0 {
			continue
		}
		results, err := callsite.Rewrite(rp, sp, raspinstrument.ImplPath)
		if err != nil {
			dp.Error = err.Error()
			rep.Skipped++
		}
		for _, r := range results {
			for _, s := range r.Sites {
				switch s.Mechanism {
				case callsite.MechanismNone:
					rep.Summary[s.Family].Skipped++
					rep.Skipped++
				case callsite.MechanismEntry:
					rep.Summary[s.Family].Entry++
				default:
					rep.Summary[s.Family].Rewritten++
				}
			}
			dp.Sites = append(dp.Sites, r.Sites...)
			if r.Out != nil {
				dp.Diffs[r.Path] = unifiedDiff(r.Path, r.Src, r.Out)
			}
		}
		rep.Packages = append(rep.Packages, dp)
	}
	sort.Slice(rep.Packages, func(i, j int) bool { return rep.Packages[i].ImportPath < rep.Packages[j].ImportPath })
	return rep, nil
}

func printDiff(w io.Writer, rep *diffReport) {
	for _, p := range rep.Packages {
		files := make([]string, 0, len(p.Diffs))
		for f := range p.Diffs {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			fmt.Fprint(w, p.Diffs[f])
		}
	}
	fmt.Fprintln(w, "\n# summary")
	for _, f := range spec.Families {
		s := rep.Summary[f]
		fmt.Fprintf(w, "%-6s rewritten %d, covered by an entry point %d, not covered %d\n", f, s.Rewritten, s.Entry, s.Skipped)
	}
	if s := rep.Summary[spec.Join]; s.Rewritten+s.Skipped > 0 {
		// Not sinks: the path joins whose climbing results the file sinks judge.
		fmt.Fprintf(w, "%-6s rewritten %d (path joins, not sinks), not covered %d\n", spec.Join, s.Rewritten, s.Skipped)
	}
	fmt.Fprintln(w, "\n# covered by a standard-library entry point (judged with the request's inputs, no template)")
	for _, p := range rep.Packages {
		for _, s := range p.Sites {
			if s.Mechanism == callsite.MechanismEntry {
				fmt.Fprintf(w, "%s:%d: %s: %s\n", s.File, s.Line, s.Sink, s.Hook)
			}
		}
	}
	fmt.Fprintln(w, "\n# call sites (how each judged argument is built)")
	for _, p := range rep.Packages {
		for _, s := range p.Sites {
			if len(s.Templates) > 0 {
				fmt.Fprintf(w, "%s:%d: %s: %s\n", s.File, s.Line, s.Sink, strings.Join(s.Templates, " | "))
			}
		}
	}
	fmt.Fprintln(w, "\n# not covered")
	n := 0
	for _, p := range rep.Packages {
		if p.Error != "" {
			fmt.Fprintf(w, "%s: package not rewritten: %s\n", p.ImportPath, p.Error)
			n++
		}
		for _, s := range p.Sites {
			if s.Mechanism == callsite.MechanismNone {
				fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", s.File, s.Line, s.Column, s.Sink, s.Reason)
				n++
			}
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "(none)")
	}
}

// writeJSON writes v as indented JSON: the --json and --sarif outputs.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
