package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const routesInventory = "testdata/routes/inventory.json"

func TestRoutesTable(t *testing.T) {
	out, errOut, err := runCLI(t, "", "routes", routesInventory)
	if err != nil || errOut != "" {
		t.Fatalf("%v: %s", err, errOut)
	}
	golden(t, "routes/table.golden", out)
}

// TestRoutesOpenAPI writes the golden inventory as OpenAPI, checks the
// document with libopenapi (the model builds, the document is valid
// against the OpenAPI 3.1 schema, requests are judged by it as the
// inventory says), and compares it with its golden file.
func TestRoutesOpenAPI(t *testing.T) {
	out := filepath.Join(t.TempDir(), "openapi.json")
	table, _, err := runCLI(t, "", "routes", routesInventory, "--openapi", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(table, "shop: 17 routes") {
		t.Errorf("the table is not printed with --openapi FILE:\n%s", table)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "routes/openapi.golden.json", string(data))
	stdout, _, err := runCLI(t, "", "routes", routesInventory, "--openapi", "-")
	if err != nil || stdout != string(data) {
		t.Errorf("--openapi - differs from --openapi FILE: %v", err)
	}

	doc, err := libopenapi.NewDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetSpecInfo().Version; v != "3.1.0" {
		t.Errorf("version %q", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("building the model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("invalid document: %v", e)
		}
	}

	// The OpenAPI schema does not check the Schema Objects: each is
	// compiled as a JSON Schema 2020-12 (OpenAPI 3.1's dialect), which
	// checks it against the meta-schema.
	var whole any
	if err := json.Unmarshal(data, &whole); err != nil {
		t.Fatal(err)
	}
	n, errs := schemaErrors(whole, "#")
	for _, err := range errs {
		t.Error(err)
	}
	if n < 20 {
		t.Errorf("only %d schemas checked", n)
	}

	// A few facts of the result.
	paths := model.Model.Paths.PathItems
	items, ok := paths.Get("/items/{id}")
	if !ok || items.Get == nil || items.Delete == nil {
		t.Fatalf("no GET and DELETE /items/{id}")
	}
	var pathParam, fieldsParam bool
	for _, p := range items.Get.Parameters {
		switch {
		case p.Name == "id" && p.In == "path":
			pathParam = p.Required != nil && *p.Required && p.Schema.Schema().Type[0] == "integer"
		case p.Name == "fields" && p.In == "query":
			fieldsParam = true
		}
	}
	if !pathParam || !fieldsParam {
		t.Errorf("GET /items/{id}: path parameter id (required integer) %v, query fields %v", pathParam, fieldsParam)
	}
	list, _ := paths.Get("/items")
	var limit string
	for _, p := range list.Get.Parameters {
		if p.Name == "limit" && p.In == "query" {
			limit = p.Schema.Schema().Type[0]
		}
	}
	if limit != "integer" {
		t.Errorf("query parameter limit of GET /items is %q, want integer", limit)
	}
	bearer, ok := model.Model.Components.SecuritySchemes.Get("bearerAuth")
	if !ok || bearer.Type != "http" || bearer.Scheme != "bearer" {
		t.Errorf("bearerAuth: %+v", bearer)
	}
	if len(list.Get.Security) != 2 || list.Get.Security[1].Requirements.Len() != 0 {
		t.Errorf("GET /items: security %v, want bearer, or none", list.Get.Security)
	}
	if _, ok := paths.Get("/orders/{orderID}"); ok {
		t.Errorf("/orders/{id} and /orders/{orderID} are two paths")
	}
	if _, ok := paths.Get("/static/{filepath}"); !ok {
		t.Errorf("no /static/{filepath}")
	}
	if _, ok := paths.Get("/users/{id}/posts/{post}"); !ok {
		t.Errorf("no /users/{id}/posts/{post}")
	}
	rpc, ok := paths.Get("/inventory.v1.Inventory/FindItems")
	if !ok || rpc.Post == nil {
		t.Errorf("no POST for the gRPC method")
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if got := raw["x-rasp-skipped"]; !reflect.DeepEqual(got, []any{"PROPFIND /dav/{path...}"}) {
		t.Errorf("x-rasp-skipped: %v", got)
	}
	if got := items.Get.Extensions.GetOrZero("x-rasp-count"); got == nil || got.Value != "250" {
		t.Errorf("x-rasp-count of GET /items/{id}: %v", got)
	}

	// Requests as the inventory saw them pass; others do not.
	for _, tc := range []struct {
		method, url, body, ctype string
		auth                     bool
		valid                    bool
	}{
		{"GET", "/items?limit=10&since=2024-01-01T00:00:00Z", "", "", true, true},
		{"GET", "/items/42?fields=name", "", "", true, true},
		{"GET", "/orders/3f2c9a1e-0b7d-4c55-9a43-1f0e2d3c4b5a", "", "", true, true},
		{"GET", "/items?limit=ten", "", "", true, false},
		{"GET", "/items/abc", "", "", true, false},
		{"POST", "/items", `{"name":"pen","price":1.5,"lines":[{"sku":"A1","qty":2}]}`, "application/json", true, true},
		{"POST", "/items", `{"name":"pen","price":"cheap"}`, "application/json", true, false},
		{"POST", "/login", "user=bob%40example.com&password=x", "application/x-www-form-urlencoded", false, true},
	} {
		req, _ := http.NewRequest(tc.method, "http://shop.example"+tc.url, strings.NewReader(tc.body))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		if tc.auth {
			req.Header.Set("Authorization", "Bearer t")
		}
		req.Header.Set("Idempotency-Key", "3f2c9a1e-0b7d-4c55-9a43-1f0e2d3c4b5a")
		req.AddCookie(&http.Cookie{Name: "sid", Value: "s"})
		ok, verrs := v.ValidateHttpRequest(req)
		if ok != tc.valid {
			t.Errorf("%s %s: valid %v, want %v: %v", tc.method, tc.url, ok, tc.valid, verrs)
		}
	}
}

// schemaErrors compiles every "schema" of an OpenAPI document as a JSON
// Schema 2020-12, and returns how many it compiled and the errors.
func schemaErrors(v any, at string) (n int, errs []error) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if s, ok := c.(map[string]any); ok && k == "schema" {
				comp := jsonschema.NewCompiler()
				comp.DefaultDraft(jsonschema.Draft2020)
				err := comp.AddResource("schema.json", s)
				if err == nil {
					_, err = comp.Compile("schema.json")
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("%s/schema: %v", at, err))
				}
				n++
			}
			m, e := schemaErrors(c, at+"/"+k)
			n, errs = n+m, append(errs, e...)
		}
	case []any:
		for i, c := range v {
			m, e := schemaErrors(c, at+"/"+strconv.Itoa(i))
			n, errs = n+m, append(errs, e...)
		}
	}
	return n, errs
}

