package httphook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/taint"
)

// maxLambdaPayload bounds the bytes of an invocation's payload that are
// parsed for inputs (AWS caps a synchronous payload at 6 MB): a longer
// payload gives no inputs beyond its first bytes as one "body" input.
const maxLambdaPayload = 1 << 20

// maxLambdaRecords bounds the records of an SQS, SNS or S3 event whose
// bodies and attributes are inputs.
const maxLambdaRecords = 32

// Lambda is one invocation of an AWS Lambda handler (aws-lambda-go's
// invoke loop), from BeginLambda to End: a Message of kind "lambda" whose
// inputs are the event's (LambdaInputs).
type Lambda struct {
	m       *Message
	payload []byte
	kind    string // the event's kind, known once the inputs were read
	isHTTP  bool

	once sync.Once
	ins  []taint.Input
}

// BeginLambda starts an invocation on the calling goroutine: function is
// the function's name, id the AWS request ID, payload the event. Its
// position in events is "function/id", its method LAMBDA. It returns nil
// in mode off, or on an internal error (fail open); End must be called on
// the same goroutine when the handler returns or panics.
func BeginLambda(parent context.Context, function, id string, payload []byte) (l *Lambda) {
	defer func() {
		if r := recover(); r != nil {
			metrics.NoteInternalError()
			metrics.CountInternalError("middleware")
			events.Logf("internal error beginning lambda invocation %s: %v", id, r)
			if l != nil && l.m != nil {
				l.m.End()
			}
			l = nil
		}
	}()
	if function == "" {
		function = "lambda"
	}
	position := function + "/" + id
	m := BeginMessage(parent, "lambda", position, id, nil)
	if m == nil {
		return nil
	}
	l = &Lambda{m: m, payload: payload}
	// The inputs are the event's, read when a detector first asks: the
	// message's input source is the invocation, not a MessageInput.
	m.request.Init(id, "LAMBDA", position, "", l)
	return l
}

// Context returns the handler's context with the invocation in it.
func (l *Lambda) Context() context.Context { return l.m.Context() }

// RequestID returns the invocation's AWS request ID.
func (l *Lambda) RequestID() string { return l.m.RequestID() }

// Inputs reads the event's inputs, for reqctx.Request.
func (l *Lambda) Inputs() []taint.Input {
	l.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				metrics.NoteInternalError()
				metrics.CountInternalError("middleware")
				events.Logf("internal error reading the inputs of lambda invocation %s: %v", l.m.request.Path, r)
			}
		}()
		l.kind, l.ins, l.isHTTP = LambdaInputs(l.payload)
	})
	return l.ins
}

// End ends the invocation. When a sink call made for it was refused, it
// returns for an HTTP event (API Gateway REST or HTTP API, ALB, Function
// URL) the proxy response to send instead of the handler's: status 403,
// JSON body {"error":"blocked","rule":...,"request_id":...}; for any other
// event the refusal as the error the invocation fails with (the platform
// retries the event or dead-letters it). Both are nil otherwise.
func (l *Lambda) End() (response []byte, err error) {
	b := l.m.End()
	if b == nil {
		return nil, nil
	}
	defer func() {
		if r := recover(); r != nil {
			metrics.NoteInternalError()
			metrics.CountInternalError("middleware")
			response, err = nil, b
		}
	}()
	l.Inputs() // the event's kind
	if !l.isHTTP {
		return nil, b
	}
	id := l.m.RequestID()
	body, _ := json.Marshal(struct {
		Error     string `json:"error"`
		Rule      string `json:"rule"`
		RequestID string `json:"request_id"`
	}{"blocked", b.Rule, id})
	type proxyResponse struct {
		StatusCode        int               `json:"statusCode"`
		StatusDescription string            `json:"statusDescription,omitempty"`
		Headers           map[string]string `json:"headers"`
		Body              string            `json:"body"`
		IsBase64Encoded   bool              `json:"isBase64Encoded"`
	}
	pr := proxyResponse{
		StatusCode: http.StatusForbidden,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Request-Id": id},
		Body:       string(body),
	}
	if l.kind == "alb" {
		pr.StatusDescription = "403 Forbidden"
	}
	response, _ = json.Marshal(pr)
	return response, nil
}

