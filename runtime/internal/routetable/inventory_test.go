package routetable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

func TestTemplatePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/", "/"},
		{"", ""},
		{"/items", "/items"},
		{"/items/42", "/items/{id}"},
		{"/items/42/", "/items/{id}/"},
		{"/users/42/orders/3f2c9a1e-0b7d-4c55-9a43-1f0e2d3c4b5a", "/users/{id}/orders/{id2}"},
		{"/a/1/b/2/c/3/d/4/e/5/f/6/g/7/h/8/i/9/j/10/k/11", "/a/{id}/b/{id2}/c/{id3}/d/{id4}/e/{id5}/f/{id6}/g/{id7}/h/{id8}/i/{id9}/j/{id10}/k/{id11}"},
		{"/commits/0123456789abcdef0123456789abcdef01234567", "/commits/{id}"},
		{"/objects/507f1f77bcf86cd799439011", "/objects/{id}"}, // Mongo ObjectID
		{"/orders/01H8XK3Z9QY2M4N6P7R8S9T0V1", "/orders/{id}"}, // ULID
		{"/customers/cus_NffrFeUfNV2Hib", "/customers/{id}"},
		{"/users/bob@example.com/keys", "/users/{id}/keys"},
		{"/v1/items", "/v1/items"},
		{"/api/v2/health-check", "/api/v2/health-check"},
		{"/deadbeef", "/deadbeef"},                       // short hex is a word
		{"/facadefacadefacade", "/facadefacadefacade"},   // long hex without a digit too
		{"/documentation-pages", "/documentation-pages"}, // long, no digit
		{"/static/app.9f8e7d.js", "/static/app.9f8e7d.js"},
		{"/items/-1", "/items/-1"},
	} {
		if got := TemplatePath(tc.in); got != tc.want {
			t.Errorf("TemplatePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
		var k keyBuf
		if ok := appendTemplate(&k, tc.in); !ok || string(k.bytes()) != tc.want {
			t.Errorf("appendTemplate(%q) = %q, %v, want %q", tc.in, k.bytes(), ok, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { TemplatePath("/v1/items/list") }); n != 0 {
		t.Errorf("TemplatePath of a path without ids: %v allocs", n)
	}
}

func TestRouteKey(t *testing.T) {
	seg := func(i int, v string) taint.Input { return taint.Input{Source: "path", Name: strconv.Itoa(i), Value: v} }
	for _, tc := range []struct {
		method, route string
		inputs        []taint.Input
		want          string
		raw, ok       bool
	}{
		{"GET", "GET /items/{id}", nil, "GET /items/{id}", false, true},
		{"HEAD", "GET example.com/items/{id}", nil, "HEAD /items/{id}", false, true},
		{"GET", "GET\t /x/{p...}", nil, "GET /x/{p...}", false, true},
		{"GET", "/items/:id", nil, "GET /items/:id", false, true},
		{"GET", "/static/*filepath", nil, "GET /static/*filepath", false, true},
		{"GET", "/items/{id:[0-9]+}", nil, "GET /items/{id:[0-9]+}", false, true},
		{"GET", "/reports/2024", nil, "GET /reports/{id}", true, true}, // a pattern without a parameter reads as a path
		{"POST", "/inventory.v1.Inventory/FindItems", nil, "POST /inventory.v1.Inventory/FindItems", true, true},
		{"GET", "/items/42", nil, "GET /items/{id}", true, true},
		{"GET", "", []taint.Input{{Source: "query", Name: "q", Value: "x"}, seg(0, "items"), seg(1, "42"), seg(1, "42"), {Source: "path", Name: "1..", Value: "42/x"}, seg(2, "x")}, "GET /items/{id}/x", true, true},
		{"GET", "", nil, "GET /", true, true},
		{"", "/x", nil, "", false, false},
		{"GE T", "/x", nil, "", false, false},
		{"GETGETGETGETGETGET", "/x", nil, "", false, false},
		{"GET", "/" + strings.Repeat("z", maxRouteLen), nil, "", false, false},
		{"GET", "/a\nb", nil, "", false, false},
	} {
		var k keyBuf
		raw, ok := routeKey(&k, tc.method, tc.route, tc.inputs)
		if ok != tc.ok || ok && (raw != tc.raw || string(k.bytes()) != tc.want) {
			t.Errorf("routeKey(%q, %q) = %q, raw %v, ok %v; want %q, %v, %v", tc.method, tc.route, k.bytes(), raw, ok, tc.want, tc.raw, tc.ok)
		}
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		route     string
		bySegment []string
	}{
		{"/items/{id}", []string{"", "id"}},
		{"/raw/{path...}", []string{"", "path"}},
		{"/items/{id:[0-9]+}/x", []string{"", "id", ""}},
		{"/re/{p:[a-z/]+}/end", []string{"", "p", ""}},
		{"/items/:id/:sub?", []string{"", "id", "sub"}},
		{"/f/:id<int>", []string{"", "id"}},
		{"/static/*filepath", []string{"", "filepath"}},
		{"/echo/*", []string{"", "*"}},
		{"/fiber/+", []string{"", "+"}},
		{"/exact/{$}", []string{"", ""}},
		{"/file/{id}.json", []string{"", ""}},
		{"/a//b/", []string{"", ""}},
	} {
		got, _ := parseParams(tc.route)
		if !reflect.DeepEqual(got, tc.bySegment) {
			t.Errorf("parseParams(%q) = %q, want %q", tc.route, got, tc.bySegment)
		}
	}
}

func TestKind(t *testing.T) {
	for _, tc := range []struct{ v, want string }{
		{"0", KindInteger},
		{"-42", KindInteger},
		{"12345678901234567890", KindInteger},
		{"1.5", KindNumber},
		{"-0.5e10", KindNumber},
		{"1e-3", KindNumber},
		{"1.", KindString},
		{".5", KindString},
		{"true", KindBoolean},
		{"FALSE", KindBoolean},
		{"yes", KindString},
		{"3f2c9a1e-0b7d-4c55-9a43-1f0e2d3c4b5a", KindUUID},
		{"3F2C9A1E-0B7D-4C55-9A43-1F0E2D3C4B5A", KindUUID},
		{"3f2c9a1e-0b7d-4c55-9a43-1f0e2d3c4b5g", KindString},
		{"bob@example.com", KindEmail},
		{"a.b+tag@mail.example.co.uk", KindEmail},
		{"bob@localhost", KindString},
		{"@example.com", KindString},
		{"bob@@example.com", KindString},
		{"' OR 1=1 --@x.y", KindString},
		{"2024-02-29", KindDate},
		{"2024-13-01", KindString},
		{"2024-02-29T10:00:00Z", KindDateTime},
		{"2024-02-29t10:00:00.123456+02:00", KindDateTime},
		{"2024-02-29T10:00:00", KindString},
		{"2024-02-29 10:00:00Z", KindString},
		{"2024-02-29T25:00:00Z", KindString},
		{"hello", KindString},
		{strings.Repeat("1", 300), KindString},
	} {
		if got := kindName(kindOf(tc.v)); got != tc.want {
			t.Errorf("kind of %q = %s, want %s", tc.v, got, tc.want)
		}
	}
	if kindOf("") != 0 {
		t.Errorf("an empty value has a kind")
	}
}

func TestWidening(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
	}{
		{[]string{"1", "2"}, KindInteger},
		{[]string{"1", "2.5"}, KindNumber},
		{[]string{"2.5", "1"}, KindNumber},
		{[]string{"1", "abc"}, KindString},
		{[]string{"true", "1"}, KindString},
		{[]string{"2024-01-01", "2024-01-01T00:00:00Z"}, KindString},
		{[]string{"3f2c9a1e-0b7d-4c55-9a43-1f0e2d3c4b5a", "x"}, KindString},
		{[]string{"", "true"}, KindBoolean},
		{[]string{""}, KindString},
	} {
		reset()
		for _, v := range tc.values {
			Observe("GET", "/w", []taint.Input{{Source: "query", Name: "v", Value: v}}, "", 200)
		}
		inv := Snapshot()
		if got := inv.Routes[0].Inputs[0].Kind; got != tc.want {
			t.Errorf("%q: kind %s, want %s", tc.values, got, tc.want)
		}
	}
}

func TestObserve(t *testing.T) {
	reset()
	in := func(src, name, v string) taint.Input { return taint.Input{Source: src, Name: name, Value: v} }
	Observe("GET", "GET /items/{id}", []taint.Input{
		in("query", "limit", "10"),
		in("query", "limit", "20"), // twice in one request: counted once
		in("path", "0", "items"),
		in("path", "1", "42"),
		in("header", "X-Tenant", "acme"),
		in("header", "X-Api-Key", "secret"),
		in("header", "X-Forwarded-For", "10.0.0.1"),
		in("header", "User-Agent", "curl"),
		in("header", "If-None-Match", `"abc"`),
		in("cookie", "session", "s3cr3t"),
	}, "Bearer", 200)
	Observe("GET", "GET /items/{id}", []taint.Input{
		in("path", "1", "43"),
		in("query", "limit", "x"),
	}, "bearer", 404)
	Observe("GET", "GET /items/{id}", nil, "", 200)
	Observe("POST", "/items", []taint.Input{
		in("json", "name", "pen"),
		in("json", "tags[0]", "a"),
		in("json", "tags[1]", "b"),
		in("json", "lines[0].qty", "2"),
		in("json", "lines[12].qty", "3.5"),
		in("json", "a b", "1"),
		in("json", "a b", "a b"), // the key of an unusual name
		in("json", "x<y", "1"),
		in("form", "items[]", "1"),
	}, "cookie:sid", 201)
	Observe("GET", "/nothing/here", nil, "", 404)  // a path answered 404
	Observe("GET", "/items/{id}/x", nil, "", 404)  // a pattern answered 404
	Observe("BAD METHOD", "/x", nil, "", 200)      // not a token
	Observe("GET", "/items/{id}", nil, "x y", 200) // an auth that is not valid

	got := Snapshot()
	want := Inventory{
		Version:   Version,
		Program:   filepath.Base(os.Args[0]),
		Overflow:  1,
		Unmatched: 1,
		Routes: []Route{
			{Method: "POST", Route: "/items", Count: 1,
				Statuses: []Status{{Code: 201, Count: 1}},
				Auth:     []Auth{{Scheme: "cookie:sid", Count: 1}},
				Inputs: []Input{
					{Source: "form", Name: "items[]", Count: 1, Kind: KindInteger},
					{Source: "json", Name: "lines[].qty", Count: 1, Kind: KindNumber},
					{Source: "json", Name: "name", Count: 1, Kind: KindString},
					{Source: "json", Name: "tags[]", Count: 1, Kind: KindString},
				},
				Dropped: 2}, // "a b" and "x<y"
			// "GET /items/{id}" and "/items/{id}" are one route once the
			// method is cut.
			{Method: "GET", Route: "/items/{id}", Count: 4,
				Statuses:  []Status{{Code: 200, Count: 3}, {Code: 404, Count: 1}},
				Auth:      []Auth{{Scheme: "bearer", Count: 2}, {Scheme: "none", Count: 1}},
				OtherAuth: 1,
				Inputs: []Input{
					{Source: "cookie", Name: "session", Count: 1, Kind: KindString},
					{Source: "header", Name: "If-None-Match", Count: 1, Kind: KindString},
					{Source: "header", Name: "X-Tenant", Count: 1, Kind: KindString},
					{Source: "path", Name: "id", Count: 2, Kind: KindInteger},
					{Source: "query", Name: "limit", Count: 2, Kind: KindString},
				}},
			{Method: "GET", Route: "/items/{id}/x", Count: 1,
				Statuses: []Status{{Code: 404, Count: 1}},
				Auth:     []Auth{{Scheme: "none", Count: 1}},
				Inputs:   []Input{}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("snapshot:\n%s\nwant:\n%s", g, w)
	}
}

func TestStatusesAndAuthBounds(t *testing.T) {
	reset()
	for i := 0; i < maxStatuses+3; i++ {
		Observe("GET", "/s", nil, fmt.Sprintf("scheme%d", i%(maxAuth+2)), 200+i)
	}
	Observe("GET", "/s", nil, "", -1) // no status
	r := Snapshot().Routes[0]
	if len(r.Statuses) != maxStatuses || r.OtherStatuses != 3 {
		t.Errorf("statuses %v, other %d", r.Statuses, r.OtherStatuses)
	}
	if len(r.Auth) != maxAuth+1 || r.OtherAuth != 3 { // 4 schemes and none
		t.Errorf("auth %v, other %d", r.Auth, r.OtherAuth)
	}
}

func TestBounds(t *testing.T) {
	reset()
	var ins []taint.Input
	for i := 0; i < maxInputs+10; i++ {
		ins = append(ins, taint.Input{Source: "query", Name: fmt.Sprintf("p%03d", i), Value: "1"})
	}
	ins = append(ins, taint.Input{Source: "query", Name: strings.Repeat("n", maxNameLen+1), Value: "1"})
	Observe("GET", "/many", ins, "", 200)
	Observe("GET", "/many", ins, "", 200)
	r := Snapshot().Routes[0]
	if len(r.Inputs) != maxInputs || r.Dropped != 2*11 {
		t.Errorf("%d inputs, %d dropped", len(r.Inputs), r.Dropped)
	}
	for _, in := range r.Inputs {
		if in.Count != 2 {
			t.Errorf("%+v", in)
		}
	}

	reset()
	for i := 0; i < maxRoutes+5; i++ {
		Observe("GET", fmt.Sprintf("/r%d/{x}", i), nil, "", 200)
	}
	inv := Snapshot()
	if len(inv.Routes) != maxRoutes || inv.Overflow != 5 {
		t.Errorf("%d routes, overflow %d", len(inv.Routes), inv.Overflow)
	}
	Observe("GET", "/r0/{x}", nil, "", 200) // a known route is still counted
	if inv := Snapshot(); inv.Overflow != 5 {
		t.Errorf("overflow %d after a known route", inv.Overflow)
	}
}

func TestConcurrentObserve(t *testing.T) {
	reset()
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ins := []taint.Input{
					{Source: "query", Name: "q" + strconv.Itoa(i%7), Value: strconv.Itoa(i)},
					{Source: "json", Name: "a.b", Value: "x"},
				}
				Observe("GET", "/c/"+strconv.Itoa(i%13), ins, []string{"", "bearer", "basic"}[i%3], 200+i%10)
				if i%100 == 0 {
					Snapshot()
				}
			}
		}(w)
	}
	wg.Wait()
	inv := Snapshot()
	if len(inv.Routes) != 1 || inv.Routes[0].Route != "/c/{id}" {
		t.Fatalf("routes %+v", inv.Routes)
	}
	r := inv.Routes[0]
	if r.Count != workers*each {
		t.Errorf("count %d", r.Count)
	}
	var st, au uint64
	for _, s := range r.Statuses {
		st += s.Count
	}
	for _, a := range r.Auth {
		au += a.Count
	}
	if st+r.OtherStatuses != workers*each || au != workers*each || len(r.Statuses) != maxStatuses || len(r.Auth) != 3 {
		t.Errorf("statuses %v (+%d), auth %v", r.Statuses, r.OtherStatuses, r.Auth)
	}
	if len(r.Inputs) != 8 {
		t.Errorf("inputs %v", r.Inputs)
	}
	for _, in := range r.Inputs {
		if in.Name == "a.b" && in.Count != workers*each {
			t.Errorf("%+v", in)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	reset()
	Observe("GET", "/items/42", []taint.Input{{Source: "path", Name: "1", Value: "42"}, {Source: "query", Name: "when", Value: "2024-01-01T00:00:00Z"}}, "basic", 200)
	Observe("PUT", "/items/{id}", []taint.Input{{Source: "json", Name: "price", Value: "2.5"}}, "header:X-Api-Key", 204)
	inv := Snapshot()
	data, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	var back Inventory
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, inv) {
		t.Errorf("round trip:\n%+v\n%+v", back, inv)
	}
	// The names of the schema, as docs/inventory.md tells them.
	for _, key := range []string{`"version":1`, `"program":`, `"overflow":0`, `"unmatched":0`, `"routes":[`,
		`"method":"GET"`, `"route":"/items/{id}"`, `"count":1`, `"statuses":[{"code":200,"count":1}]`,
		`"auth":[{"scheme":"basic","count":1}]`, `"inputs":[{"source":"path","name":"id","count":1,"kind":"integer"}`,
		`{"source":"query","name":"when","count":1,"kind":"date-time"}`, `"scheme":"header:X-Api-Key"`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s:\n%s", key, data)
		}
	}
	// Sorted: the same table gives the same bytes.
	again, _ := json.Marshal(Snapshot())
	if !bytes.Equal(again, data) {
		t.Errorf("two snapshots differ")
	}
}

func TestWriteFile(t *testing.T) {
	reset()
	Observe("GET", "/w/{id}", nil, "", 200)
	name := filepath.Join(t.TempDir(), "routes.json")
	if err := WriteFile(name); err != nil {
		t.Fatal(err)
	}
	var inv Inventory
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &inv); err != nil || len(inv.Routes) != 1 {
		t.Fatalf("%v: %s", err, data)
	}
	entries, _ := os.ReadDir(filepath.Dir(name))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := WriteFile(filepath.Join(t.TempDir(), "missing", "routes.json")); err == nil {
		t.Errorf("no error writing into a missing folder")
	}
}

