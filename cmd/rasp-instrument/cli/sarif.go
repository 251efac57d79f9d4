package cli

import (
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rasp-instrument/rasp-instrument/rewrite/callsite"
	"github.com/rasp-instrument/rasp-instrument/rewrite/toolexec"
)

// The SARIF 2.1.0 log that diff --sarif prints: the subset of the format
// that code scanning (GitHub, GitLab) and editors read.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool               sarifTool                    `json:"tool"`
		OriginalURIBaseIDs map[string]sarifArtifactPath `json:"originalUriBaseIds,omitempty"`
		Results            []sarifResult                `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string          `json:"id"`
		Name                 string          `json:"name"`
		ShortDescription     sarifText       `json:"shortDescription"`
		FullDescription      sarifText       `json:"fullDescription"`
		Help                 sarifHelp       `json:"help"`
		DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
		Properties           sarifRuleProps  `json:"properties"`

		what string // of a dynamic-* rule: what its sink judges
	}
	sarifRuleProps struct {
		Tags []string `json:"tags"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	sarifRuleConfig struct {
		Level string `json:"level"`
	}
	sarifResult struct {
		RuleID     string          `json:"ruleId"`
		RuleIndex  int             `json:"ruleIndex"`
		Level      string          `json:"level"`
		Message    sarifText       `json:"message"`
		Locations  []sarifLocation `json:"locations,omitempty"`
		Properties map[string]any  `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifactPath `json:"artifactLocation"`
		Region           *sarifRegion      `json:"region,omitempty"`
	}
	sarifArtifactPath struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
)

// The rules of diff --sarif. A dynamic-* rule reports each rewritten call
// whose judged argument is built from parts the programmer did not write
// at the call (a note: the runtime judges it, and a review might
// parameterise it); not-covered reports what the build would refuse.
var sarifRules = []sarifRule{
	dynamicRule("sql", "DynamicSQLQuery", "SQL query", "Pass the values as query parameters (placeholders such as ? or $1) instead of building the query text from them."),
	dynamicRule("exec", "DynamicCommand", "command", "Run the program directly with exec.Command and separate arguments instead of a shell script built from values; never let a value choose the program."),
	dynamicRule("file", "DynamicPath", "file path", "Resolve the path under a fixed base directory (filepath.Join, then check the result stays inside it, or use os.Root) instead of using a value as a path."),
	dynamicRule("net", "DynamicAddress", "network address or URL", "Build the address from an allowlist of hosts the program may reach instead of taking it from a value."),
	{
		ID:               "not-covered",
		Name:             "SinkNotCovered",
		ShortDescription: sarifText{"A sink reference the build cannot instrument"},
		FullDescription: sarifText{"rasp-instrument found a reference to a sink (a SQL, command, file or network call) that it cannot reroute to its runtime, " +
			"or a package it cannot type-check. The build refuses it rather than leave the call unprotected."},
		Help: sarifHelp{
			Text: "Rewrite the reference as a direct call of the sink, or exclude the package in the sink spec (exclude:) to build it unprotected on purpose. " +
				"The message gives the reason.",
			Markdown: "Rewrite the reference as a direct call of the sink, or exclude the package in the sink spec (`exclude:`) " +
				"to build it unprotected on purpose. The message gives the reason; `rasp-instrument diff` lists every such reference.",
		},
		DefaultConfiguration: sarifRuleConfig{"error"},
		Properties:           sarifRuleProps{Tags: []string{"security", "rasp"}},
	},
}

// dynamicRule is the rule for the dynamic call sites of one family; what
// names the value the sink judges.
func dynamicRule(family, name, what, advice string) sarifRule {
	return sarifRule{
		ID:               "dynamic-" + family,
		Name:             name,
		ShortDescription: sarifText{"A " + what + " built from non-constant parts"},
		FullDescription: sarifText{"The " + what + " passed to this sink is built, at least in part, from values that are not written at the call. " +
			"The runtime judges those parts on every call; the template in the message shows which they are ({dyn}: a value, {num}: a value that is only ever a number, {opaque}: the build cannot tell)."},
		Help: sarifHelp{
			Text:     advice + " The call is protected at run time either way.",
			Markdown: advice + " The call is protected at run time either way; this is a review list, not a finding.",
		},
		DefaultConfiguration: sarifRuleConfig{"note"},
		Properties:           sarifRuleProps{Tags: []string{"security", "rasp", family}},
		what:                 what,
	}
}

// sarifReport turns a diff report into a SARIF log. Paths under root are
// made relative to it (the %SRCROOT% base), others are file URIs.
func sarifReport(rep *diffReport, root string) *sarifLog {
	index := map[string]int{}
	for i, r := range sarifRules {
		index[r.ID] = i
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "rasp-instrument", Version: toolexec.Version(),
			InformationURI: "https://github.com/rasp-instrument/rasp-instrument",
			Rules:          sarifRules,
		}},
		OriginalURIBaseIDs: map[string]sarifArtifactPath{"%SRCROOT%": {URI: fileURI(root, true)}},
		Results:            []sarifResult{},
	}
	add := func(rule, msg string, loc []sarifLocation, props map[string]any) {
		i := index[rule]
		run.Results = append(run.Results, sarifResult{RuleID: rule, RuleIndex: i, Level: sarifRules[i].DefaultConfiguration.Level,
			Message: sarifText{msg}, Locations: loc, Properties: props})
	}
	for _, p := range rep.Packages {
		if p.Error != "" && p.Error != excludedBySpec {
			file, line, col := errorPosition(p)
			add("not-covered", "package "+p.ImportPath+" cannot be instrumented: "+p.Error, location(root, file, line, col),
				map[string]any{"package": p.ImportPath})
		}
		for _, s := range p.Sites {
			props := map[string]any{"sink": s.Sink, "family": s.Family, "mechanism": s.Mechanism}
			switch {
			case s.Mechanism == callsite.MechanismNone:
				add("not-covered", s.Sink+" cannot be instrumented here: "+s.Reason, location(root, s.File, s.Line, s.Column), props)
			case s.Dynamic:
				if _, ok := index["dynamic-"+s.Family]; !ok {
					continue
				}
				rule := "dynamic-" + s.Family
				props["templates"] = s.Templates
				add(rule, s.Sink+" gets a "+sarifRules[index[rule]].what+" built from non-constant parts: "+strings.Join(s.Templates, " | "),
					location(root, s.File, s.Line, s.Column), props)
			}
		}
	}
	return &sarifLog{
		Schema:  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
}

// errorPosition returns where a package's error is: its position when the
// error has one ("file:line:col" or "file:line"), else the package's first
// file.
func errorPosition(p diffPackage) (file string, line, col int) {
	pos := p.errorPos
	var nums []int
	for len(nums) < 2 {
		i := strings.LastIndexByte(pos, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(pos[i+1:])
		if err != nil {
			break
		}
		nums, pos = append([]int{n}, nums...), pos[:i]
	}
	switch len(nums) {
	case 0:
		return p.firstFile, 0, 0
	case 1:
		return pos, nums[0], 0
	}
	return pos, nums[0], nums[1]
}

// location is a SARIF location for a file position; none without a file.
func location(root, file string, line, col int) []sarifLocation {
	if file == "" {
		return nil
	}
	loc := sarifPhysical{ArtifactLocation: sarifArtifactPath{URI: fileURI(file, false)}}
	if rel, err := filepath.Rel(root, file); err == nil && filepath.IsAbs(file) && !strings.HasPrefix(rel, "..") {
		loc.ArtifactLocation = sarifArtifactPath{URI: (&url.URL{Path: filepath.ToSlash(rel)}).EscapedPath(), URIBaseID: "%SRCROOT%"}
	}
	if line > 0 {
		loc.Region = &sarifRegion{StartLine: line, StartColumn: col}
	}
	return []sarifLocation{{PhysicalLocation: loc}}
}

// fileURI is the file URI of an absolute path; dir adds the trailing slash
// a base URI needs.
func fileURI(path string, dir bool) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x on Windows
	}
	if dir && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
