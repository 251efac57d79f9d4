package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"
)

const (
	generatedBegin = "<!-- generated: go test ./cmd/rasp-instrument/cli -run TestDocTables -update -->\n"
	generatedEnd   = "<!-- end of generated table -->\n"
)

// TestDocTables: the tables of docs/sinks.md (the built-in spec's call
// sinks) and docs/policy.md (the rule catalogue) are what the tool
// generates; -update rewrites them.
func TestDocTables(t *testing.T) {
	sp, err := spec.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var sinks, rules bytes.Buffer
	writeSinksTable(&sinks, sp)
	writeRulesTable(&rules)
	for file, table := range map[string]string{"sinks.md": sinks.String(), "policy.md": rules.String()} {
		name := filepath.Join("..", "..", "..", "docs", file)
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		doc := string(data)
		a := strings.Index(doc, generatedBegin)
		b := strings.Index(doc, generatedEnd)
		if a < 0 || b < a {
			t.Fatalf("%s: no generated table (between %q and %q)", name, strings.TrimSpace(generatedBegin), strings.TrimSpace(generatedEnd))
		}
		a += len(generatedBegin)
		if doc[a:b] == table {
			continue
		}
		if *update {
			if err := os.WriteFile(name, []byte(doc[:a]+table+doc[b:]), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s: the generated table is stale; run go test ./cmd/rasp-instrument/cli -run TestDocTables -update\nhave:\n%s\nwant:\n%s", name, doc[a:b], table)
	}
}