func TestStartWriter(t *testing.T) {
	reset()
	name := filepath.Join(t.TempDir(), "routes.json")
	stop := StartWriter(name, 10*time.Millisecond)
	Observe("GET", "/periodic", nil, "", 200)
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(name)
		if err == nil && bytes.Contains(data, []byte(`"/periodic"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file was not written: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	Observe("GET", "/at-exit", nil, "", 200)
	stop()
	stop() // twice is fine
	data, err := os.ReadFile(name)
	if err != nil || !bytes.Contains(data, []byte(`"/at-exit"`)) {
		t.Errorf("the last write is missing: %v %s", err, data)
	}

	// Without an interval, only stop writes.
	name2 := filepath.Join(t.TempDir(), "routes.json")
	stop = StartWriter(name2, 0)
	time.Sleep(20 * time.Millisecond)
	if _, err := os.Stat(name2); err == nil {
		t.Errorf("written before stop")
	}
	stop()
	if _, err := os.Stat(name2); err != nil {
		t.Errorf("not written at stop: %v", err)
	}
}

func TestObserveKnownAllocs(t *testing.T) {
	reset()
	ins := benchInputs()
	Observe("GET", "GET /items/{id}", ins, "bearer", 200)
	Observe("GET", "/users/42/orders/7", ins, "", 200)
	if n := testing.AllocsPerRun(200, func() { Observe("GET", "GET /items/{id}", ins, "bearer", 200) }); n != 0 {
		t.Errorf("Observe of a known pattern: %v allocs", n)
	}
	if n := testing.AllocsPerRun(200, func() { Observe("GET", "/users/42/orders/7", ins, "", 200) }); n != 0 {
		t.Errorf("Observe of a known path: %v allocs", n)
	}
}

func benchInputs() []taint.Input {
	return []taint.Input{
		{Source: "path", Name: "1", Value: "42"},
		{Source: "query", Name: "limit", Value: "10"},
		{Source: "query", Name: "since", Value: "2024-01-01T00:00:00Z"},
		{Source: "json", Name: "lines[3].sku", Value: "AB-1234"},
		{Source: "header", Name: "X-Tenant", Value: "acme"},
	}
}

// BenchmarkObserveKnown is a request to a known route with 5 known inputs.
func BenchmarkObserveKnown(b *testing.B) {
	reset()
	ins := benchInputs()
	Observe("GET", "GET /items/{id}", ins, "bearer", 200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Observe("GET", "GET /items/{id}", ins, "bearer", 200)
	}
}

// BenchmarkObserveKnownPath is the same request without a pattern: its
// path is templated.
func BenchmarkObserveKnownPath(b *testing.B) {
	reset()
	ins := benchInputs()
	Observe("GET", "/items/42", ins, "bearer", 200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Observe("GET", "/items/42", ins, "bearer", 200)
	}
}

// BenchmarkObserveKnownParallel is BenchmarkObserveKnown on every core.
func BenchmarkObserveKnownParallel(b *testing.B) {
	reset()
	ins := benchInputs()
	Observe("GET", "GET /items/{id}", ins, "bearer", 200)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			Observe("GET", "GET /items/{id}", ins, "bearer", 200)
		}
	})
}