// TestRoutesValidatorRejects checks that the validation of
// TestRoutesOpenAPI can fail: the document spoiled is refused.
func TestRoutesValidatorRejects(t *testing.T) {
	data, err := os.ReadFile("testdata/routes/openapi.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, spoil := range [][2]string{
		{`"in": "query"`, `"in": "body"`},
		{`"required": true`, `"required": "yes"`},
		{`"scheme": "bearer"`, `"scheme": 1`},
	} {
		bad := strings.Replace(string(data), spoil[0], spoil[1], 1)
		doc, err := libopenapi.NewDocument([]byte(bad))
		if err != nil {
			t.Fatal(err)
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			continue // refused already
		}
		if ok, _ := v.ValidateDocument(); ok {
			t.Errorf("%s for %s: the document passes", spoil[1], spoil[0])
		}
	}
	// A schema spoiled fails checkSchemas.
	var whole any
	bad := strings.Replace(string(data), `"type": "integer"`, `"type": "int"`, 1)
	if err := json.Unmarshal([]byte(bad), &whole); err != nil {
		t.Fatal(err)
	}
	if _, errs := schemaErrors(whole, "#"); len(errs) == 0 {
		t.Errorf(`"type": "int" passes checkSchemas`)
	}
}

func TestRoutesMerge(t *testing.T) {
	other := writeFile(t, "b.json", `{"version":1,"program":"shop","overflow":1,"routes":[
		{"method":"GET","route":"/items","count":10,"statuses":[{"code":200,"count":9},{"code":500,"count":1}],
		 "auth":[{"scheme":"bearer","count":10}],
		 "inputs":[{"source":"query","name":"limit","count":10,"kind":"number"},{"source":"query","name":"q","count":1,"kind":"integer"},{"source":"query","name":"new","count":1,"kind":"boolean"}]}]}`)
	a, err := readInventory(routesInventory)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readInventory(other)
	if err != nil {
		t.Fatal(err)
	}
	m := mergeInventories([]*inventory{a, b})
	if m.Program != "shop" || m.Overflow != 4 || len(m.Routes) != len(a.Routes) {
		t.Fatalf("merged: %q, overflow %d, %d routes", m.Program, m.Overflow, len(m.Routes))
	}
	var items *invRoute
	for i := range m.Routes {
		if r := &m.Routes[i]; r.Method == "GET" && r.Route == "/items" {
			items = r
		}
	}
	want := invRoute{Method: "GET", Route: "/items", Count: 130,
		Statuses: []invStatus{{Code: 200, Count: 127}, {Code: 400, Count: 2}, {Code: 500, Count: 1}},
		Auth:     []invAuth{{Scheme: "bearer", Count: 110}, {Scheme: "none", Count: 20}},
		Inputs: []invInput{
			{Source: "header", Name: "X-Tenant", Count: 120, Kind: "string"},
			{Source: "query", Name: "limit", Count: 90, Kind: "number"},
			{Source: "query", Name: "new", Count: 1, Kind: "boolean"},
			{Source: "query", Name: "q", Count: 65, Kind: "string"},
			{Source: "query", Name: "since", Count: 12, Kind: "date-time"},
		}}
	if !reflect.DeepEqual(*items, want) {
		t.Errorf("merged GET /items:\n%+v\nwant\n%+v", *items, want)
	}
	// The first inventory is left as it was.
	if a2, _ := readInventory(routesInventory); !reflect.DeepEqual(a, a2) {
		t.Errorf("merging changed its input")
	}
	out, _, err := runCLI(t, "", "routes", routesInventory, other)
	if err != nil || !strings.HasPrefix(out, "shop (2 files): 17 routes, 866 requests") {
		t.Errorf("%v:\n%s", err, out)
	}
}

