package httphook

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
)

// in is an Input, short.
func input(src, name, val string) rasp.Input { return rasp.Input{Source: src, Name: name, Value: val} }

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
		want []rasp.Input
	}{
		{
			name: "query",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				return httptest.NewRequest("GET", "/?id=1%20UNION%20SELECT%201&sort=name&a;b=c&empty=&x=%2527", nil), nil
			},
			want: []rasp.Input{
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
			want: []rasp.Input{input("query", "q", "%zz'")},
		},
		{
			name: "form from the captured body",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/login", strings.NewReader("user=admin%27--&pass=x+y"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
				return r, readAll(t, r, 1024)
			},
			want: []rasp.Input{
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
			want: []rasp.Input{
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
			want: []rasp.Input{
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
			want: []rasp.Input{
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
			want: []rasp.Input{
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
			want: []rasp.Input{input("json", "", "top")},
		},
		{
			name: "broken json keeps what came before",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("POST", "/", strings.NewReader(`{"a":"x","b":[1,2,}`))
				return r, readAll(t, r, 1024)
			},
			want: []rasp.Input{
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
			want: []rasp.Input{input("json", "a", "x")},
		},
		{
			name: "path segments",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				return httptest.NewRequest("GET", "/files//..%2F..%2Fetc%2Fpasswd/a%252e/", nil), nil
			},
			want: []rasp.Input{
				input("path", "0", "files"),
				input("path", "1", "../../etc/passwd"),
				input("path", "2", "a%2e"),
				input("path", "2", "a."),
			},
		},
		{
			name: "cookies",
			req: func(t *testing.T) (*http.Request, *BodyTee) {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Cookie", "session=abc123; pref='OR'1'='1")
				return r, nil
			},
			want: []rasp.Input{
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
			want: []rasp.Input{
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

func dump(ins []rasp.Input) string {
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
	want := []rasp.Input{input("json", "a", "top"), input("json", "z", "after")}
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
