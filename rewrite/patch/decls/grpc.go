//go:build rasp_decls

// Declarations added to package google.golang.org/grpc: the runtime's
// interceptors, which the spec's prologues put first in every server's
// chains, whatever interceptors the program installs; and the judge of a
// client's target.

package grpc

import (
	"context"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
	__rasp_nethook "github.com/rasp-instrument/rasp-instrument/runtime/nethook"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// __rasp_serving is called when a server starts to serve: the first
// server of the process prints the runtime's banner, as a net/http server
// does.
func __rasp_serving() { __rasp_httphook.ServerStarting() }

// __rasp_begin makes the call known to the runtime; nil in mode off.
func __rasp_begin(ctx context.Context, fullMethod string) *__rasp_httphook.RPC {
	md, _ := metadata.FromIncomingContext(ctx)
	addr := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		addr = p.Addr.String()
	}
	return __rasp_httphook.BeginRPC(ctx, fullMethod, addr, md)
}

// __rasp_end ends the call: the request ID goes into the trailer. A call
// the policy's request rules refused (the handler did not run) fails with
// PermissionDenied, or for a rate limit with ResourceExhausted and the
// seconds to wait in the trailer retry-after; a call one of whose sink
// calls was blocked fails with PermissionDenied, whatever the handler
// returned. The message names the rule and the request ID.
func __rasp_end(ctx context.Context, c *__rasp_httphook.RPC, err error) error {
	id, rule := c.End()
	if id != "" {
		SetTrailer(ctx, metadata.Pairs("x-request-id", id))
	}
	if rule == "" {
		return err
	}
	if after := c.RetryAfter(); after != "" {
		SetTrailer(ctx, metadata.Pairs("retry-after", after))
		return status.Error(codes.ResourceExhausted, "rasp: rate limited by rule "+rule+" (request "+id+"), retry after "+after+"s")
	}
	return status.Error(codes.PermissionDenied, "rasp: blocked by rule "+rule+" (request "+id+")")
}

func __rasp_unary(ctx context.Context, req any, info *UnaryServerInfo, handler UnaryHandler) (resp any, err error) {
	c := __rasp_begin(ctx, info.FullMethod)
	if c == nil {
		return handler(ctx, req)
	}
	defer func() {
		if err = __rasp_end(ctx, c, err); err != nil {
			resp = nil
		}
	}()
	if c.Refused() {
		return nil, nil // __rasp_end answers
	}
	c.Received(req)
	return handler(c.Context(), req)
}

func __rasp_stream(srv any, ss ServerStream, info *StreamServerInfo, handler StreamHandler) (err error) {
	c := __rasp_begin(ss.Context(), info.FullMethod)
	if c == nil {
		return handler(srv, ss)
	}
	defer func() { err = __rasp_end(ss.Context(), c, err) }()
	if c.Refused() {
		return nil // __rasp_end answers
	}
	return handler(srv, &__rasp_serverStream{ServerStream: ss, c: c})
}

// __rasp_serverStream adds every message the handler receives to the
// call's inputs, and gives the handler the call's context.
type __rasp_serverStream struct {
	ServerStream
	c *__rasp_httphook.RPC
}

func (s *__rasp_serverStream) Context() context.Context { return s.c.Context() }

func (s *__rasp_serverStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.c.Received(m)
	}
	return err
}

// __rasp_target judges the target of a client about to be created: a host
// chosen by the request's input (SSRF).
func __rasp_target(target string) error {
	return __rasp_nethook.JudgeTarget(context.Background(), target)
}
