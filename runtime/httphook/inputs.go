package httphook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/jwtclaims"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

const (
	maxInputs   = 256  // inputs of one request
	maxDepth    = 32   // JSON values and XML elements nested deeper are not inputs
	maxValueLen = 4096 // longer values are truncated
	teeFirstCap = 4096 // first buffer of a bodyTee, if max allows
)

// bodyTee wraps a request body and keeps a copy of the first max bytes the
// handler reads, so that inputs can be read from the body without
// consuming it. It implements io.ReadCloser.
//
// The handler reads exactly what the wrapped body yields, errors included.
// The buffer is allocated at the first Read that returns bytes. Captured
// may be called from any goroutine, concurrently with Read.
type bodyTee struct {
	rc   io.ReadCloser
	max  int
	hint int64 // the body's length if known (Content-Length), else 0 or -1

	mu  sync.Mutex
	buf []byte
}

// Read reads from the wrapped body and keeps a copy of what it returns,
// up to the tee's limit.
func (b *bodyTee) Read(p []byte) (int, error) {
	if b.rc == nil {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if n > 0 && n <= len(p) && b.max > 0 {
		b.capture(p[:n])
	}
	return n, err
}

func (b *bodyTee) capture(p []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.max - len(b.buf)
	if room <= 0 {
		return
	}
	if len(p) > room {
		p = p[:room]
	}
	if need := len(b.buf) + len(p); need > cap(b.buf) {
		// Grow by hand, never past max. The bytes already captured stay
		// where they are in the old array, for the callers of Captured.
		c := 2 * cap(b.buf)
		switch {
		case c == 0 && b.hint > 0:
			c = int(min(b.hint, int64(b.max))) // the whole body, as announced
		case c < teeFirstCap:
			c = teeFirstCap
		}
		if c < need {
			c = need
		}
		if c > b.max {
			c = b.max
		}
		nb := make([]byte, len(b.buf), c)
		copy(nb, b.buf)
		b.buf = nb
	}
	b.buf = append(b.buf, p...)
}

// Close closes the wrapped body.
func (b *bodyTee) Close() error {
	if b.rc == nil {
		return nil
	}
	return b.rc.Close()
}

// Captured returns what was read so far, up to the tee's limit. The caller
// must not change the bytes.
func (b *bodyTee) Captured() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf[:len(b.buf):len(b.buf)]
}

