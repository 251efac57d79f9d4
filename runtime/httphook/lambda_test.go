package httphook

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

var lambdaEvents = map[string]string{
	"apigateway": `{"resource":"/items","path":"/items/x%2Fy","httpMethod":"POST","headers":{"Content-Type":"application/x-www-form-urlencoded","User-Agent":"ua","Cookie":"sid=c1"},
		"multiValueHeaders":{"Content-Type":["application/x-www-form-urlencoded"],"User-Agent":["ua"],"Cookie":["sid=c1"]},
		"queryStringParameters":{"owner":"x' OR '1'='1"},"multiValueQueryStringParameters":{"owner":["x' OR '1'='1"]},
		"requestContext":{"stage":"prod","requestId":"r"},"body":"bmFtZT1ib2I=","isBase64Encoded":true}`,
	"apigateway-v2": `{"version":"2.0","routeKey":"$default","rawPath":"/items","rawQueryString":"owner=a%27b","cookies":["sid=c2"],
		"headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST","path":"/items"}},"body":"{\"user\":{\"name\":\"bob\"}}","isBase64Encoded":false}`,
	"alb":         `{"httpMethod":"GET","path":"/f","queryStringParameters":{"file":"..%2Fetc"},"headers":{},"requestContext":{"elb":{"targetGroupArn":"arn"}},"body":"","isBase64Encoded":false}`,
	"sqs":         `{"Records":[{"messageId":"m1","body":"{\"sku\":\"a\"}","messageAttributes":{"tenant":{"stringValue":"t1","dataType":"String"}},"eventSource":"aws:sqs"},{"body":"plain text","eventSource":"aws:sqs"}]}`,
	"sns":         `{"Records":[{"EventSource":"aws:sns","Sns":{"Subject":"subj","Message":"{\"host\":\"h\"}","MessageAttributes":{"k":{"Type":"String","Value":"v"}}}}]}`,
	"s3":          `{"Records":[{"eventSource":"aws:s3","s3":{"bucket":{"name":"b"},"object":{"key":"up/..%2Fx+y.txt"}}}]}`,
	"eventbridge": `{"version":"0","detail-type":"Order","source":"shop","detail":{"order":{"id":"o1"}}}`,
	"lambda":      `{"cmd":"ls"}`,
}

// TestLambdaInputs: each event kind is found by its fields and gives the
// inputs an HTTP request or a message of its source would.
func TestLambdaInputs(t *testing.T) {
	want := map[string][]string{
		"apigateway":    {"query:owner=x' OR '1'='1", "form:name=bob", "path:0=items", "path:1=x/y", "cookie:sid=c1", "header:User-Agent=ua"},
		"apigateway-v2": {"query:owner=a'b", "json:user.name=bob", "path:0=items", "cookie:sid=c2"},
		"alb":           {"query:file=..%2Fetc", "query:file=../etc", "path:0=f"},
		"sqs":           {"sqs:tenant=t1", "sqs:sku=a", "sqs:body=plain text"},
		"sns":           {"sns:k=v", "sns:subject=subj", "sns:host=h"},
		"s3":            {"s3:key=up/..%2Fx+y.txt", "s3:key=up/../x y.txt"},
		"eventbridge":   {"eventbridge:order.id=o1"},
		"lambda":        {"lambda:cmd=ls"},
	}
	for kind, ev := range lambdaEvents {
		k, ins, isHTTP := LambdaInputs([]byte(ev))
		if k != kind || isHTTP != (kind == "apigateway" || kind == "apigateway-v2" || kind == "alb") {
			t.Errorf("%s: kind %q http %v", kind, k, isHTTP)
		}
		var got []string
		for _, in := range ins {
			got = append(got, in.Source+":"+in.Name+"="+in.Value)
		}
		all := strings.Join(got, ";")
		for _, w := range want[kind] {
			if !strings.Contains(";"+all+";", ";"+w+";") {
				t.Errorf("%s: no %q in %s", kind, w, all)
			}
		}
	}
	if k, ins, _ := LambdaInputs([]byte("not json")); k != "lambda" || len(ins) != 1 || ins[0].Name != "body" {
		t.Errorf("text payload: %s %+v", k, ins)
	}
}

// TestLambdaRefusal: a refusal in an HTTP event's invocation is a 403
// proxy response; in another event's, an error.
func TestLambdaRefusal(t *testing.T) {
	inMode(t, policy.ModeBlock)
	l := BeginLambda(context.Background(), "fn", "req-1", []byte(lambdaEvents["apigateway-v2"]))
	req := reqctx.CurrentRequest(l.Context())
	if req == nil || req.Method != "LAMBDA" || req.Path != "fn/req-1" || req.RequestID() != "req-1" {
		t.Fatalf("request %+v", req)
	}
	if len(req.Inputs()) == 0 {
		t.Error("no inputs")
	}
	req.NoteBlocked(&rasp.BlockedError{Rule: "sqli-tautology", RequestID: "req-1"})
	resp, err := l.End()
	var pr struct {
		StatusCode int
		Body       string
	}
	if err != nil || json.Unmarshal(resp, &pr) != nil || pr.StatusCode != 403 ||
		pr.Body != `{"error":"blocked","rule":"sqli-tautology","request_id":"req-1"}` {
		t.Errorf("End = %s, %v", resp, err)
	}
	if reqctx.CurrentRequest(context.Background()) != nil {
		t.Error("the request outlives End")
	}

	l = BeginLambda(nil, "fn", "req-2", []byte(lambdaEvents["sqs"]))
	reqctx.CurrentRequest(l.Context()).NoteBlocked(&rasp.BlockedError{Rule: "cmdi-shell-metachar"})
	if resp, err := l.End(); resp != nil || !errors.Is(err, rasp.ErrBlocked) {
		t.Errorf("sqs End = %s, %v", resp, err)
	}
	l = BeginLambda(nil, "fn", "req-3", []byte(lambdaEvents["sqs"]))
	if resp, err := l.End(); resp != nil || err != nil {
		t.Errorf("benign End = %s, %v", resp, err)
	}
}

func BenchmarkLambdaInputs(b *testing.B) {
	for _, kind := range []string{"apigateway", "apigateway-v2", "sqs", "eventbridge"} {
		ev := []byte(lambdaEvents[kind])
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				LambdaInputs(ev)
			}
		})
	}
}
