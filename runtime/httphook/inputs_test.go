package httphook

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// in is an Input, short.
func input(src, name, val string) taint.Input {
	return taint.Input{Source: src, Name: name, Value: val}
}

// readAll makes r's body a tee, reads it as a handler would and returns the
// tee.
func readAll(t testing.TB, r *http.Request, max int) *BodyTee {
	tee := NewBodyTee(r.Body, max)
	r.Body = tee
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		t.Fatal(err)
	}
	return tee
}

func TestInputs(t *testing.T) {
	tests := []struct {
		name string
		req  func(t *testing.T) (*http.Request, *BodyTee)
		want []taint.Input
	}{
		{
			name: "query",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				return httptest.NewRequest("GET", "/?id=1%20UNION%20SELECT%201&sort=name&a;b=c&empty=&x=%2527", nil), nil
			},
			want: []taint.Input{
				input("query", "id", "1 UNION SELECT 1"),
				input("query", "sort", "name"),
				input("query", "a;b", "a;b"),
				input("query", "a;b", "c"),
				input("query", "x", "%27"),
				input("query", "x", "'"),
			},
		},
		{
			name: "query with a bad escape",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				return httptest.NewRequest("GET", "/?q=%zz'", nil), nil
			},
			want: []taint.Input{input("query", "q", "%zz'")},
		},
		{
			name: "form from the captured body",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/login", strings.NewReader("user=admin%27--&pass=x+y"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("form", "user", "admin'--"),
				input("form", "pass", "x y"),
				input("path", "0", "login"),
			},
		},
		{
			name: "form parsed by the handler",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/?q=1", strings.NewReader("b=2&a=1&a=3"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				tee := NewBodyTee(r.Body, 4)
				r.Body = tee
				if err := r.ParseForm(); err != nil {
					t.Fatal(err)
				}
				return r, tee
			},
			want: []taint.Input{
				input("query", "q", "1"),
				input("form", "a", "1"),
				input("form", "a", "3"),
				input("form", "b", "2"),
			},
		},
		{
			name: "multipart parsed by the handler",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				mw.WriteField("title", "x'; DROP TABLE t; --")
				mw.WriteField("a", "1")
				fw, _ := mw.CreateFormFile("upload", "name; rm -rf.txt")
				fw.Write([]byte("content"))
				mw.Close()
				r := httptest.NewRequest("POST", "/up", &buf)
				r.Header.Set("Content-Type", mw.FormDataContentType())
				tee := NewBodyTee(r.Body, 1<<16)
				r.Body = tee
				if err := r.ParseMultipartForm(1 << 20); err != nil {
					t.Fatal(err)
				}
				return r, tee
			},
			want: []taint.Input{
				input("multipart", "a", "1"),
				input("multipart", "title", "x'; DROP TABLE t; --"),
				input("multipart", "upload", "name; rm -rf.txt"),
				input("path", "0", "up"),
			},
		},
		{
			name: "json",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/api", strings.NewReader(`{"id":"1 UNION SELECT secret FROM users","filter":{"tags":["a","b"]},"n":5}`))
				r.Header.Set("Content-Type", "application/json")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("json", "id", "1 UNION SELECT secret FROM users"),
				input("json", "filter.tags[0]", "a"),
				input("json", "filter.tags[1]", "b"),
				input("json", "n", "5"),
				input("path", "0", "api"),
			},
		},
		{
			name: "json sniffed, top-level array, odd keys, bools and nulls",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				body := " \n[{\"id\":1.50,\"ok\":true,\"x\":null,\"name = '' OR 1=1 --\":\"v\",\"q\":\"%2527\"},[\"z\"]]"
				r := httptest.NewRequest("POST", "/", strings.NewReader(body))
				r.Header.Set("Content-Type", "text/plain") // wrong on purpose
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("json", "[0].id", "1.50"),
				input("json", "[0].name = '' OR 1=1 --", "name = '' OR 1=1 --"),
				input("json", "[0].name = '' OR 1=1 --", "v"),
				input("json", "[0].q", "%2527"),
				input("json", "[0].q", "%27"),
				input("json", "[1][0]", "z"),
			},
		},
		{
			name: "+json type",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`"top"`))
				r.Header.Set("Content-Type", "application/vnd.api+json")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{input("json", "", "top")},
		},
		{
			name: "broken json keeps what came before",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`{"a":"x","b":[1,2,}`))
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("json", "a", "x"),
				input("json", "b[0]", "1"),
				input("json", "b[1]", "2"),
			},
		},
		{
			name: "json truncated by the capture",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`{"a":"x","b":"a long value that is cut"}`))
				return r, readAll(t, r, 20)
			},
			want: []taint.Input{input("json", "a", "x")},
		},
		{
			name: "xml nested elements and attributes",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				body := `<?xml version="1.0" encoding="UTF-8"?>
<root id="7">
  <user role="admin"><name>bob</name><empty/><blank> </blank></user>
  <file name="../x" mode="">  ../etc/passwd
  </file>
</root>`
				r := httptest.NewRequest("POST", "/", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/xml; charset=utf-8")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("xml", "root@id", "7"),
				input("xml", "root.user@role", "admin"),
				input("xml", "root.user.name", "bob"),
				input("xml", "root.file@name", "../x"),
				input("xml", "root.file", "../etc/passwd"),
			},
		},
		{
			name: "xml repeated elements",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`<cmd>/bin/cat</cmd><cmd>/etc/passwd</cmd>`))
				r.Header.Set("Content-Type", "text/xml")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("xml", "cmd", "/bin/cat"),
				input("xml", "cmd", "/etc/passwd"),
			},
		},
		{
			name: "xml CDATA, entities and mixed text",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				body := `<q> <![CDATA[1' OR '1'='1]]>&amp;<b>x</b>&#60;y&gt; <c k="a&quot;b"/></q>`
				r := httptest.NewRequest("POST", "/", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/xml")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("xml", "q.b", "x"),
				input("xml", "q.c@k", `a"b`),
				input("xml", "q", "1' OR '1'='1&<y>"),
			},
		},
		{
			name: "soap+xml, namespaces",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				body := `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns="urn:files">
<soap:Body><GetFile soap:encodingStyle="x"><path>../../etc/passwd</path><q>%2e%2e</q></GetFile></soap:Body>
</soap:Envelope>`
				r := httptest.NewRequest("POST", "/svc", strings.NewReader(body))
				r.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="urn:GetFile"`)
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("xml", "Envelope.Body.GetFile@encodingStyle", "x"),
				input("xml", "Envelope.Body.GetFile.path", "../../etc/passwd"),
				input("xml", "Envelope.Body.GetFile.q", "%2e%2e"),
				input("xml", "Envelope.Body.GetFile.q", ".."),
				input("path", "0", "svc"),
			},
		},
		{
			name: "malformed xml keeps what came before",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`<r><a>x</a><b k="v">y<c>z</c></d><e>never</e></r>`))
				r.Header.Set("Content-Type", "application/xml")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{
				input("xml", "r.a", "x"),
				input("xml", "r.b@k", "v"),
				input("xml", "r.b.c", "z"),
				input("xml", "r.b", "y"),
			},
		},
		{
			name: "xml truncated by the capture",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`<r><a>first</a><b>a long value that is cut</b></r>`))
				r.Header.Set("Content-Type", "application/xml")
				return r, readAll(t, r, 30)
			},
			want: []taint.Input{
				input("xml", "r.a", "first"),
				input("xml", "r.b", "a long value"),
			},
		},
		{
			name: "xml entities are not expanded",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				body := `<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd"><!ENTITY f "inner">]><a k="v">before&e;&f;</a>`
				r := httptest.NewRequest("POST", "/", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/xml")
				return r, readAll(t, r, 1024)
			},
			// The Decoder stops at the unknown entity, before it hands out
			// the text.
			want: []taint.Input{input("xml", "a@k", "v")},
		},
		{
			name: "xml in another declared encoding",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`<?xml version="1.0" encoding="ISO-8859-1"?><a>../x</a>`))
				r.Header.Set("Content-Type", "application/xml")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{input("xml", "a", "../x")},
		},
		{
			name: "xml only under an xml Content-Type",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`<a>../x</a>`))
				r.Header.Set("Content-Type", "text/plain")
				return r, readAll(t, r, 1024)
			},
			want: []taint.Input{},
		},
		{
			name: "xml not read yet",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`<a>../x</a>`))
				r.Header.Set("Content-Type", "application/xml")
				tee := NewBodyTee(r.Body, 1024)
				r.Body = tee
				return r, tee
			},
			want: []taint.Input{},
		},
		{
			name: "path segments",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				return httptest.NewRequest("GET", "/files//..%2F..%2Fetc%2Fpasswd/a%252e/", nil), nil
			},
			want: []taint.Input{
				input("path", "0", "files"),
				input("path", "1", "../../etc/passwd"),
				input("path", "2", "a%2e"),
				input("path", "2", "a."),
				input("path", "1..", "../../etc/passwd/a%2e/"),
				input("path", "1..", "../../etc/passwd/a./"),
			},
		},
		{
			name: "cookies",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Cookie", "session=abc123; pref='OR'1'='1")
				return r, nil
			},
			want: []taint.Input{
				input("cookie", "session", "abc123"),
				input("cookie", "pref", "'OR'1'='1"),
			},
		},
		{
			name: "headers",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("User-Agent", "curl/8.0")
				r.Header.Set("Referer", "http://evil.example/")
				r.Header.Set("Origin", "http://evil.example")
				r.Header.Add("X-Forwarded-For", "1.2.3.4")
				r.Header.Add("X-Forwarded-For", "5.6.7.8")
				r.Header.Set("X-Real-Ip", "9.9.9.9")
				r.Header.Set("X-Forwarded-Host", "internal")
				r.Header.Set("X-Request-Id", "req-1")
				r.Header.Set("X-Custom", "custom")
				r.Header.Set("X-Api-Version", "2")
				r.Header.Set("Accept", "text/html")
				r.Header.Set("Authorization", "Bearer secret")
				return r, nil
			},
			want: []taint.Input{
				input("header", "Referer", "http://evil.example/"),
				input("header", "User-Agent", "curl/8.0"),
				input("header", "Origin", "http://evil.example"),
				input("header", "X-Forwarded-For", "1.2.3.4"),
				input("header", "X-Forwarded-For", "5.6.7.8"),
				input("header", "X-Forwarded-Host", "internal"),
				input("header", "X-Real-Ip", "9.9.9.9"),
				input("header", "X-Api-Version", "2"),
				input("header", "X-Custom", "custom"),
			},
		},
		{
			name: "custom headers",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Input", "../../etc/passwd")
				r.Header.Set("X-File", "..%2Fsecret")
				r.Header.Set("Forwarded", "for=1.2.3.4;host=evil")
				r.Header.Set("Content-Disposition", `attachment; filename="../a.sh"`)
				r.Header["x-lower"] = []string{"lower"}    // not canonical, as a hand-made map may be
				r.Header["user-agent"] = []string{"ua"}    // not canonical, so not one of the six
				r.Header["x-request-id"] = []string{"r-1"} // excluded whatever its case
				r.Header["authorization"] = []string{"s3"} // excluded whatever its case
				r.Header["Empty"] = []string{"", ""}       // no value
				r.Header.Set("Api-Query", "name = '' OR 1=1")
				return r, nil
			},
			want: []taint.Input{
				input("header", "Api-Query", "name = '' OR 1=1"),
				input("header", "Content-Disposition", `attachment; filename="../a.sh"`),
				input("header", "Forwarded", "for=1.2.3.4;host=evil"),
				input("header", "Input", "../../etc/passwd"),
				input("header", "X-File", "..%2Fsecret"),
				input("header", "X-File", "../secret"),
				input("header", "User-Agent", "ua"),
				input("header", "X-Lower", "lower"),
			},
		},
		{
			name: "excluded headers",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", nil)
				for _, kv := range excludedHeaders {
					r.Header.Set(kv[0], kv[1])
				}
				return r, nil
			},
			want: []taint.Input{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, tee := tt.req(t)
			got := Inputs(r, tee)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", dump(got), dump(tt.want))
			}
			if again := Inputs(r, tee); !reflect.DeepEqual(again, got) {
				t.Errorf("not deterministic:\n%s\nthen\n%s", dump(got), dump(again))
			}
		})
	}
}

