package toolexec

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// ImportCfg is the content of a compiler or linker -importcfg file.
type importCfg struct {
	PackageFile map[string]string // import path -> archive
	ImportMap   map[string]string // import path in source -> import path
	Other       []string          // lines kept verbatim (modinfo, comments...)
}

// ReadImportCfg parses the importcfg file at path.
func readImportCfg(path string) (*importCfg, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg := &importCfg{PackageFile: map[string]string{}, ImportMap: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		verb, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		k, v, ok := strings.Cut(rest, "=")
		switch {
		case verb == "packagefile" && ok:
			cfg.PackageFile[k] = v
		case verb == "importmap" && ok:
			cfg.ImportMap[k] = v
		default:
			cfg.Other = append(cfg.Other, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Resolve maps an import path as written in source to the path of its
// archive.
func (c *importCfg) Resolve(path string) (string, bool) {
	if m, ok := c.ImportMap[path]; ok {
		path = m
	}
	f, ok := c.PackageFile[path]
	return f, ok
}

// Write writes the importcfg to path.
func (c *importCfg) Write(path string) error {
	var b bytes.Buffer
	for _, l := range c.Other {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	for _, k := range slices.Sorted(maps.Keys(c.ImportMap)) {
		fmt.Fprintf(&b, "importmap %s=%s\n", k, c.ImportMap[k])
	}
	for _, k := range slices.Sorted(maps.Keys(c.PackageFile)) {
		fmt.Fprintf(&b, "packagefile %s=%s\n", k, c.PackageFile[k])
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
