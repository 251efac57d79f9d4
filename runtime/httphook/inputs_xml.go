package httphook

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// xmlFrame is an element the XML walk is in.
type xmlFrame struct {
	name string // the element's local name
	text []byte // its own character data so far, CDATA sections included
}

// xml adds the text and the attribute values of the elements of an XML
// document, until the document ends or breaks. It reads the token stream
// of encoding/xml's Decoder, which checks that the document is well
// formed (Strict), knows only the predefined entities and character
// references, and neither reads a DTD nor expands an entity it declares.
// Details:
//
//   - The text of an element is its own character data (CDATA sections
//     included, the text of its children left out), joined as a handler's
//     xml.Unmarshal joins it, then trimmed; it is added when the element
//     ends, named by the path of local names from the root ("root.file").
//   - Each attribute value is added when its element starts, named by the
//     element's path, '@' and the attribute's local name
//     ("root.file@name"). Namespace declarations (xmlns, xmlns:p) are not
//     inputs: they are URIs that no handler reads as data.
//   - Names are not inputs: XML names cannot hold quotes, spaces or most
//     punctuation.
//   - Several top-level elements are read one after the other, as a
//     Decoder reads them; text outside any element is skipped.
//   - Elements nested more than 32 levels deep are skipped, the walk goes
//     on.
//   - A declared encoding other than UTF-8 is read as UTF-8, byte for byte:
//     encoding/xml refuses such a document without a CharsetReader, and a
//     payload is ASCII in every encoding a handler would accept.
//   - When the document breaks (a syntax error, or the end of what was
//     captured), the text read so far of the elements still open is added,
//     innermost first, and the walk stops.
func (c *collector) xml(data []byte) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []xmlFrame
	var b strings.Builder
	// path returns the path of the element stack[n-1], with "@attr" when
	// attr is not empty.
	path := func(n int, attr string) string {
		b.Reset()
		for i, f := range stack[:n] {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.name)
		}
		if attr != "" {
			b.WriteByte('@')
			b.WriteString(attr)
		}
		return b.String()
	}
	// text adds the text of the element stack[n-1].
	text := func(n int) {
		if n > maxDepth {
			return
		}
		if t := bytes.TrimSpace(stack[n-1].text); len(t) > 0 {
			c.add("xml", path(n, ""), string(t))
		}
	}
	for !c.full() {
		tok, err := dec.Token()
		if err != nil {
			// io.EOF, or the document is broken or truncated.
			for n := len(stack); n > 0 && !c.full(); n-- {
				text(n)
			}
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			// Reuse the text buffer of the last element that ended here.
			if n := len(stack); n < cap(stack) {
				stack = stack[:n+1]
				stack[n].name, stack[n].text = t.Name.Local, stack[n].text[:0]
			} else {
				stack = append(stack, xmlFrame{name: t.Name.Local})
			}
			if len(stack) > maxDepth {
				continue
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" || a.Value == "" {
					continue
				}
				c.add("xml", path(len(stack), a.Name.Local), a.Value)
			}
		case xml.EndElement:
			// The Decoder matched it with the top of the stack.
			if n := len(stack); n > 0 {
				text(n)
				stack = stack[:n-1]
			}
		case xml.CharData:
			n := len(stack)
			if n == 0 || n > maxDepth {
				continue
			}
			f := &stack[n-1]
			if len(f.text) == 0 && len(bytes.TrimSpace(t)) == 0 {
				continue // white space before the text, or between children
			}
			f.text = append(f.text, t...)
		}
	}
}
