package taint

// Input is one value a client sent with a request.
type Input struct {
	Source string // query, form, multipart, json, body, path, cookie, header
	Name   string // the parameter, JSON key path, cookie or header name
	Value  string
}
