package cli

import (
	"bytes"
	"fmt"
	"strings"
)

// unifiedDiff returns a unified diff of a rewrite. It relies on what the
// rewriter guarantees: every original line keeps its number, and added lines
// only follow the last one.
func unifiedDiff(name string, before, after []byte) string {
	a := splitLines(before)
	b := splitLines(after)
	if len(b) < len(a) {
		return fmt.Sprintf("--- %s\n+++ %s (rewritten)\n(rewrite removed lines; no line diff)\n", name, name)
	}
	const context = 3
	var changed []int
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, i)
		}
	}
	for i := len(a); i < len(b); i++ {
		changed = append(changed, i)
	}
	if len(changed) == 0 {
		return ""
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s (rewritten)\n", name, name)
	for i := 0; i < len(changed); {
		start := max(changed[i]-context, 0)
		j := i
		for j+1 < len(changed) && changed[j+1]-changed[j] <= 2*context {
			j++
		}
		endA := min(changed[j]+context+1, len(a))
		endB := min(changed[j]+context+1, len(b))
		var hunk strings.Builder
		na, nb := 0, 0
		for k := start; k < endB; k++ {
			switch {
			case k >= len(a):
				hunk.WriteString("+" + b[k] + "\n")
				nb++
			case a[k] == b[k]:
				hunk.WriteString(" " + a[k] + "\n")
				na++
				nb++
			default:
				hunk.WriteString("-" + a[k] + "\n+" + b[k] + "\n")
				na++
				nb++
			}
		}
		_ = endA
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n%s", start+1, na, start+1, nb, hunk.String())
		i = j + 1
	}
	return out.String()
}

func splitLines(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte("\n"))
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\n")
}
