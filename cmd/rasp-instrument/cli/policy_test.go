package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// runCLI runs the command line tool with args and stdin, and returns what
// it wrote to standard output and standard error.
func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// writeFile writes content to a file name in a temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPolicyCheckGood(t *testing.T) {
	for _, name := range []string{"testdata/policy/good.json", "testdata/policy/good.yaml"} {
		out, errOut, err := runCLI(t, "", "policy", "check", name)
		if err != nil || errOut != "" {
			t.Fatalf("check %s: %v\n%s", name, err, errOut)
		}
		want := name + ": ok (mode block, 2 rules, 7 allowlist entries)\n"
		if out != want {
			t.Errorf("check %s printed %q, want %q", name, out, want)
		}
	}
}

func TestPolicyCheckBad(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string // lines of standard error
	}{
		{"testdata/policy/bad.json", []string{
			`testdata/policy/bad.json:4: rules.sqli-tautology: unknown mode "blok": want off, detect or block`,
			`testdata/policy/bad.json:7: allow.ssrf_hosts[0]: "10.20.0.0/33" is not a CIDR (prefix length out of range): want a host, "*.domain", an address or a CIDR such as 10.0.0.0/8`,
			`testdata/policy/bad.json:9: allow.sql[0]: needs a site ("example.com/app/store.go:67", as events name it) or a shape (an event's value)`,
			`testdata/policy/bad.json:12: allow.routes[0]: needs a path: an exact request path, or a prefix ending in '*' ("/admin/*")`,
		}},
		{"testdata/policy/bad.yaml", []string{
			`testdata/policy/bad.yaml:3: rules.sqli-tautology: unknown mode "blok": want off, detect or block`,
			`testdata/policy/bad.yaml:6: allow.ssrf_hosts[0]: "10.20.0.0/33" is not a CIDR (prefix length out of range): want a host, "*.domain", an address or a CIDR such as 10.0.0.0/8`,
			`testdata/policy/bad.yaml:8: allow.sql[0]: needs a site ("example.com/app/store.go:67", as events name it) or a shape (an event's value)`,
			`testdata/policy/bad.yaml:10: allow.routes[0]: needs a path: an exact request path, or a prefix ending in '*' ("/admin/*")`,
		}},
	} {
		out, errOut, err := runCLI(t, "", "policy", "check", tc.file)
		if err == nil || out != "" {
			t.Errorf("check %s: err %v, stdout %q: want an error and no output", tc.file, err, out)
		}
		if want := strings.Join(tc.want, "\n") + "\n"; errOut != want {
			t.Errorf("check %s: stderr\n%s\nwant\n%s", tc.file, errOut, want)
		}
	}
}

// TestPolicyCheckRequest checks the request keys: each problem of a
// nested field (a route's rate limit, a bot category, a header, an egress
// host) on its own line, and the file: lists read from the policy file's
// directory, a bad entry named by the list's file and line.
func TestPolicyCheckRequest(t *testing.T) {
	out, errOut, err := runCLI(t, "", "policy", "check", "testdata/policy/request-good.json")
	if err != nil || errOut != "" {
		t.Fatalf("check request-good.json: %v\n%s", err, errOut)
	}
	if want := "testdata/policy/request-good.json: ok (mode detect, 0 rules, 0 allowlist entries; request keys: trusted_proxies, block_ips, allow_ips, routes (2), bots, users, attack_wave, egress)\n"; out != want {
		t.Errorf("check request-good.json printed %q, want %q", out, want)
	}
	const (
		badList = `file:request-ips-bad.txt: testdata/policy/request-ips-bad.txt:5: "10.0.0.0/33" is not an address or a CIDR (prefix length 33 is over 32): want an address (192.0.2.1, 2001:db8::1) or a CIDR (10.0.0.0/8, 2001:db8::/32)`
		missing = `file:no-such-list.txt: testdata/policy/no-such-list.txt does not exist (a relative name is read from the policy file's directory)`
		noFile  = `"file:" names no file: want file:/path/to/list.txt, one address or CIDR a line`
		by      = `unknown key "session": want ip or user`
		window  = `"1 minute" is not a positive duration: want 1s, 1m or 1h`
		bots    = `unknown category "crawlers" (known: ai_crawlers, http_libraries, scanners, search_engines); add it under bot_patterns`
		header  = `"X-Forwarded User" is not a header name`
		blockF  = `"forever" is not a positive duration: want 1m, 10m or 1h`
		egress  = `"db.internal:0" has a bad port: want api.example.com, *.example.com, an address or a CIDR, with an optional :port`
	)
	for _, tc := range []struct {
		file  string
		lines []int // of the problems below, in order
	}{
		{"testdata/policy/request-bad.json", []int{3, 4, 10, 12, 14, 20, 23, 27, 33}},
		{"testdata/policy/request-bad.yaml", []int{5, 8, 14, 16, 18, 21, 24, 28, 33}},
	} {
		fields := []string{
			"block_ips[1]: " + badList,
			"allow_ips[1]: " + missing,
			"routes[1].block_ips[0]: " + noFile,
			"routes[1].rate_limit.by: " + by,
			"routes[1].rate_limit.window: " + window,
			"bots.crawlers: " + bots,
			"users.headers[0]: " + header,
			"attack_wave.block_for: " + blockF,
			"egress.hosts[2]: " + egress,
		}
		var want strings.Builder
		for i, f := range fields {
			fmt.Fprintf(&want, "%s:%d: %s\n", tc.file, tc.lines[i], f)
		}
		out, errOut, err := runCLI(t, "", "policy", "check", tc.file)
		if err == nil || out != "" {
			t.Errorf("check %s: err %v, stdout %q: want an error and no output", tc.file, err, out)
		}
		if errOut != want.String() {
			t.Errorf("check %s: stderr\n%s\nwant\n%s", tc.file, errOut, want.String())
		}
	}
}

