package cli

import (
	"encoding/json"
	"fmt"
	invschema "github.com/rasp-instrument/rasp-instrument/runtime/inventory"
	"io"
	"strconv"
	"strings"
)

// The OpenAPI 3.1 document routes --openapi writes: only the objects and
// fields it fills, encoded by encoding/json (maps come out sorted, so the
// same inventory gives the same bytes).

type oaDocument struct {
	OpenAPI    string                `json:"openapi"`
	Info       oaInfo                `json:"info"`
	Paths      map[string]oaPathItem `json:"paths"`
	Components *oaComponents         `json:"components,omitempty"`
	Skipped    []string              `json:"x-rasp-skipped,omitempty"`      // routes of methods OpenAPI has no operation for
	Counts     map[string]uint64     `json:"x-rasp-not-recorded,omitempty"` // the inventory's overflow and unmatched
}

type oaInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

// oaPathItem maps a method in lower case to its operation.
type oaPathItem map[string]*oaOperation

type oaOperation struct {
	OperationID string                `json:"operationId"`
	Parameters  []*oaParameter        `json:"parameters,omitempty"`
	RequestBody *oaRequestBody        `json:"requestBody,omitempty"`
	Responses   map[string]oaResponse `json:"responses"`
	Security    []map[string][]string `json:"security,omitempty"`
	Count       uint64                `json:"x-rasp-count"`
	Method      string                `json:"x-rasp-method,omitempty"` // when it is not the operation's (RPC)
	Routes      []string              `json:"x-rasp-routes"`           // the routes as the inventory names them
	Inputs      []invInput            `json:"x-rasp-inputs,omitempty"` // inputs of sources OpenAPI has no place for
	Dropped     uint64                `json:"x-rasp-dropped,omitempty"`
}

type oaParameter struct {
	Name     string    `json:"name"`
	In       string    `json:"in"`
	Required bool      `json:"required,omitempty"`
	Schema   *oaSchema `json:"schema"`
	Count    uint64    `json:"x-rasp-count"`
}

type oaSchema struct {
	Type       string               `json:"type,omitempty"`
	Format     string               `json:"format,omitempty"`
	Properties map[string]*oaSchema `json:"properties,omitempty"`
	Items      *oaSchema            `json:"items,omitempty"`
	Count      uint64               `json:"x-rasp-count,omitempty"`
}

type oaRequestBody struct {
	Content map[string]oaMediaType `json:"content"`
}

type oaMediaType struct {
	Schema *oaSchema `json:"schema"`
}

type oaResponse struct {
	Description string `json:"description"`
	Count       uint64 `json:"x-rasp-count"`
}

type oaComponents struct {
	SecuritySchemes map[string]oaSecurityScheme `json:"securitySchemes"`
}

type oaSecurityScheme struct {
	Type   string `json:"type"`
	Scheme string `json:"scheme,omitempty"`
	In     string `json:"in,omitempty"`
	Name   string `json:"name,omitempty"`
}

// oaMethods are the methods an OpenAPI path item has operations for.
var oaMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true,
}

