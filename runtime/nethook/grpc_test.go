package nethook

import (
	"context"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

func TestGRPCTargetAddr(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1:50051":                 "10.0.0.1:50051",
		"dns:///svc.internal:8080":       "svc.internal:8080",
		"dns://8.8.8.8/svc.internal:80":  "svc.internal:80",
		"passthrough:///169.254.169.254": "169.254.169.254:443",
		"example.com":                    "example.com:443",
		"[::1]:9":                        "[::1]:9",
		"unix:///run/app.sock":           "",
		"unix:app.sock":                  "",
		"":                               "",
	} {
		if _, got := grpcTargetAddr(in); got != want {
			t.Errorf("grpcTargetAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJudgeTarget(t *testing.T) {
	old := judge.CurrentMode()
	judge.SetMode(policy.ModeBlock)
	defer judge.SetMode(old)
	req := reqctx.NewRequest("t-1", "POST", "/relay", "127.0.0.1", reqctx.Fixed{
		{Source: "json", Name: "target", Value: "169.254.169.254:80"}, {Source: "query", Name: "t", Value: "dns:///10.0.0.7:50051"}})
	ctx := reqctx.WithRequest(context.Background(), req)
	if err := JudgeTarget(ctx, "dns:///169.254.169.254:80"); err == nil {
		t.Error("a target the request chose, the metadata address, was not refused")
	}
	if err := JudgeTarget(ctx, "api.example.com:443"); err != nil {
		t.Errorf("a written target was refused: %v", err)
	}
	if err := JudgeTarget(context.Background(), "169.254.169.254:80"); err != nil {
		t.Errorf("outside a request: %v", err)
	}
	if err := JudgeTarget(ctx, "dns:///10.0.0.7:50051"); err == nil {
		t.Error("a whole target the request chose, internal, was not refused")
	}
	if err := JudgeTarget(ctx, "10.1.2.3:80"); err != nil {
		t.Errorf("a target no input occurs in was refused: %v", err)
	}
}