// excludedHeaders are headers that are never inputs, with a value each.
var excludedHeaders = [][2]string{
	{"Accept", "*/*"}, {"Accept-Encoding", "gzip, br"}, {"Accept-Language", "en-US,en;q=0.9"},
	{"Accept-Charset", "utf-8"}, {"Cache-Control", "no-cache"}, {"Pragma", "no-cache"},
	{"Connection", "keep-alive"}, {"Keep-Alive", "timeout=5"}, {"Proxy-Connection", "close"},
	{"Upgrade", "websocket"}, {"Http2-Settings", "AAMAAABkAAQAoAAAAAIAAAAA"}, {"TE", "trailers"},
	{"Trailer", "Expires"}, {"Transfer-Encoding", "chunked"}, {"Expect", "100-continue"},
	{"Max-Forwards", "10"}, {"Via", "1.1 varnish"}, {"Content-Length", "12"},
	{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}, {"Content-Language", "en"},
	{"Content-Range", "bytes 0-9/10"}, {"If-None-Match", `"abc"`}, {"If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"},
	{"If-Match", "*"}, {"If-Range", `"abc"`}, {"Range", "bytes=0-"}, {"Host", "shop.example"},
	{"Sec-Fetch-Mode", "navigate"}, {"Sec-Ch-Ua", `"Chromium";v="124"`}, {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
	{"Priority", "u=0, i"}, {"DNT", "1"}, {"Upgrade-Insecure-Requests", "1"}, {"Save-Data", "on"},
	{"Access-Control-Request-Method", "PUT"}, {"Access-Control-Request-Headers", "x-file"},
	{"Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"Tracestate", "congo=t61rcWkgMzE"},
	{"Authorization", "Bearer attack-secret"}, {"Proxy-Authorization", "Basic YXR0YWNrOnNlY3JldA=="},
	{"Cookie", "not a cookie pair"}, {"X-Request-Id", "req-1"},
}

func dump(ins []taint.Input) string {
	var b strings.Builder
	for _, in := range ins {
		fmt.Fprintf(&b, "\t%s %q = %q\n", in.Source, in.Name, in.Value)
	}
	return b.String()
}

func TestInputsCaps(t *testing.T) {
	// 256 inputs at most.
	var q strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&q, "p%d=v%d&", i, i)
	}
	r := httptest.NewRequest("GET", "/?"+q.String(), nil)
	if got := Inputs(r, nil); len(got) != maxInputs || got[maxInputs-1].Value != "v255" {
		t.Fatalf("got %d inputs, last %v", len(got), got[len(got)-1])
	}

	// Long values are truncated.
	long := strings.Repeat("x", 5000)
	r = httptest.NewRequest("POST", "/", strings.NewReader(`{"a":"`+long+`","b":"y"}`))
	got := Inputs(r, readAll(t, r, 1<<20))
	if len(got) != 2 || got[0].Value != long[:maxValueLen] || got[1].Value != "y" {
		t.Fatalf("got %d inputs: %.40v", len(got), got)
	}

	// Values nested deeper than 32 levels are skipped, the walk goes on.
	deep := `{"a":"top","d":` + strings.Repeat(`[`, 40) + `"deep"` + strings.Repeat(`]`, 40) + `,"z":"after"}`
	r = httptest.NewRequest("POST", "/", strings.NewReader(deep))
	got = Inputs(r, readAll(t, r, 1<<20))
	want := []taint.Input{input("json", "a", "top"), input("json", "z", "after")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("deep: got\n%s", dump(got))
	}
	deep = `{"d":` + strings.Repeat(`[`, 31) + `"ok"` + strings.Repeat(`]`, 31) + `}`
	r = httptest.NewRequest("POST", "/", strings.NewReader(deep))
	got = Inputs(r, readAll(t, r, 1<<20))
	if len(got) != 1 || got[0].Value != "ok" || got[0].Name != "d"+strings.Repeat("[0]", 31) {
		t.Fatalf("depth 32: got\n%s", dump(got))
	}
}