// writeOpenAPI writes the inventory as an indented OpenAPI 3.1 document.
func writeOpenAPI(w io.Writer, inv *inventory) error {
	doc := buildOpenAPI(inv)
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// oaRoute is a route of the inventory placed in the document.
type oaRoute struct {
	r      *invRoute
	path   string            // OpenAPI's form
	params []string          // the path's parameters, in order
	rename map[string]string // the inventory's name of a path parameter to the document's
}

// buildOpenAPI makes the document: routes whose paths differ only by their
// parameters' names are one path (OpenAPI holds them identical), named as
// the first route in the inventory's order names them, and routes of one
// path and method are one operation.
func buildOpenAPI(inv *inventory) *oaDocument {
	program := inv.Program
	if program == "" {
		program = "program"
	}
	var requests uint64
	for _, r := range inv.Routes {
		requests += r.Count
	}
	doc := &oaDocument{
		OpenAPI: "3.1.0",
		Info: oaInfo{
			Title:   program + " (observed)",
			Version: "observed",
			Description: fmt.Sprintf("The routes %s served while it was observed by rasp-instrument (%d routes, %d requests), "+
				"with the inputs their requests had: what was observed, not all the API allows. "+
				"Written by rasp-instrument routes --openapi from RASP_ROUTES.", program, len(inv.Routes), requests),
		},
		Paths: map[string]oaPathItem{},
	}
	if inv.Overflow > 0 || inv.Unmatched > 0 {
		doc.Counts = map[string]uint64{"overflow": inv.Overflow, "unmatched": inv.Unmatched}
	}

	shapes := map[string]*oaRoute{} // the first route of each shape
	ops := map[[2]string]*invRoute{}
	opRoutes := map[[2]string][]string{}
	var opOrder [][2]string
	for i := range inv.Routes {
		r := &inv.Routes[i]
		method := strings.ToLower(r.Method)
		if method == "rpc" {
			method = "post"
		}
		if !oaMethods[method] {
			doc.Skipped = append(doc.Skipped, r.Method+" "+r.Route)
			continue
		}
		or := convertRoute(r)
		shape := pathShape(or.path)
		first := shapes[shape]
		if first == nil {
			shapes[shape] = or
			first = or
		} else {
			// Name the parameters as the first route of the shape does.
			byPos := map[string]string{}
			for j, p := range or.params {
				byPos[p] = first.params[j]
			}
			for k, v := range or.rename {
				or.rename[k] = byPos[v]
			}
			or.path = first.path
		}
		key := [2]string{or.path, method}
		op := ops[key]
		if op == nil {
			op = &invRoute{Method: r.Method, Route: or.path}
			ops[key] = op
			opOrder = append(opOrder, key)
		} else if op.Method != r.Method {
			op.Method = ""
		}
		mergeRoute(op, r, or.rename)
		opRoutes[key] = append(opRoutes[key], r.Method+" "+r.Route)
	}

	schemes := map[string]oaSecurityScheme{}
	ids := map[string]int{}
	for _, key := range opOrder {
		path, method := key[0], key[1]
		r := ops[key]
		op := buildOperation(r, shapes[pathShape(path)].params, schemes)
		op.Routes = opRoutes[key]
		if r.Method != "" && strings.ToLower(r.Method) != method {
			op.Method = r.Method
		}
		op.OperationID = operationID(method, path, ids)
		item := doc.Paths[path]
		if item == nil {
			item = oaPathItem{}
			doc.Paths[path] = item
		}
		item[method] = op
	}
	if len(schemes) > 0 {
		doc.Components = &oaComponents{SecuritySchemes: schemes}
	}
	return doc
}

// buildOperation makes the operation of a route (merged, in the
// document's path form), and adds the security schemes it uses.
func buildOperation(r *invRoute, pathParams []string, schemes map[string]oaSecurityScheme) *oaOperation {
	op := &oaOperation{Count: r.Count, Dropped: r.Dropped, Responses: map[string]oaResponse{}}

	// Path parameters, in the path's order, typed by their inputs.
	byName := map[string]*invInput{}
	for i := range r.Inputs {
		if in := &r.Inputs[i]; in.Source == "path" {
			byName[in.Name] = in
		}
	}
	for _, p := range pathParams {
		param := &oaParameter{Name: p, In: "path", Required: true, Schema: kindSchema("string")}
		if in := byName[p]; in != nil {
			param.Schema, param.Count = kindSchema(in.Kind), in.Count
		}
		op.Parameters = append(op.Parameters, param)
	}

	// The credentials of the route's API-key schemes are its security's,
	// not parameters.
	credentials := map[string]bool{}
	for _, a := range r.Auth {
		if in, name, ok := strings.Cut(a.Scheme, ":"); ok {
			credentials[strings.ToLower(in)+":"+strings.ToLower(name)] = true
		}
	}

	bodies := map[string]*oaSchema{}
	var jsonIns []invInput
	for _, in := range r.Inputs {
		switch in.Source {
		case "path":
			if byName[in.Name] != nil && !containsString(pathParams, in.Name) {
				op.Inputs = append(op.Inputs, in) // a parameter the path does not show
			}
		case "query", "header", "cookie":
			if credentials[in.Source+":"+strings.ToLower(in.Name)] {
				continue
			}
			op.Parameters = append(op.Parameters, &oaParameter{Name: in.Name, In: in.Source, Schema: kindSchema(in.Kind), Count: in.Count})
		case "json":
			jsonIns = append(jsonIns, in)
		case "form", "multipart":
			media := "application/x-www-form-urlencoded"
			if in.Source == "multipart" {
				media = "multipart/form-data"
			}
			s := bodies[media]
			if s == nil {
				s = &oaSchema{Type: "object", Properties: map[string]*oaSchema{}}
				bodies[media] = s
			}
			p := kindSchema(in.Kind)
			p.Count = in.Count
			s.Properties[in.Name] = p
		default: // body, xml, websocket, grpc, metadata, archive, jwt...
			op.Inputs = append(op.Inputs, in)
		}
	}
	if len(jsonIns) > 0 {
		bodies["application/json"] = jsonSchema(jsonIns)
	}
	if len(bodies) > 0 {
		op.RequestBody = &oaRequestBody{Content: map[string]oaMediaType{}}
		for media, s := range bodies {
			op.RequestBody.Content[media] = oaMediaType{Schema: s}
		}
	}

	for _, s := range r.Statuses {
		key := strconv.Itoa(s.Code)
		if s.Code < 100 || s.Code > 599 {
			key = "default"
		}
		resp := op.Responses[key]
		resp.Count += s.Count
		resp.Description = fmt.Sprintf("observed %d times", resp.Count)
		if resp.Count == 1 {
			resp.Description = "observed once"
		}
		op.Responses[key] = resp
	}
	if r.OtherStatuses > 0 || len(op.Responses) == 0 {
		resp := op.Responses["default"]
		resp.Count += r.OtherStatuses
		resp.Description = "other statuses, or none recorded"
		op.Responses["default"] = resp
	}

	none := false
	for _, a := range r.Auth {
		if a.Scheme == "none" {
			none = true
			continue
		}
		name, scheme, ok := securityScheme(a.Scheme)
		if !ok {
			continue
		}
		schemes[name] = scheme
		op.Security = append(op.Security, map[string][]string{name: {}})
	}
	if none && len(op.Security) > 0 {
		op.Security = append(op.Security, map[string][]string{}) // auth is optional
	}
	return op
}

// securityScheme returns the component name and the security scheme of
// an auth scheme of the inventory.
func securityScheme(auth string) (string, oaSecurityScheme, bool) {
	kind, name, hasName := strings.Cut(auth, ":")
	kind = strings.ToLower(kind)
	if !hasName {
		if kind == "" {
			return "", oaSecurityScheme{}, false
		}
		return componentName(kind + "Auth"), oaSecurityScheme{Type: "http", Scheme: kind}, true
	}
	switch kind {
	case "cookie", "header", "query":
		return componentName(kind + "_" + name), oaSecurityScheme{Type: "apiKey", In: kind, Name: name}, true
	}
	return "", oaSecurityScheme{}, false
}

// componentName makes s a component's name: ^[a-zA-Z0-9._-]+$.
func componentName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// operationID makes a unique operation ID of a method and a path:
// "get_items_id", then "get_items_id_2".
func operationID(method, path string, seen map[string]int) string {
	var b strings.Builder
	b.WriteString(method)
	sep := true
	for _, c := range path {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			if sep {
				b.WriteByte('_')
			}
			b.WriteRune(c)
			sep = false
		} else {
			sep = true
		}
	}
	id := b.String()
	seen[id]++
	if n := seen[id]; n > 1 {
		id += "_" + strconv.Itoa(n)
	}
	return id
}

