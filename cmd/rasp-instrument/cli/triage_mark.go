package cli

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// markGroups returns the groups marked as false positives: by --fp (with a
// confirmation on a terminal unless --yes), or by asking for each group.
func markGroups(cmd *cobra.Command, groups []*eventGroup, o triageOptions, interactive bool) ([]*eventGroup, error) {
	in := bufio.NewReader(cmd.InOrStdin())
	w := cmd.ErrOrStderr()
	if o.fp == "" {
		return askEach(in, w, groups)
	}
	marked, err := parseFP(o.fp, groups)
	if err != nil || o.yes || len(marked) == 0 || !stdinIsTerminal(cmd.InOrStdin()) {
		return marked, err
	}
	nums := make([]string, len(marked))
	for i, g := range marked {
		nums[i] = strconv.Itoa(g.Num)
	}
	fmt.Fprintf(w, "\nallowlist groups %s as false positives? [y/N] ", strings.Join(nums, ", "))
	if a := answer(in); a != 'y' {
		return nil, nil
	}
	return marked, nil
}

// askEach asks whether each group is a false positive; q stops asking.
func askEach(in *bufio.Reader, w io.Writer, groups []*eventGroup) ([]*eventGroup, error) {
	var marked []*eventGroup
	fmt.Fprintln(w)
	for _, g := range groups {
		fmt.Fprintf(w, "%d. %s at %s: false positive? [y/N/q] ", g.Num, g.Rule, clean(g.Site))
		switch answer(in) {
		case 'y':
			marked = append(marked, g)
		case 'q':
			return marked, nil
		}
	}
	return marked, nil
}

// answer reads a line: 'y' for y or yes, 'q' for q or quit and at the end
// of the input, 'n' for anything else.
func answer(in *bufio.Reader) byte {
	line, err := in.ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return 'y'
	case "q", "quit":
		return 'q'
	}
	if err != nil && line == "" {
		return 'q'
	}
	return 'n'
}

// parseFP parses --fp: "all", or group numbers and ranges "1,3,5-7".
func parseFP(s string, groups []*eventGroup) ([]*eventGroup, error) {
	if strings.TrimSpace(s) == "all" {
		return groups, nil
	}
	pick := make([]bool, len(groups)+1)
	for _, part := range strings.Split(s, ",") {
		lo, hi, err := parseRange(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("--fp %s: %v: want group numbers as the listing shows them (1,3,5-7) or all", s, err)
		}
		if lo < 1 || hi > len(groups) {
			return nil, fmt.Errorf("--fp %s: there is no group %s: the events make groups 1 to %d", s, part, len(groups))
		}
		for n := lo; n <= hi; n++ {
			pick[n] = true
		}
	}
	var marked []*eventGroup
	for _, g := range groups {
		if pick[g.Num] {
			marked = append(marked, g)
		}
	}
	return marked, nil
}

// parseRange parses one item of --fp: a number N or a range N-M.
func parseRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = strconv.Atoi(a); err != nil {
		return 0, 0, fmt.Errorf("%q is not a number", a)
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = strconv.Atoi(b); err != nil || hi < lo {
		return 0, 0, fmt.Errorf("%q is not a range", s)
	}
	return lo, hi, nil
}
