package cli

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sample limits of the triage listing.
const (
	maxPaths   = 3
	maxInputs  = 3
	maxValues  = 2
	maxSampleB = 80 // bytes of a sample input or value
)

// printGroups prints the totals of the log, then each group.
func printGroups(w io.Writer, groups []*eventGroup, l *eventLog) {
	fmt.Fprintf(w, "# %s in %s, from %s", plural(l.findings, "finding"), plural(len(groups), "group"), plural(len(l.events), "event"))
	var skipped []string
	if l.malformed > 0 {
		skipped = append(skipped, plural(l.malformed, "malformed line"))
	}
	if l.other > 0 {
		skipped = append(skipped, plural(l.other, "other message"))
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "; skipped %s", strings.Join(skipped, " and "))
	}
	fmt.Fprintln(w)
	for _, g := range groups {
		printGroup(w, g)
	}
}

// printGroup prints one group: rule, site, sink, counts by verdict and
// samples of its paths, inputs and values.
func printGroup(w io.Writer, g *eventGroup) {
	fmt.Fprintf(w, "\n%d. %s (%s) at %s\n", g.Num, g.Rule, g.Family, clean(g.Site))
	fmt.Fprintf(w, "   sink     %s\n", clean(g.Sink))
	fmt.Fprintf(w, "   count    %d: %s\n", g.Count, verdictCounts(g.Verdicts))
	if len(g.paths.list) > 0 {
		fmt.Fprintf(w, "   paths    %s\n", listSome(g.paths.list, maxPaths, ", "))
	}
	printSamples(w, "inputs", g.inputs.list, maxInputs)
	vals := make([]string, len(g.values.list))
	for i, v := range g.values.list {
		vals[i] = sample(v)
	}
	printSamples(w, "values", vals, maxValues)
}

// printSamples prints up to max items, one a line, and how many more.
func printSamples(w io.Writer, label string, items []string, max int) {
	for i, s := range items {
		if i == max {
			fmt.Fprintf(w, "   %-8s (%d more)\n", "", len(items)-max)
			break
		}
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "   %-8s %s\n", label, s)
	}
}

// verdictCounts formats "blocked 2, detected 5": known verdicts first.
func verdictCounts(v map[string]int) string {
	order := map[string]int{"blocked": 0, "detected": 1, "allowlisted": 2}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, iok := order[keys[i]]
		oj, jok := order[keys[j]]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := k
		if name == "" {
			name = "(no verdict)"
		}
		parts[i] = fmt.Sprintf("%s %d", clean(name), v[k])
	}
	return strings.Join(parts, ", ")
}

// listSome joins up to max items, and says how many were left out.
func listSome(items []string, max int, sep string) string {
	shown := items
	if len(items) > max {
		shown = items[:max]
	}
	out := make([]string, len(shown))
	for i, s := range shown {
		out[i] = clean(s)
	}
	s := strings.Join(out, sep)
	if len(items) > max {
		s += fmt.Sprintf(" (+%d more)", len(items)-max)
	}
	return s
}

// sample cuts s to maxSampleB bytes (on a character boundary) and makes
// it safe to print.
func sample(s string) string {
	if len(s) <= maxSampleB {
		return clean(s)
	}
	cut := maxSampleB
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return clean(s[:cut]) + "…"
}

// clean escapes control characters and invalid UTF-8, which an attacker
// may have put in a request to play tricks on the terminal.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r) || r == ' ':
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}