// lambdaEvent is the union of the fields LambdaInputs reads from the
// events it knows, by the names AWS gives them.
type lambdaEvent struct {
	// API Gateway HTTP API (payload 2.0) and Function URL.
	Version        string   `json:"version"`
	RawPath        string   `json:"rawPath"`
	RawQueryString string   `json:"rawQueryString"`
	Cookies        []string `json:"cookies"`
	// API Gateway REST (payload 1.0), ALB.
	HTTPMethod                      string              `json:"httpMethod"`
	Path                            string              `json:"path"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	// All HTTP events.
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		HTTP struct {
			Method string `json:"method"`
			Path   string `json:"path"`
		} `json:"http"`
		ELB json.RawMessage `json:"elb"`
	} `json:"requestContext"`
	// SQS, SNS, S3.
	Records []struct {
		EventSource string `json:"eventSource"` // SNS spells it EventSource
		// SQS.
		Body              string `json:"body"`
		MessageAttributes map[string]struct {
			StringValue string `json:"stringValue"`
		} `json:"messageAttributes"`
		// SNS.
		SNS struct {
			Subject           string `json:"Subject"`
			Message           string `json:"Message"`
			MessageAttributes map[string]struct {
				Value string `json:"Value"`
			} `json:"MessageAttributes"`
		} `json:"Sns"`
		// S3.
		S3 struct {
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
	// EventBridge.
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// LambdaInputs returns the request inputs of a Lambda invocation's
// payload, the event's kind, and whether the event is an HTTP request.
// The kind is found by the event's fields, as AWS sends them:
//
//   - "apigateway-v2" (an HTTP API or Function URL event: version "2.0",
//     rawPath), "apigateway" (a REST API event: httpMethod, no
//     requestContext.elb) and "alb" (requestContext.elb): isHTTP, and the
//     inputs are those of the HTTP request the event describes (query,
//     form or JSON body, path segments, cookies, headers), as a net/http
//     server's request gives them;
//   - "sqs", "sns", "s3" (Records[].eventSource aws:sqs, aws:sns, aws:s3):
//     for each record (at most 32) the body (SQS) or message (SNS), its
//     JSON fields by path else the whole as "body", the message attributes
//     by name, the SNS subject, the S3 object key as "key"; source sqs,
//     sns or s3;
//   - "eventbridge" (detail-type and detail): the detail's fields by path,
//     source eventbridge;
//   - "lambda" (any other payload, a direct invocation): the payload's
//     JSON fields by path, source lambda.
//
// The inputs are bounded as a request's are (256 inputs, values of at
// most 4096 bytes, 64 KiB of body); a payload that is not JSON, or longer
// than 1 MiB, gives its first bytes as the input "body" of source lambda.
func LambdaInputs(payload []byte) (kind string, ins []taint.Input, isHTTP bool) {
	var ev lambdaEvent
	if len(payload) > maxLambdaPayload || json.Unmarshal(payload, &ev) != nil {
		return "lambda", MessageInputs(MessageInput{Source: "lambda", Body: payload}), false
	}
	switch {
	case ev.Version == "2.0" && ev.RawPath != "":
		return "apigateway-v2", lambdaHTTPInputs(&ev, true), true
	case ev.HTTPMethod != "":
		kind = "apigateway"
		if len(ev.RequestContext.ELB) > 0 {
			kind = "alb"
		}
		return kind, lambdaHTTPInputs(&ev, false), true
	case len(ev.Records) > 0:
		return lambdaRecordInputs(&ev)
	case ev.DetailType != "" && len(ev.Detail) > 0:
		return "eventbridge", MessageInputs(MessageInput{Source: "eventbridge", Body: ev.Detail}), false
	}
	return "lambda", MessageInputs(MessageInput{Source: "lambda", Body: payload}), false
}

// lambdaHTTPInputs builds the request an HTTP event describes and returns
// its inputs.
func lambdaHTTPInputs(ev *lambdaEvent, v2 bool) []taint.Input {
	r := &http.Request{Header: make(http.Header, len(ev.Headers)+len(ev.MultiValueHeaders)), URL: &url.URL{}}
	var rawPath, rawQuery string
	if v2 {
		r.Method = ev.RequestContext.HTTP.Method
		rawPath, rawQuery = ev.RawPath, ev.RawQueryString
	} else {
		r.Method = ev.HTTPMethod
		rawPath = ev.Path
		rawQuery = lambdaQuery(ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
	}
	if u, err := url.Parse(rawPath); err == nil && u.Path != "" {
		r.URL.Path, r.URL.RawPath = u.Path, u.RawPath
	} else {
		r.URL.Path = rawPath
	}
	r.URL.RawQuery = rawQuery
	for k, vs := range ev.MultiValueHeaders {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range ev.Headers {
		if _, ok := r.Header[http.CanonicalHeaderKey(k)]; !ok {
			r.Header.Add(k, v)
		}
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	var tee *bodyTee
	if ev.Body != "" {
		body := []byte(ev.Body)
		if ev.IsBase64Encoded {
			if d, err := base64.StdEncoding.DecodeString(ev.Body); err == nil {
				body = d
			}
		}
		if len(body) > maxBody {
			body = body[:maxBody]
		}
		tee = &bodyTee{buf: body}
	}
	return inputs(r, tee)
}

// lambdaQuery makes a query string of the parameters of a REST API or ALB
// event: the multi-value ones when the event has them, else the single
// ones, by sorted name. Their values are sent decoded by API Gateway and
// as sent by ALB; either way they are escaped again, and the collector
// unescapes them once.
func lambdaQuery(single map[string]string, multi map[string][]string) string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	if len(multi) > 0 {
		for _, k := range sortedKeys(multi) {
			for _, v := range multi[k] {
				add(k, v)
			}
		}
		return b.String()
	}
	for _, k := range sortedKeys(single) {
		add(k, single[k])
	}
	return b.String()
}

// lambdaRecordInputs returns the inputs of an SQS, SNS or S3 event.
func lambdaRecordInputs(ev *lambdaEvent) (string, []taint.Input, bool) {
	kind := "lambda"
	var ins []taint.Input
	for i, rec := range ev.Records {
		if i >= maxLambdaRecords || len(ins) >= maxInputs {
			break
		}
		var in MessageInput
		switch strings.ToLower(rec.EventSource) {
		case "aws:sqs":
			in = MessageInput{Source: "sqs", Body: []byte(rec.Body)}
			if len(rec.MessageAttributes) > 0 {
				in.Attrs = make(map[string][]string, len(rec.MessageAttributes))
				for k, a := range rec.MessageAttributes {
					in.Attrs[k] = []string{a.StringValue}
				}
			}
		case "aws:sns":
			in = MessageInput{Source: "sns", Body: []byte(rec.SNS.Message)}
			in.Attrs = make(map[string][]string, len(rec.SNS.MessageAttributes)+1)
			for k, a := range rec.SNS.MessageAttributes {
				in.Attrs[k] = []string{a.Value}
			}
			if rec.SNS.Subject != "" {
				in.Attrs["subject"] = []string{rec.SNS.Subject}
			}
		case "aws:s3":
			in = MessageInput{Source: "s3", Key: rec.S3.Object.Key}
		default:
			continue
		}
		if kind == "lambda" {
			kind = in.Source
		}
		ins = append(ins, MessageInputs(in)...)
	}
	if len(ins) > maxInputs {
		ins = ins[:maxInputs]
	}
	return kind, ins, false
}