// TestPolicyCheckListFiles checks the file: lists: relative to the
// policy file's directory whatever the working directory, absolute paths,
// a directory, and a valid list with a bad inline entry beside it.
func TestPolicyCheckListFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "lists"), 0o755); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "lists", "good.txt")
	if err := os.WriteFile(good, []byte("192.0.2.1\n10.0.0.0/8 # office\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lists", "bad.txt"), []byte("\ufeff192.0.2.1\n\n  fe80::1%eth0  \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, content, want string }{
		{"ok.json", `{"bypass_ips": ["file:lists/good.txt", "file:` + good + `"]}`, ""},
		{"rel.json", "{\n\"trusted_proxies\": [\"file:lists/bad.txt\"]\n}\n",
			"rel.json:2: trusted_proxies[0]: file:lists/bad.txt: " + filepath.Join(dir, "lists", "bad.txt") + `:3: "fe80::1%eth0" is not an address or a CIDR`},
		{"dir.yaml", "routes:\n  - path: /a\n    block_ips:\n      - file:lists\n",
			"dir.yaml:4: routes[0].block_ips[0]: file:lists: " + filepath.Join(dir, "lists") + " is a directory"},
		{"abs.json", `{"allow_ips": ["file:` + filepath.Join(dir, "gone.txt") + `"]}`,
			"abs.json:1: allow_ips[0]: file:" + filepath.Join(dir, "gone.txt") + ": " + filepath.Join(dir, "gone.txt") + " does not exist\n"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, err := runCLI(t, "", "policy", "check", path)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v\n%s", tc.name, err, errOut)
			}
			continue
		}
		got := strings.TrimPrefix(errOut, dir+string(filepath.Separator))
		if err == nil || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: stderr %q, want it to start with %q", tc.name, got, tc.want)
		}
	}
}

// TestPolicyCheckErrors checks that every kind of mistake names the file,
// the line and the field.
func TestPolicyCheckErrors(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"syntax.json", "{\n  \"mode\": \"block\",\n  \"allow\": {,}\n}\n", "syntax.json:3: invalid character ','"},
		{"unknown.json", "{\n  \"mode\": \"block\",\n  \"allow\": {\"hosts\": []}\n}\n", `unknown.json:3: unknown field "hosts"`},
		{"type.json", "{\n  \"allow\": {\n    \"ssrf_hosts\": \"x\"\n  }\n}\n", "type.json:3: field allow.ssrf_hosts: want []string, got string"},
		{"short.json", "{\n  \"mode\": \"block\",\n", "short.json:3: the policy ends early"},
		{"mode.json", "{\n  \"mode\": \"blok\"\n}\n", `mode.json:2: mode: unknown mode "blok": want off, detect or block`},
		{"rule.json", "{\n  \"rules\": {\n    \"sqli-nope\": \"block\"\n  }\n}\n", `rule.json:3: rules.sqli-nope: unknown rule "sqli-nope" (known: sqli-dynamic,`},
		{"shell.json", "{\"allow\": {\"shell_commands\": [\n  \"ok.sh\",\n  \"backup.sh \\\\\"\n]}}\n", "shell.json:3: allow.shell_commands[1]: the pattern ends with a lone backslash"},
		{"empty.json", "{\"allow\": {\"path_bases\": [\"/srv\", \"\"]}}\n", "empty.json:1: allow.path_bases[1]: empty entry: remove it"},
		{"unknown.yaml", "mode: block\nallow:\n  hosts:\n    - a\n", `unknown.yaml:3: unknown field "hosts"`},
		{"type.yaml", "mode: block\nallow:\n  ssrf_hosts: 10.0.0.1\n", "type.yaml:3: field allow.ssrf_hosts: want []string, got string"},
		{"number.yaml", "# comment\nmode: 1\n", "number.yaml:2: field mode: want string, got number"},
		{"bool.yaml", "rules:\n  sqli-union: true\n", "bool.yaml:2: field rules: want string, got bool"},
		{"entry.yaml", "allow:\n  sql:\n    - site: a.go:1\n    - rule: sqli-nope\n      site: b.go:2\n", `entry.yaml:4: allow.sql[1].rule: unknown rule "sqli-nope"`},
		{"cidr.yaml", "allow:\n  ssrf_hosts:\n    - ok.internal\n    - 10.0.0.0/99\n", `cidr.yaml:4: allow.ssrf_hosts[1]: "10.0.0.0/99" is not a CIDR`},
		{"dup.yaml", "mode: block\nmode: off\n", `dup.yaml:2: key "mode" repeats (first at line 1): keep one`},
		{"syntax.yaml", "mode: block\n  allow: [\n", "syntax.yaml:2: "},
		{"empty.yaml", "# nothing\n", "empty.yaml: the file is empty"},
		{"list.yaml", "- mode: block\n", "list.yaml:1: want a mapping at the top"},
		{"two.yml", "mode: block\n---\nmode: off\n", "two.yml:2: a policy file holds one YAML document"},
	} {
		path := writeFile(t, tc.name, tc.content)
		_, errOut, err := runCLI(t, "", "policy", "check", path)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		got := strings.TrimPrefix(errOut, filepath.Dir(path)+string(filepath.Separator))
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: stderr %q, want it to start with %q", tc.name, got, tc.want)
		}
	}
}