// xmlRequest is a POST of body as application/xml, read by a handler
// through a tee of max bytes.
func xmlRequest(t testing.TB, body string, max int) (*http.Request, *BodyTee) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/xml")
	return r, readAll(t, r, max)
}

func TestInputsXMLCaps(t *testing.T) {
	// Elements nested deeper than 32 levels are skipped, the walk goes on.
	deep := `<r><a>top</a><d>` + strings.Repeat(`<e k="attr">`, 40) + `deep` + strings.Repeat(`</e>`, 40) + `</d><z>after</z></r>`
	got := Inputs(xmlRequest(t, deep, 1<<20))
	want := []taint.Input{input("xml", "r.a", "top")}
	for n := 3; n <= maxDepth; n++ { // r.d.e is at depth 3
		want = append(want, input("xml", "r.d"+strings.Repeat(".e", n-2)+"@k", "attr"))
	}
	want = append(want, input("xml", "r.z", "after"))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("deep: got\n%s", dump(got))
	}
	deep = strings.Repeat(`<e>`, 32) + `ok` + strings.Repeat(`</e>`, 32)
	got = Inputs(xmlRequest(t, deep, 1<<20))
	if len(got) != 1 || got[0].Value != "ok" || got[0].Name != "e"+strings.Repeat(".e", 31) {
		t.Fatalf("depth 32: got\n%s", dump(got))
	}

	// 256 inputs at most; long values are truncated.
	var b strings.Builder
	b.WriteString("<r><long>" + strings.Repeat("x", 5000) + "</long>")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "<i>v%d</i>", i)
	}
	b.WriteString("</r>")
	got = Inputs(xmlRequest(t, b.String(), 1<<20))
	if len(got) != maxInputs || got[0].Value != strings.Repeat("x", maxValueLen) || got[maxInputs-1].Value != "v254" {
		t.Fatalf("got %d inputs, last %v", len(got), got[len(got)-1])
	}

	// A body past the middleware's limit: what was captured is read, the
	// element cut in two gives the text before the cut.
	b.Reset()
	b.WriteString("<r>")
	for b.Len() < maxBody-100 {
		b.WriteString("<p>" + strings.Repeat("y", 1000) + "</p>")
	}
	b.WriteString("<p>" + strings.Repeat("z", 200) + "</p><q>lost</q></r>")
	got = Inputs(xmlRequest(t, b.String(), maxBody))
	last := got[len(got)-1]
	if last.Name != "r.p" || !strings.HasPrefix(last.Value, "zz") || len(last.Value) >= 200 {
		t.Fatalf("got %d inputs, last %s", len(got), dump(got[len(got)-1:]))
	}
}

