package ipset

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
)

// maxLine is the longest line Read accepts.
const maxLine = 1 << 16

// ParseFile returns the set of the entries of the named file, as Read
// reads them; errors name the file and the line.
func ParseFile(name string) (*Set, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, name)
}

// Read returns the set of the entries read from r, one a line, as Parse
// takes them. A # and what follows it on its line is a comment; blank
// lines, spaces and tabs around an entry, a carriage return at the end of a
// line and a UTF-8 byte order mark at the start are ignored. Source names
// r in errors ("feed.txt:12: ..."); an invalid entry's error is an
// *EntryError.
func Read(r io.Reader, source string) (*Set, error) {
	var b builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	line, index := 0, 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		if i := bytes.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		text = bytes.Trim(text, " \t\r")
		if len(text) == 0 {
			continue
		}
		if e := b.addEntry(index, string(text)); e != nil {
			e.Source, e.Line = source, line
			return nil, e
		}
		index++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", source, line+1, err)
	}
	return b.build(), nil
}