// inputs returns the inputs of r: query values, form values (urlencoded
// body from the tee's captured bytes, or r.PostForm / r.MultipartForm.Value
// when the handler parsed them), JSON body keys and string/number values
// walked recursively (Name is the key path like "user.name" or "ids[2]"),
// XML body element texts and attribute values (Name is the element path
// like "root.file" or "root.file@name"), path segments of r.URL.Path,
// cookies, and the headers that carry data: Referer, User-Agent, Origin,
// X-Forwarded-For, X-Forwarded-Host, X-Real-Ip, and every other header
// but the ones listed at skipHeader. body may be nil.
//
// The order is fixed: query, form or multipart, JSON, XML, path, cookies,
// headers. Within a source the inputs come in the order of the request
// where it is known (query string, captured form body, JSON body, XML
// body, path, Cookie header), else sorted by name (r.PostForm,
// r.MultipartForm, the headers after the six named above). Details:
//
//   - Query and captured form bodies are split on '&' by hand, so a pair
//     that net/url refuses (one holding ';') still counts; a name or value
//     that does not unescape is taken as sent.
//   - The form comes from r.MultipartForm when the handler parsed a
//     multipart form (Source "multipart"; the file names of its files are
//     inputs too, named by their field), else from r.PostForm when the
//     handler parsed the form, else from the captured body when the
//     Content-Type is application/x-www-form-urlencoded.
//   - The JSON body is read from the captured bytes when the Content-Type is
//     application/json or a +json type, or when the bytes start with '{' or
//     '[' after white space, whatever the Content-Type. Strings and numbers
//     are inputs (numbers as written), named by their path ("user.name",
//     "ids[2]", "[0].id" under a top-level array); values nested more than
//     32 levels deep are skipped; the walk stops at the first syntax error
//     or at the end of what was captured, keeping what it saw before.
//   - The XML body is read from the captured bytes when the Content-Type is
//     application/xml, text/xml or a +xml type (application/soap+xml), and
//     only then: see collector.xml. It has the JSON body's bounds: the
//     same captured bytes, depth and count.
//   - A name (query, form, JSON key) is also an input, with the name as
//     value, when it holds a byte other than ASCII letters, digits and
//     "_-.[]": such a key may be spliced into a query by code that
//     iterates over the parameters.
//   - Path segments are cut from the escaped path and unescaped one by one,
//     so that an encoded slash stays inside its segment; Name is the
//     segment's index (0 for the first non-empty one). A route parameter
//     may span segments (/raw/{path...}, /compare/{base}...{head} with a
//     head holding '/'): the wildcards of net/http's pattern that matched
//     (r.Pattern) are inputs with their whole value, named by the
//     wildcard, and so is, for any router, the rest of the path from each
//     segment after the first ("1..", "2..", at most 8, when it spans two
//     segments at least); a value holding "..." (a revision range) also
//     gives its parts.
//   - Header inputs are named by the canonical header name (Source
//     "header"); r.Host is not an input, and neither is any header that
//     skipHeader excludes, Authorization among them.
//   - Empty values are left out; values are truncated to 4096 bytes; a
//     value holding '%' is followed by its url.QueryUnescape form when that
//     succeeds and differs; there are at most 256 inputs.
func inputs(r *http.Request, body *bodyTee) []taint.Input {
	if r == nil {
		return nil
	}
	c := collector{ins: make([]taint.Input, 0, 16)}
	if r.URL != nil {
		c.pairs("query", r.URL.RawQuery)
	}

	ct := mediaType(r.Header.Get("Content-Type"))
	var captured []byte
	if body != nil {
		captured = body.Captured()
	}
	switch {
	case r.MultipartForm != nil:
		// ParseMultipartForm copies these values into r.PostForm too.
		c.values("multipart", r.MultipartForm.Value)
		files := r.MultipartForm.File
		for _, k := range sortedKeys(files) {
			for _, fh := range files[k] {
				if fh != nil {
					c.add("multipart", k, fh.Filename)
				}
			}
		}
	case len(r.PostForm) > 0:
		c.values("form", r.PostForm)
	case ct == "application/x-www-form-urlencoded" && len(captured) > 0:
		c.pairs("form", string(captured))
	}
	if len(captured) > 0 && (ct == "application/json" || strings.HasSuffix(ct, "+json") || looksJSON(captured)) {
		c.json("json", captured)
	}
	if len(captured) > 0 && (ct == "application/xml" || ct == "text/xml" || strings.HasSuffix(ct, "+xml")) {
		c.xml(captured)
	}
	if len(captured) > 0 {
		c.archive(captured)
	}

	if r.URL != nil {
		c.path(r.URL.EscapedPath())
		c.params(r)
		c.spans(r.URL.EscapedPath())
	}
	if len(r.Header["Cookie"]) > 0 {
		for _, ck := range r.Cookies() {
			c.add("cookie", ck.Name, ck.Value)
		}
	}
	c.jwt(r.Header.Get("Authorization"))
	c.headers(r.Header)
	return c.ins
}

// jwt adds the string claims of a bearer token (source jwt), named by
// their path ("sub", "user.name", "roles[0]"). The token is decoded, not
// verified: its claims are what the client sent, like a query parameter.
func (c *collector) jwt(auth string) {
	if auth == "" || c.full() {
		return
	}
	tok, ok := jwtclaims.FromAuthorization(auth)
	if !ok {
		return
	}
	tok.StringClaims(func(name, value string) { c.add("jwt", name, value) })
}