func TestInputsBrokenXML(t *testing.T) {
	for _, body := range []string{
		`<`, `<a`, `<a>`, `</a>`, `<a></b>`, `<a x=1/>`, `<a x="1" x="2"/>`, `<a>&bogus;</a>`,
		`<?xml version="1.0" encoding="UTF-16"?><a>x</a>`, "<a>\xff\xfe</a>", "<a>\x00</a>",
		`<!DOCTYPE a SYSTEM "http://127.0.0.1/x.dtd"><a>&x;</a>`, `<![CDATA[x]]>`, `<a:b:c/>`,
		strings.Repeat("<a>", 20000), strings.Repeat(`<a x="y">`, 5000) + "text",
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "text/xml")
		_ = Inputs(r, readAll(t, r, 1<<20)) // must not panic
	}
}

// TestInputsXMLBodyStillReadInFull: the inputs are read from what the
// handler read so far, and the handler reads the whole body, whenever the
// inputs are asked for.
func TestInputsXMLBodyStillReadInFull(t *testing.T) {
	events := inMode(t, policy.ModeBlock)
	body := `<order><item>lamp</item><note>an attack</note><file>../etc/passwd</file></order>`
	var early, late []taint.Input
	var decoded struct {
		Item string `xml:"item"`
		Note string `xml:"note"`
		File string `xml:"file"`
	}
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		head := make([]byte, 24) // "<order><item>lamp</item>"
		if _, err := io.ReadFull(r.Body, head); err != nil {
			t.Error(err)
		}
		early = reqctx.CurrentRequest(r.Context()).Inputs()
		if err := xml.NewDecoder(io.MultiReader(bytes.NewReader(head), r.Body)).Decode(&decoded); err != nil {
			t.Error(err)
		}
		late = reqctx.CurrentRequest(r.Context()).Inputs()
		if sink(r) == nil {
			io.WriteString(w, "ok\n")
		}
	}))
	r := httptest.NewRequest("POST", "/orders", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/xml")
	r.Header.Set("X-Request-Id", "req-x")
	w := serve(h, r)

	if want := []taint.Input{input("xml", "order.item", "lamp"), input("path", "0", "orders")}; !reflect.DeepEqual(early, want) {
		t.Errorf("before the handler read the rest:\n%s", dump(early))
	}
	if decoded.Item != "lamp" || decoded.Note != "an attack" || decoded.File != "../etc/passwd" {
		t.Errorf("the handler decoded %+v", decoded)
	}
	want := []taint.Input{
		input("xml", "order.item", "lamp"),
		input("xml", "order.note", "an attack"),
		input("xml", "order.file", "../etc/passwd"),
		input("path", "0", "orders"),
	}
	if !reflect.DeepEqual(late, want) {
		t.Errorf("after:\n%s", dump(late))
	}
	if w.Code != 403 {
		t.Fatalf("status %d, body %q", w.Code, w.Body)
	}
	evs := events.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events: %s", len(evs), events)
	}
	if e := evs[0]; e.Input == nil || e.Input.Source != "xml" || e.Input.Name != "order.note" || e.Input.Value != "an attack" {
		t.Errorf("event input %+v", e.Input)
	}
}