func TestRoutesErrors(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{`{"version":2,"routes":[]}`, "inventory version 2 is newer than this tool reads (1)"},
		{`{"routes":[]}`, "not an inventory (no version"},
		{`[1,2]`, "not an inventory: json"},
		{`{"version":1,"routes":[{"method":"GET"}]}`, "route 1 has no method or route"},
	} {
		name := writeFile(t, "inv.json", tc.content)
		_, _, err := runCLI(t, "", "routes", name)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.content, err, tc.want)
		}
	}
	if _, _, err := runCLI(t, "", "routes"); err == nil {
		t.Errorf("no error without a file")
	}
}

func TestConvertRoute(t *testing.T) {
	for _, tc := range []struct {
		route, path string
		params      []string
	}{
		{"/items/{id}", "/items/{id}", []string{"id"}},
		{"/items/{id:[0-9]+}", "/items/{id}", []string{"id"}},
		{"/re/{p:[a-z/]+}/x", "/re/{p}/x", []string{"p"}},
		{"/raw/{path...}", "/raw/{path}", []string{"path"}},
		{"/exact/{$}", "/exact/", nil},
		{"/users/:id/posts/:post?", "/users/{id}/posts/{post}", []string{"id", "post"}},
		{"/f/:id<int>", "/f/{id}", []string{"id"}},
		{"/flights/:from-:to", "/flights/{from}-{to}", []string{"from", "to"}},
		{"/static/*filepath", "/static/{filepath}", []string{"filepath"}},
		{"/echo/*", "/echo/{wildcard}", []string{"wildcard"}},
		{"/fiber/+", "/fiber/{rest}", []string{"rest"}},
		{"/export/{name}.json", "/export/{name}.json", []string{"name"}},
		{"/v1/items:batchGet", "/v1/items:batchGet", nil},
		{"/a/{id}/b/{id}", "/a/{id}/b/{id2}", []string{"id", "id2"}},
		{"/pkg.Svc/Method", "/pkg.Svc/Method", nil},
	} {
		or := convertRoute(&invRoute{Route: tc.route})
		if or.path != tc.path || !reflect.DeepEqual(or.params, tc.params) {
			t.Errorf("convertRoute(%q) = %q %q, want %q %q", tc.route, or.path, or.params, tc.path, tc.params)
		}
	}
}

func TestJSONSchema(t *testing.T) {
	got := jsonSchema([]invInput{
		{Source: "json", Name: "a.b", Count: 1, Kind: "integer"},
		{Source: "json", Name: "a.c[]", Count: 2, Kind: "string"},
		{Source: "json", Name: "lines[].qty", Count: 3, Kind: "integer"},
		{Source: "json", Name: "mixed", Count: 1, Kind: "string"},
		{Source: "json", Name: "mixed.x", Count: 1, Kind: "string"},
	})
	data, _ := json.Marshal(got)
	want := `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"integer","x-rasp-count":1},"c":{"type":"array","items":{"type":"string","x-rasp-count":2}}}},` +
		`"lines":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer","x-rasp-count":3}}}},` +
		`"mixed":{"properties":{"x":{"type":"string","x-rasp-count":1}},"x-rasp-count":1}}}`
	if string(data) != want {
		t.Errorf("schema:\n%s\nwant\n%s", data, want)
	}
	top := jsonSchema([]invInput{{Source: "json", Name: "", Count: 4, Kind: "integer"}})
	if top.Type != "integer" {
		t.Errorf("a body that is a number: %+v", top)
	}
}
