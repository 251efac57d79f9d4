//go:build rasp_decls

// Declarations added to package github.com/aws/aws-lambda-go/lambda: every
// invocation the runtime API's invoke loop hands to the handler (Start,
// StartWithOptions, StartHandlerFunc) runs as a message of kind lambda,
// named function-name/request-id, whose inputs are the event's.

package lambda

import (
	"bytes"
	"context"
	"io"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_begin starts the invocation whose context (with its
// lambdacontext, which holds the AWS request ID) and payload
// callBytesHandlerFunc was given; nil in mode off.
func __rasp_begin(ctx context.Context, payload []byte) *__rasp_httphook.Lambda {
	id := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc != nil {
		id = lc.AwsRequestID
	}
	return __rasp_httphook.BeginLambda(ctx, lambdacontext.FunctionName, id, payload)
}

// __rasp_end ends the invocation, after the handler returned or panicked
// (callBytesHandlerFunc's own recover ran first). When one of its sink
// calls was refused, an HTTP event (API Gateway, ALB, Function URL) is
// answered the runtime's 403 proxy response instead of the handler's, and
// any other event fails with the handler's error, or the refusal when the
// handler returned none: the platform retries it or dead-letters it.
func __rasp_end(l *__rasp_httphook.Lambda, response io.Reader, invokeErr *messages.InvokeResponse_Error) (io.Reader, *messages.InvokeResponse_Error) {
	refusal, err := l.End()
	switch {
	case refusal != nil:
		if c, ok := response.(io.Closer); ok {
			c.Close() // handleInvoke would have closed it
		}
		return bytes.NewReader(refusal), nil
	case err != nil && invokeErr == nil:
		return nil, lambdaErrorResponse(err)
	}
	return response, invokeErr
}