// dataHeaders are the headers that carry client data and come first among
// the header inputs, in the order they are listed.
var dataHeaders = []string{"Referer", "User-Agent", "Origin", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip"}

type collector struct {
	ins []taint.Input
}

func (c *collector) full() bool { return len(c.ins) >= maxInputs }

// add adds the value, and its decoded form when it holds '%'.
func (c *collector) add(src, name, val string) {
	if val == "" || c.full() {
		return
	}
	dec := ""
	if strings.IndexByte(val, '%') >= 0 {
		if d, err := url.QueryUnescape(val); err == nil && d != val && d != "" {
			dec = d
		}
	}
	c.ins = append(c.ins, taint.Input{Source: src, Name: name, Value: truncate(val)})
	if dec != "" && !c.full() {
		c.ins = append(c.ins, taint.Input{Source: src, Name: name, Value: truncate(dec)})
	}
}

// addName adds a parameter or key name as an input when it is unusual.
func (c *collector) addName(src, name, key string) {
	if unusualName(key) {
		c.add(src, name, key)
	}
}

func truncate(s string) string {
	if len(s) > maxValueLen {
		return s[:maxValueLen]
	}
	return s
}

// unusualName reports whether a parameter name holds a byte other than
// ASCII letters, digits and "_-.[]".
func unusualName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == '[' || c == ']') {
			return true
		}
	}
	return false
}

// pairs adds the name=value pairs of a query string or urlencoded body, in
// order.
func (c *collector) pairs(src, raw string) {
	for raw != "" && !c.full() {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = unescapeOr(k), unescapeOr(v)
		c.addName(src, k, k)
		c.add(src, k, v)
	}
}