func TestPolicyCheckSeveralFiles(t *testing.T) {
	out, errOut, err := runCLI(t, "", "policy", "check", "testdata/policy/good.yaml", "testdata/policy/bad.json", "testdata/policy/good.json")
	if err == nil {
		t.Fatal("no error with an invalid file")
	}
	if n := strings.Count(out, ": ok ("); n != 2 {
		t.Errorf("%d files ok, want 2:\n%s", n, out)
	}
	if !strings.HasPrefix(errOut, "testdata/policy/bad.json:4: ") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestPolicyConvert(t *testing.T) {
	out, errOut, err := runCLI(t, "", "policy", "convert", "testdata/policy/good.yaml")
	if err != nil {
		t.Fatalf("convert: %v\n%s", err, errOut)
	}
	golden(t, "policy/good.json", out)

	// The same policy, read either way.
	y, err := loadPolicy("testdata/policy/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := loadPolicy("testdata/policy/good.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y.Policy, j.Policy) {
		t.Errorf("the YAML and JSON policies differ:\n%+v\n%+v", y.Policy, j.Policy)
	}
}

func TestPolicyConvertOutput(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "policy.json")
	out, errOut, err := runCLI(t, "", "policy", "convert", "testdata/policy/good.yaml", "-o", dst)
	if err != nil || out != "" {
		t.Fatalf("convert -o: %v, stdout %q\n%s", err, out, errOut)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("testdata/policy/good.json")
	if !bytes.Equal(got, want) {
		t.Errorf("convert -o wrote\n%s\nwant\n%s", got, want)
	}
	if _, _, err := runCLI(t, "", "policy", "check", dst); err != nil {
		t.Errorf("check of the converted file: %v", err)
	}
}

func TestPolicyConvertRefuses(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "policy.json")
	_, errOut, err := runCLI(t, "", "policy", "convert", "testdata/policy/bad.yaml", "-o", dst)
	if err == nil || !strings.HasPrefix(errOut, "testdata/policy/bad.yaml:3: rules.sqli-tautology: ") {
		t.Errorf("convert of an invalid policy: %v\n%s", err, errOut)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("convert wrote an invalid policy")
	}
	_, errOut, err = runCLI(t, "", "policy", "convert", "testdata/policy/good.json")
	if err == nil || !strings.Contains(errOut, "not a YAML file") {
		t.Errorf("convert of a JSON file: %v\n%s", err, errOut)
	}
}

func TestYAMLScalars(t *testing.T) {
	// Quoted and plain strings, YAML 1.1 words that are strings in YAML
	// 1.2, anchors, flow lists, and characters JSON would escape.
	src := "mode: off\nrules: {sqli-union: &m block, sqli-stacked: *m}\nallow:\n  shell_commands: ['a && b > c', \"x\\ty\"]\n  path_bases: []\n"
	conv, err := yamlToJSON("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "mode": "off",
  "rules": {
    "sqli-union": "block",
    "sqli-stacked": "block"
  },
  "allow": {
    "shell_commands": [
      "a && b > c",
      "x\ty"
    ],
    "path_bases": []
  }
}
`
	if got := conv.buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if conv.index["allow.shell_commands[1]"] != 4 || conv.index["rules.sqli-stacked"] != 2 {
		t.Errorf("field lines: %v", conv.index)
	}
}
