package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
)

// eventLog holds the findings read from event files and what was skipped.
type eventLog struct {
	events    []event.Event
	findings  int // events plus the identical ones the runtime suppressed
	malformed int // lines that are not JSON objects
	other     int // JSON lines that are not findings (no rule or site)
}

// readFile reads one event file; malformed lines are reported to warn as
// FILE:LINE: ... and skipped.
func (l *eventLog) readFile(name string, warn io.Writer) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			l.add(line, fmt.Sprintf("%s:%d", name, n), warn)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
}

// add records one non-blank line of an event file found at where: a
// finding, a message that is not one, or a malformed line reported to warn.
func (l *eventLog) add(line []byte, where string, warn io.Writer) {
	var e event.Event
	if err := json.Unmarshal(line, &e); err != nil {
		l.malformed++
		fmt.Fprintf(warn, "%s: malformed event, skipped: %v\n", where, err)
		return
	}
	if e.Rule == "" || e.Site == "" {
		l.other++ // a runtime message, not a finding
		return
	}
	l.events = append(l.events, e)
	l.findings += findingsOf(e)
}

// findingsOf returns how many findings an event line stands for: a finding
// line one (plus those an older runtime said it had suppressed before it);
// a summary of suppressed events ("rasp events suppressed") its count.
func findingsOf(e event.Event) int {
	if e.Msg == event.MsgSuppressed {
		return int(e.Suppressed)
	}
	return 1 + int(e.Suppressed)
}

// eventGroup is the findings of one rule at one call site.
type eventGroup struct {
	Num      int
	Rule     string
	Family   event.Family
	Site     string
	Sink     string
	Count    int            // findings, with the suppressed ones
	Verdicts map[string]int // verdict -> findings
	paths    distinct       // request paths
	methods  distinct
	inputs   distinct // "source name=value"
	values   distinct // the events' values
	noPath   int      // events without a request path
	noValue  int      // events without a value
}

// distinct is a set of strings in order of first appearance.
type distinct struct {
	seen map[string]bool
	list []string
}

// add appends s unless d holds it already.
func (d *distinct) add(s string) {
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if !d.seen[s] {
		d.seen[s] = true
		d.list = append(d.list, s)
	}
}

// groupEvents groups events by rule and site, sorted by count descending,
// then rule and site, and numbers the groups from 1.
func groupEvents(events []event.Event) []*eventGroup {
	byKey := map[[2]string]*eventGroup{}
	var groups []*eventGroup
	for _, e := range events {
		key := [2]string{e.Rule, e.Site}
		g := byKey[key]
		if g == nil {
			g = &eventGroup{Rule: e.Rule, Family: e.Family, Site: e.Site, Sink: e.Sink, Verdicts: map[string]int{}}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.add(e)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Site < b.Site
	})
	for i, g := range groups {
		g.Num = i + 1
	}
	return groups
}

// add counts the findings of e in g and records its request path,
// input and value.
func (g *eventGroup) add(e event.Event) {
	n := findingsOf(e)
	g.Count += n
	g.Verdicts[e.Verdict] += n
	if e.Msg == event.MsgSuppressed {
		return // a count: its findings' paths and values were in the lines before it
	}
	if e.Path == "" {
		g.noPath++
	} else {
		g.paths.add(e.Path)
		g.methods.add(e.Method)
	}
	if e.Value == "" {
		g.noValue++
	} else {
		g.values.add(e.Value)
	}
	if in := e.Input; in != nil {
		g.inputs.add(in.Source + " " + in.Name + "=" + sample(in.Value))
	}
}

// onlyAllowlisted reports whether every finding of g was allowlisted already.
func (g *eventGroup) onlyAllowlisted() bool { return g.Verdicts["allowlisted"] == g.Count }

// onePath returns the request path and method (may be "") of every event
// of g, when they all share them.
func (g *eventGroup) onePath() (path, method string, ok bool) {
	if g.noPath > 0 || len(g.paths.list) != 1 {
		return "", "", false
	}
	if len(g.methods.list) == 1 {
		method = g.methods.list[0]
	}
	return g.paths.list[0], method, true
}