// kindSchema is the schema of an input of kind k.
func kindSchema(k string) *oaSchema {
	switch k {
	case "integer", "number", "boolean":
		return &oaSchema{Type: k}
	case "uuid", "email", "date", "date-time":
		return &oaSchema{Type: "string", Format: k}
	}
	return &oaSchema{Type: "string"}
}

// jsonNode is a value of a JSON body, built from the key paths of its
// inputs ("a.b", "items[].id", "[].x", "" for the whole body).
type jsonNode struct {
	kind  string // as a leaf, "" when no input ends here
	count uint64
	props map[string]*jsonNode
	items *jsonNode
}

// jsonSchema returns the schema of a JSON body with the inputs ins.
func jsonSchema(ins []invInput) *oaSchema {
	root := &jsonNode{}
	for _, in := range ins {
		n := root
		path := in.Name
		for path != "" {
			if strings.HasPrefix(path, "[]") {
				if n.items == nil {
					n.items = &jsonNode{}
				}
				n = n.items
				path = strings.TrimPrefix(path[2:], ".")
				continue
			}
			end := len(path)
			if i := strings.IndexByte(path, '.'); i >= 0 {
				end = i
			}
			if i := strings.Index(path, "[]"); i >= 0 && i < end {
				end = i
			}
			key := path[:end]
			path = strings.TrimPrefix(path[end:], ".")
			if n.props == nil {
				n.props = map[string]*jsonNode{}
			}
			child := n.props[key]
			if child == nil {
				child = &jsonNode{}
				n.props[key] = child
			}
			n = child
		}
		if n.kind == "" {
			n.kind = in.Kind
		} else {
			n.kind = widenKind(n.kind, in.Kind)
		}
		n.count += in.Count
	}
	return root.schema()
}

