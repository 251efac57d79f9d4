package ipset

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRead checks comments, blank lines, CRLF, a byte order mark and
// spaces in a file.
func TestRead(t *testing.T) {
	const feed = "\ufeff# threat feed, 2024-05-01\r\n" +
		"\r\n" +
		"192.0.2.1\r\n" +
		"   # an indented comment\n" +
		"198.51.100.0/24   # a trailing comment\n" +
		"\t2001:db8::/32\t\n" +
		"203.0.113.7#no space before the comment\n" +
		"#192.0.2.99\n" +
		"\n" +
		"10.0.0.0/8" // no newline at the end
	s, err := Read(strings.NewReader(feed), "feed.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"192.0.2.1", "198.51.100.200", "2001:db8::1", "203.0.113.7", "10.1.1.1"} {
		if !s.Contains(netip.MustParseAddr(a)) {
			t.Errorf("Contains(%s) = false", a)
		}
	}
	for _, a := range []string{"192.0.2.99", "192.0.2.2"} {
		if s.Contains(netip.MustParseAddr(a)) {
			t.Errorf("Contains(%s) = true", a)
		}
	}
	if s.Len() != 5 {
		t.Errorf("Len() = %d, want 5", s.Len())
	}
}

// TestReadErrors checks that errors name the source and the line, and
// count Index in entries.
func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, text, source string
		line, index        int
		entry, msg         string
	}{
		{
			name:   "bad prefix length",
			text:   "# feed\n192.0.2.1\n\n10.0.0.0/33 # typo\n",
			source: "feed.txt", line: 4, index: 1, entry: "10.0.0.0/33",
			msg: `feed.txt:4: "10.0.0.0/33" is not an address or a CIDR (prefix length 33 is over 32): want `,
		},
		{
			name:   "zone",
			text:   "fe80::1%eth0\n",
			source: "feed.txt", line: 1, index: 0, entry: "fe80::1%eth0",
			msg: `feed.txt:1: "fe80::1%eth0" is not an address or a CIDR (it has the IPv6 zone "%eth0"`,
		},
		{
			name: "no source",
			text: "192.0.2.1\r\nhost.example\r\n",
			line: 2, index: 1, entry: "host.example",
			msg: `line 2: "host.example" is not an address or a CIDR: want`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Read(strings.NewReader(tt.text), tt.source)
			var e *EntryError
			if s != nil || !errors.As(err, &e) {
				t.Fatalf("Read = %v, %v; want an *EntryError", s, err)
			}
			if e.Source != tt.source || e.Line != tt.line || e.Index != tt.index || e.Entry != tt.entry {
				t.Errorf("EntryError = %+v", *e)
			}
			if !strings.HasPrefix(err.Error(), tt.msg) {
				t.Errorf("error = %q\nwant prefix %q", err, tt.msg)
			}
		})
	}
}

// TestReadFailures checks a line too long and a reader that fails.
func TestReadFailures(t *testing.T) {
	long := "192.0.2.1\n" + strings.Repeat(" ", maxLine+1) + "\n"
	if _, err := Read(strings.NewReader(long), "feed.txt"); err == nil || !strings.HasPrefix(err.Error(), "feed.txt:2: ") {
		t.Errorf("long line: error = %v, want feed.txt:2: ...", err)
	}
	boom := errors.New("boom")
	if _, err := Read(iotest.ErrReader(boom), "feed.txt"); !errors.Is(err, boom) {
		t.Errorf("failing reader: error = %v, want %v", err, boom)
	}
}

// TestParseFile reads a file and a file that is missing.
func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "block.txt")
	if err := os.WriteFile(name, []byte("# block\n192.0.2.0/24\n2001:db8::/32 # docs\nnot-an-ip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(name)
	var e *EntryError
	if !errors.As(err, &e) || e.Source != name || e.Line != 4 || !strings.HasPrefix(err.Error(), name+":4: ") {
		t.Errorf("ParseFile error = %v, want %s:4: ...", err, name)
	}
	if err := os.WriteFile(name, []byte("192.0.2.0/24\n2001:db8::/32 # docs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ParseFile(name)
	if err != nil || !s.Contains(netip.MustParseAddr("192.0.2.9")) || s.Len() != 2 {
		t.Errorf("ParseFile = %v, %v", s, err)
	}
	if _, err := ParseFile(filepath.Join(dir, "missing.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error = %v, want fs.ErrNotExist", err)
	}
}