// TestInputsCustomHeaderCaps: at most 256 inputs, the custom headers in
// the order of their names whatever the map's order.
func TestInputsCustomHeaderCaps(t *testing.T) {
	r := httptest.NewRequest("GET", "/?a=1&b=2", nil)
	for i := 299; i >= 0; i-- {
		r.Header.Set(fmt.Sprintf("Custom-%03d", i), fmt.Sprintf("v%d", i))
	}
	r.Header.Set("Custom-Long", strings.Repeat("h", 5000))
	for run := 0; run < 20; run++ {
		got := Inputs(r, nil)
		if len(got) != maxInputs || got[2].Name != "Custom-000" || got[maxInputs-1].Name != "Custom-253" {
			t.Fatalf("got %d inputs, %v ... %v", len(got), got[2], got[len(got)-1])
		}
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Custom-Long", strings.Repeat("h", 5000))
	if got := Inputs(r, nil); len(got) != 1 || len(got[0].Value) != maxValueLen {
		t.Fatalf("got %d inputs", len(got))
	}
}

// TestAuthorizationNeverRead: credentials are not inputs, so no event
// carries them, even when their value looks like an attack.
func TestAuthorizationNeverRead(t *testing.T) {
	events := inMode(t, policy.ModeDetect)
	h := Wrap(http.HandlerFunc(careless))
	r := httptest.NewRequest("GET", "/items", nil)
	r.Header.Set("Authorization", "Bearer attack-token-1")
	r.Header.Set("Proxy-Authorization", "Basic attack-token-2")
	r.Header["authorization"] = []string{"attack-token-3"}
	if w := serve(h, r); w.Code != 200 || len(events.Lines()) != 0 {
		t.Fatalf("status %d, events %s", w.Code, events)
	}
	r.URL.RawQuery = "q=attack"
	if w := serve(h, r); w.Code != 200 || len(events.Lines()) == 0 {
		t.Fatalf("status %d, no event", w.Code)
	}
	if strings.Contains(events.String(), "token") {
		t.Errorf("a credential reached an event: %s", events)
	}
	for _, in := range Inputs(r, nil) {
		if strings.Contains(in.Value, "token") {
			t.Errorf("input %v", in)
		}
	}
}

func TestInputsBrokenJSON(t *testing.T) {
	for _, body := range []string{
		`{`, `[`, `{"a":`, `{"a" "b"}`, `}}}`, `]`, `[1,2,3]]]`, `{"a":[}`,
		strings.Repeat("[", 20000), strings.Repeat(`{"a":`, 5000),
		"{\"a\":\"\xff\xfe\"}", `{"a":"\ud800"}`, `[1e99999]`, `{"":""}`,
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		_ = Inputs(r, readAll(t, r, 1<<20)) // must not panic
	}
}

// chunky returns its data a few bytes at a time.
type chunky struct {
	data   []byte
	closed bool
}

func (c *chunky) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func (c *chunky) Close() error { c.closed = true; return nil }

func TestBodyTee(t *testing.T) {
	data := make([]byte, 10000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, max := range []int{0, 1, 100, 4096, 5000, 10000, 20000} {
		src := &chunky{data: append([]byte(nil), data...)}
		tee := NewBodyTee(src, max)
		if tee.buf != nil {
			t.Fatal("buffer allocated before the first Read")
		}
		got, err := io.ReadAll(tee)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("max %d: the handler read %d bytes (err %v), not the body", max, len(got), err)
		}
		want := data[:min(max, len(data))]
		if c := tee.Captured(); !bytes.Equal(c, want) || cap(c) != len(c) {
			t.Fatalf("max %d: captured %d bytes, want %d", max, len(c), len(want))
		}
		if cap(tee.buf) > max {
			t.Fatalf("max %d: buffer grew to %d", max, cap(tee.buf))
		}
		if err := tee.Close(); err != nil || !src.closed {
			t.Fatalf("Close: %v, closed %v", err, src.closed)
		}
	}

	// A 1 MiB body captures max bytes only.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	tee := NewBodyTee(io.NopCloser(bytes.NewReader(big)), 8192)
	n, err := io.Copy(io.Discard, tee)
	if err != nil || n != int64(len(big)) {
		t.Fatalf("copied %d, %v", n, err)
	}
	if c := tee.Captured(); !bytes.Equal(c, big[:8192]) || cap(tee.buf) != 8192 {
		t.Fatalf("captured %d bytes, cap %d", len(c), cap(tee.buf))
	}

	// Errors pass through; nil bodies read as empty.
	boom := fmt.Errorf("boom")
	tee = NewBodyTee(io.NopCloser(io.MultiReader(strings.NewReader("ab"), errReader{boom})), 10)
	got, err := io.ReadAll(tee)
	if string(got) != "ab" || err != boom || string(tee.Captured()) != "ab" {
		t.Fatalf("got %q, %v", got, err)
	}
	tee = NewBodyTee(nil, 10)
	if n, err := tee.Read(make([]byte, 4)); n != 0 || err != io.EOF || tee.Close() != nil || tee.Captured() != nil {
		t.Fatal("nil body")
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestBodyTeeConcurrentCaptured(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1<<18)
	tee := NewBodyTee(&chunky{data: big}, 1<<17)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ {
			c := tee.Captured()
			if !bytes.Equal(c, big[:len(c)]) {
				t.Error("captured bytes changed")
				return
			}
		}
	}()
	io.Copy(io.Discard, tee)
	<-done
}

// BenchmarkInputsXML reads a SOAP request's body and custom headers.
func BenchmarkInputsXML(b *testing.B) {
	body := `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>` +
		`<GetOrder id="42"><customer>acme</customer><file>reports/2024.pdf</file><note>deliver before noon</note></GetOrder>` +
		`</soap:Body></soap:Envelope>`
	r := httptest.NewRequest("POST", "/svc", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/soap+xml; charset=utf-8")
	r.Header.Set("Soapaction", "urn:GetOrder")
	r.Header.Set("X-Tenant", "acme")
	tee := readAll(b, r, maxBody)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ins := Inputs(r, tee); len(ins) != 7 {
			b.Fatalf("%d inputs: %v", len(ins), ins)
		}
	}
}

func BenchmarkInputs(b *testing.B) {
	r := httptest.NewRequest("GET", "/products/list?category=garden-tools&sort=price&page=2", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36")
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	r.Header.Set("Accept-Language", "en-US,en;q=0.9")
	r.Header.Set("Referer", "https://shop.example.com/")
	r.Header.Set("Cookie", "session=b7f3c2a9e1d04f6a8c5b; lang=en")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ins := Inputs(r, nil); len(ins) != 9 {
			b.Fatalf("%d inputs: %v", len(ins), ins)
		}
	}
}

// TestBodyTeeSizedByLength: a body of announced length is copied into one
// buffer of that length; one of unknown length into the usual first one.
func TestBodyTeeSizedByLength(t *testing.T) {
	body := strings.Repeat("x", 1000)
	for _, c := range []struct {
		hint    int64
		wantCap int
	}{{1000, 1000}, {-1, teeFirstCap}, {0, teeFirstCap}} {
		tee := &BodyTee{rc: io.NopCloser(strings.NewReader(body)), max: maxBody, hint: c.hint}
		if _, err := io.Copy(io.Discard, tee); err != nil {
			t.Fatal(err)
		}
		if string(tee.Captured()) != body || cap(tee.buf) != c.wantCap {
			t.Errorf("hint %d: captured %d bytes in a buffer of %d, want all in %d", c.hint, len(tee.Captured()), cap(tee.buf), c.wantCap)
		}
	}
}