// schema is the node's schema: an object when it has properties, an
// array when it has items, its kind's when it is a leaf, and, when it was
// seen as more than one, the keywords of each without a type.
func (n *jsonNode) schema() *oaSchema {
	s := &oaSchema{Count: n.count}
	shapes := 0
	if n.props != nil {
		s.Properties = map[string]*oaSchema{}
		for k, c := range n.props {
			s.Properties[k] = c.schema()
		}
		s.Type = "object"
		shapes++
	}
	if n.items != nil {
		s.Items = n.items.schema()
		s.Type = "array"
		shapes++
	}
	if n.kind != "" {
		if shapes == 0 {
			k := kindSchema(n.kind)
			s.Type, s.Format = k.Type, k.Format
		}
		shapes++
	}
	if shapes > 1 {
		s.Type = ""
	}
	return s
}

// convertRoute puts a route of the inventory in OpenAPI's form: each
// parameter as {name} ("{id}", "{id...}", "{id:[0-9]+}", ":id", ":id?",
// ":id<int>", "*path" are {id} or {path}; "*" is {wildcard} and "+" is
// {rest}); net/http's "{$}" is dropped, and a name given twice gets a
// number.
func convertRoute(r *invRoute) *oaRoute {
	or := &oaRoute{r: r, rename: map[string]string{}}
	route := r.Route
	if !strings.HasPrefix(route, "/") {
		route = "/" + route
	}
	var b strings.Builder
	used := map[string]int{}
	param := func(name string) {
		oa := name
		switch name {
		case "*":
			oa = "wildcard"
		case "+":
			oa = "rest"
		}
		used[oa]++
		if n := used[oa]; n > 1 {
			oa += strconv.Itoa(n)
		}
		if _, ok := or.rename[name]; !ok {
			or.rename[name] = oa
		}
		or.params = append(or.params, oa)
		b.WriteString("{" + oa + "}")
	}
	for i, seg := range invschema.SplitRoute(route) {
		if i > 0 {
			b.WriteByte('/')
		}
		convertSegment(seg, param, &b)
	}
	or.path = b.String()
	return or
}

// convertSegment writes one segment of a route, its parameters through
// param.
func convertSegment(seg string, param func(string), b *strings.Builder) {
	if seg == "+" {
		param("+")
		return
	}
	if seg == "{$}" {
		return
	}
	for i := 0; i < len(seg); {
		c := seg[i]
		switch {
		case c == '{':
			end := matchingBrace(seg, i)
			in := seg[i+1 : end]
			if j := strings.IndexByte(in, ':'); j >= 0 {
				in = in[:j]
			}
			in = strings.TrimSuffix(strings.TrimSpace(in), "...")
			if in == "" || in == "$" {
				in = "param"
			}
			param(in)
			i = end + 1
		case (c == ':' || c == '*') && (i == 0 || !isNameByte(seg[i-1])):
			j := i + 1
			for j < len(seg) && isNameByte(seg[j]) {
				j++
			}
			name := seg[i+1 : j]
			if name == "" {
				if c == ':' {
					b.WriteByte(c)
					i++
					continue
				}
				name = "*"
			}
			param(name)
			if j < len(seg) && seg[j] == '?' {
				j++
			}
			if j < len(seg) && seg[j] == '<' {
				if k := strings.IndexByte(seg[j:], '>'); k >= 0 {
					j += k + 1
				}
			}
			i = j
		case c == '}':
			i++ // unbalanced: not in a path template
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// matchingBrace returns the index of the '}' that closes the '{' at i, or
// the end of s.
func matchingBrace(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(s)
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// pathShape is a path with its parameters' names left out: OpenAPI holds
// two paths of one shape identical.
func pathShape(path string) string {
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		b.WriteByte(path[i])
		if path[i] == '{' {
			if j := strings.IndexByte(path[i:], '}'); j >= 0 {
				i += j - 1
			}
		}
	}
	return b.String()
}