func unescapeOr(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// values adds parsed form values, by sorted name.
func (c *collector) values(src string, m url.Values) {
	for _, k := range sortedKeys(m) {
		c.addName(src, k, k)
		for _, v := range m[k] {
			c.add(src, k, v)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// path adds the segments of an escaped URL path.
func (c *collector) path(p string) {
	idx := 0
	for p != "" && !c.full() {
		var seg string
		seg, p, _ = strings.Cut(p, "/")
		if seg == "" {
			continue
		}
		v := seg
		if strings.IndexByte(seg, '%') >= 0 {
			if u, err := url.PathUnescape(seg); err == nil {
				v = u
			}
		}
		c.add("path", strconv.Itoa(idx), v)
		idx++
	}
}

// maxArchiveNames bounds the archive entry names taken from one body.
const maxArchiveNames = 16

// archive adds the entry names of a zip or tar archive in the captured
// body (sent raw or as a multipart file) that are not local paths: an
// absolute name, or one with a ".." segment (zip slip, tar slip). The
// names are read where they lie uncompressed: a zip's local file headers,
// a tar's headers (found by their "ustar" magic).
func (c *collector) archive(b []byte) {
	n := 0
	for off := 0; n < maxArchiveNames && !c.full(); {
		i := bytes.Index(b[off:], []byte("PK\x03\x04"))
		if i < 0 {
			break
		}
		h := off + i
		off = h + 4
		if h+30 > len(b) {
			break
		}
		l := int(b[h+26]) | int(b[h+27])<<8
		if h+30+l > len(b) {
			break
		}
		if name := string(b[h+30 : h+30+l]); !localName(name) {
			c.add("archive", "zip", name)
			n++
		}
	}
	for off := 0; n < maxArchiveNames && !c.full(); {
		i := bytes.Index(b[off:], []byte("ustar"))
		if i < 0 {
			break
		}
		m := off + i
		off = m + 5
		if m < 257 {
			continue
		}
		hdr := b[m-257:]
		name := hdr[:100]
		if k := bytes.IndexByte(name, 0); k >= 0 {
			name = name[:k]
		}
		if len(hdr) >= 345+155 && bytes.Equal(hdr[257:263], []byte("ustar\x00")) {
			if prefix := hdr[345 : 345+155]; prefix[0] != 0 {
				if k := bytes.IndexByte(prefix, 0); k >= 0 {
					prefix = prefix[:k]
				}
				name = append(append(append([]byte(nil), prefix...), '/'), name...)
			}
		}
		if s := string(name); s != "" && !localName(s) {
			c.add("archive", "tar", s)
			n++
		}
	}
}

// localName reports whether an archive entry name stays below the
// directory it is extracted to: relative, without a ".." segment
// (backslashes taken as separators too).
func localName(name string) bool {
	name = strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(name, "/") || len(name) > 1 && name[1] == ':' {
		return false
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return false
		}
	}
	return true
}

// maxSpanning bounds the rest-of-path inputs of one request.
const maxSpanning = 8

// params adds the values of the wildcards of r's net/http pattern that
// hold a '/' (a {name...} wildcard, or an escaped slash), and their parts.
func (c *collector) params(r *http.Request) {
	pat := r.Pattern
	for pat != "" && !c.full() {
		i := strings.IndexByte(pat, '{')
		if i < 0 {
			return
		}
		j := strings.IndexByte(pat[i:], '}')
		if j < 0 {
			return
		}
		name := strings.TrimSuffix(pat[i+1:i+j], "...")
		pat = pat[i+j+1:]
		if v := r.PathValue(name); strings.IndexByte(v, '/') >= 0 {
			c.spanning(name, v)
		}
	}
}

// spans adds the rest of the escaped path p from each segment after the
// first, unescaped, when it spans two segments at least: the value of a
// route parameter that takes the rest of the path, whatever the router.
func (c *collector) spans(p string) {
	idx, n := 0, 0
	for p != "" && n < maxSpanning && !c.full() {
		if p[0] == '/' {
			p = p[1:]
			continue
		}
		if idx > 0 {
			if strings.IndexByte(strings.TrimRight(p, "/"), '/') < 0 {
				return // one segment left: the segment inputs have it
			}
			v := p
			if strings.IndexByte(v, '%') >= 0 {
				if u, err := url.PathUnescape(v); err == nil {
					v = u
				}
			}
			c.spanning(strconv.Itoa(idx)+"..", v)
			n++
		}
		k := strings.IndexByte(p, '/')
		if k < 0 {
			return
		}
		p = p[k:]
		idx++
	}
}

// spanning adds a path value that spans segments, and, when it holds
// "...", its parts (a revision range base...head).
func (c *collector) spanning(name, v string) {
	c.add("path", name, v)
	if !strings.Contains(v, "...") {
		return
	}
	for v != "" && !c.full() {
		part, rest, found := strings.Cut(v, "...")
		if !found {
			c.add("path", name, part)
			return
		}
		if part != "" {
			c.add("path", name, part)
		}
		v = rest
	}
}

// headers adds the values of the headers that carry client data: the
// dataHeaders first, in their order, then every other header with a
// non-empty value that skipHeader does not exclude, sorted by the name
// as it is in h. Only the first names in that order that can still
// become inputs are kept while h is walked, so a request with thousands
// of headers costs no more than a bounded sort.
func (c *collector) headers(h http.Header) {
	for _, name := range dataHeaders {
		for _, v := range h[name] {
			c.add("header", name, v)
		}
	}
	room := maxInputs - len(c.ins)
	if room <= 0 {
		return
	}
	var others []string
	for k, vs := range h {
		// The names in both lists are canonical: a key found there needs
		// no canonicalizing, which keeps a plain browser request cheap.
		if skipHeader(k) || listedHeader(k) || !anyValue(vs) {
			continue // not data, added above, or empty
		}
		if ck := http.CanonicalHeaderKey(k); ck != k && skipHeader(ck) {
			continue
		}
		others = append(others, k)
		if len(others) == 2*room {
			sort.Strings(others)
			others = others[:room]
		}
	}
	sort.Strings(others)
	for _, k := range others {
		if c.full() {
			return
		}
		name := http.CanonicalHeaderKey(k)
		for _, v := range h[k] {
			c.add("header", name, v)
		}
	}
}

// anyValue reports whether one of a header's values is not empty.
func anyValue(vs []string) bool {
	for _, v := range vs {
		if v != "" {
			return true
		}
	}
	return false
}

func listedHeader(name string) bool {
	for _, h := range dataHeaders {
		if h == name {
			return true
		}
	}
	return false
}

// skipHeader reports whether the header of canonical name ck is left out
// of the inputs. Every header is an input but these:
//
//   - Protocol and content negotiation: Accept and Accept-*, Cache-Control,
//     Pragma, Connection, Keep-Alive, Proxy-Connection, Upgrade,
//     Http2-Settings, Te, Trailer, Transfer-Encoding, Expect, Max-Forwards,
//     Via, Content-Length, Content-Type, Content-Encoding, Content-Language,
//     Content-Range, If-*, Range, Host. Their values are formats that
//     net/http, proxies or caches read (tokens, q-value lists, dates,
//     entity tags, byte ranges, numbers), not data a handler passes to a
//     sink; they are on most requests, and short values like "1", "gzip",
//     "close" or "bytes=0-" would match all kinds of sink arguments, which
//     is how false positives start. (The body the Content-* headers
//     describe is read on its own. net/http moves Host to r.Host, which is
//     not an input either: it is the server's own name, which applications
//     put in the URLs they build to themselves.)
//   - Browser metadata, client hints and tracing: Sec-* (Sec-Fetch-*,
//     Sec-Ch-Ua*, Sec-Websocket-*), Priority, Dnt, Upgrade-Insecure-Requests,
//     Save-Data, Access-Control-Request-* (CORS preflight), Traceparent,
//     Tracestate. Fixed formats, sent with every browser or traced request,
//     never read by handlers for their data; the same false positives.
//   - Credentials: Authorization, Proxy-Authorization, the usual API key
//     and token headers (X-Api-Key, X-Auth-Token, X-Access-Token,
//     X-Csrf-Token, X-Xsrf-Token, X-Amz-Security-Token), and Cookie, whose
//     cookies are read one by one as Source "cookie". A credential is
//     never read, so it is never copied into an event or a log.
//   - X-Request-Id: the middleware takes it as the request's ID.
func skipHeader(ck string) bool {
	switch ck {
	case "Accept", "Cache-Control", "Pragma", "Connection", "Keep-Alive", "Proxy-Connection",
		"Upgrade", "Http2-Settings", "Te", "Trailer", "Transfer-Encoding", "Expect",
		"Max-Forwards", "Via", "Content-Length", "Content-Type", "Content-Encoding",
		"Content-Language", "Content-Range", "Range", "Host",
		"Priority", "Dnt", "Upgrade-Insecure-Requests", "Save-Data", "Traceparent", "Tracestate",
		"Authorization", "Proxy-Authorization", "Cookie",
		"X-Api-Key", "X-Auth-Token", "X-Access-Token", "X-Csrf-Token", "X-Xsrf-Token", "X-Amz-Security-Token",
		"X-Request-Id":
		return true
	}
	return strings.HasPrefix(ck, "Accept-") || strings.HasPrefix(ck, "If-") ||
		strings.HasPrefix(ck, "Sec-") || strings.HasPrefix(ck, "Access-Control-Request-")
}

// mediaType returns the lower-cased media type of a Content-Type, without
// parameters.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// looksJSON reports whether b starts with '{' or '[' after white space.
func looksJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// jsonFrame is an object or array the JSON walk is in.
type jsonFrame struct {
	path    string // the container's own path ("" at the top)
	array   bool
	index   int    // next element's index, in an array
	key     string // the current key, in an object
	wantKey bool   // the next string is a key, in an object
}

// json adds the strings and numbers of a JSON document, and its unusual
// keys, until the document ends or breaks, under source src ("json" for a
// request body; a message's source for a message).
func (c *collector) json(src string, data []byte) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []jsonFrame
	// next returns the path of the value that starts now and whether it is
	// shallow enough to count, and moves the container on.
	next := func() (string, bool) {
		if len(stack) == 0 {
			return "", true
		}
		f := &stack[len(stack)-1]
		deep := len(stack) > maxDepth
		if f.array {
			i := f.index
			f.index++
			if deep {
				return "", false
			}
			return f.path + "[" + strconv.Itoa(i) + "]", true
		}
		f.wantKey = true
		if deep {
			return "", false
		}
		return joinKey(f.path, f.key), true
	}
	for !c.full() {
		tok, err := dec.Token()
		if err != nil {
			return // io.EOF, or the document is broken or truncated
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				p, _ := next()
				stack = append(stack, jsonFrame{path: p, array: t == '[', wantKey: t == '{'})
			default:
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
				f := &stack[n-1]
				f.key, f.wantKey = t, false
				if n <= maxDepth {
					c.addName(src, joinKey(f.path, t), t)
				}
				continue
			}
			if p, ok := next(); ok {
				c.add(src, p, t)
			}
		case json.Number:
			if p, ok := next(); ok {
				c.add(src, p, string(t))
			}
		default: // true, false, null
			next()
		}
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
