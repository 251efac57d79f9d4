package httphook

import (
	"context"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// Shapes of protoc-gen-go's structs: internal state, tagged fields, a
// nested message, repeated and map fields, and a oneof.
type filterMsg struct {
	state  struct{ x int }
	Name   string            `protobuf:"bytes,1,opt,name=name,proto3"`
	Tags   []string          `protobuf:"bytes,2,rep,name=tags,proto3"`
	Labels map[string]string `protobuf:"bytes,3,rep,name=labels,proto3"`
	Kind   isFilterKind      `protobuf_oneof:"kind"`
}

type isFilterKind interface{ isFilterKind() }

type filterSku struct {
	Sku string `protobuf:"bytes,4,opt,name=sku,proto3,oneof"`
}

func (*filterSku) isFilterKind() {}

type findMsg struct {
	Owner  string     `protobuf:"bytes,1,opt,name=owner,proto3"`
	Filter *filterMsg `protobuf:"bytes,2,opt,name=filter,proto3"`
	Data   []byte     `protobuf:"bytes,3,opt,name=data,proto3"`
	Count  int64      `protobuf:"varint,4,opt,name=count,proto3"`
}

func rpcInputs(t *testing.T, md map[string][]string, msgs ...any) []string {
	t.Helper()
	c := BeginRPC(context.Background(), "/inv.v1.Inventory/Find", "127.0.0.1:9", md)
	defer c.End()
	for _, m := range msgs {
		c.Received(m)
	}
	var got []string
	for _, in := range c.Inputs() {
		got = append(got, in.Source+":"+in.Name+"="+in.Value)
	}
	return got
}

func TestRPCInputs(t *testing.T) {
	inMode(t, policy.ModeDetect)
	got := rpcInputs(t, map[string][]string{"x-tenant": {"acme"}, "authorization": {"Bearer s"}, "grpc-timeout": {"1S"}},
		&findMsg{Owner: "ann", Data: []byte("raw"), Count: 7, Filter: &filterMsg{
			Name: "lamp", Tags: []string{"a", "b"}, Labels: map[string]string{"env": "prod", "we ird": "x"}, Kind: &filterSku{Sku: "s-1"},
		}})
	want := []string{"metadata:x-tenant=acme", "grpc:owner=ann", "grpc:filter.name=lamp", "grpc:filter.tags[0]=a", "grpc:filter.tags[1]=b",
		"grpc:filter.labels[env]=prod", "grpc:filter.labels=we ird", "grpc:filter.sku=s-1", "grpc:data=raw"}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, "\n"), w) {
			t.Errorf("inputs lack %s: %q", w, got)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "Bearer") || strings.Contains(g, "1S") || strings.Contains(g, "=7") {
			t.Errorf("unexpected input %s", g)
		}
	}
}

// node nests without end, as a message that refers to itself may.
type node struct {
	Name string `protobuf:"bytes,1,opt,name=name,proto3"`
	Next *node  `protobuf:"bytes,2,opt,name=next,proto3"`
}

func TestRPCInputsBounded(t *testing.T) {
	inMode(t, policy.ModeDetect)
	n := &node{Name: "x"}
	n.Next = n // a cycle: the depth bound ends the walk
	if got := rpcInputs(t, nil, n); len(got) == 0 || len(got) > maxInputs {
		t.Errorf("%d inputs", len(got))
	}
	big := &findMsg{Filter: &filterMsg{Tags: make([]string, 100000)}}
	for i := range big.Filter.Tags {
		big.Filter.Tags[i] = "t"
	}
	if got := rpcInputs(t, nil, big); len(got) != maxInputs {
		t.Errorf("%d inputs from 100000 tags, want %d", len(got), maxInputs)
	}
}

// TestRPCEndAndOff: the request ID to echo, and nothing in mode off.
func TestRPCEndAndOff(t *testing.T) {
	inMode(t, policy.ModeBlock)
	c := BeginRPC(context.Background(), "/s/M", "", map[string][]string{"x-request-id": {"g-9"}})
	if id, rule := c.End(); id != "g-9" || rule != "" {
		t.Errorf("End = %q, %q", id, rule)
	}
	inMode(t, policy.ModeOff)
	if BeginRPC(context.Background(), "/s/M", "", nil) != nil {
		t.Error("BeginRPC in mode off")
	}
}

// BenchmarkRPC and BenchmarkServed: what the gRPC interceptor and the
// fasthttp wrapper add to a call (a request) whose handler makes one judged
// sink call, inputs read: the same work as BenchmarkMiddleware's.
func BenchmarkRPC(b *testing.B) {
	inMode(b, policy.ModeBlock)
	md := map[string][]string{"x-tenant": {"acme"}}
	msg := &findMsg{Owner: "ann", Filter: &filterMsg{Name: "lamp"}}
	b.ReportAllocs()
	for b.Loop() {
		c := BeginRPC(context.Background(), "/inv.v1.Inventory/Find", "127.0.0.1:9", md)
		c.Received(msg)
		if sinkHere(&c.request) != nil {
			b.Fatal("blocked")
		}
		c.End()
	}
}

func BenchmarkServed(b *testing.B) {
	inMode(b, policy.ModeBlock)
	raw := RawRequest{RawQuery: "q=lamp", Header: map[string][]string{"User-Agent": {"bench"}}}
	r := rawReq(func() RawRequest { return raw }, "User-Agent", "bench")
	b.ReportAllocs()
	for b.Loop() {
		s := Begin("GET", "/items", "127.0.0.1:9", r)
		if sinkHere(&s.request) != nil {
			b.Fatal("blocked")
		}
		s.End()
	}
}
