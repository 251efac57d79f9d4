package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "example.com/grpcsvc/gen/inventoryv1"
)

// mdFlags is the repeatable -md key=value flag.
type mdFlags []string

func (m *mdFlags) String() string { return strings.Join(*m, ",") }
func (m *mdFlags) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want key=value, got %q", v)
	}
	*m = append(*m, v)
	return nil
}

// call is `grpcsvc call`: it sends one request to METHOD of the Inventory
// service and returns the exit status.
func call(args []string) int {
	flags := flag.NewFlagSet("call", flag.ExitOnError)
	addr := flags.String("addr", "", "server address")
	var md mdFlags
	flags.Var(&md, "md", "request metadata key=value (repeatable)")
	flags.Parse(args)
	if *addr == "" || flags.NArg() != 2 {
		usage()
	}
	method, reqJSON := flags.Arg(0), flags.Arg(1)

	// The method and its message types come from the generated descriptor,
	// so every RPC of the .proto is callable without a case for each.
	sd := pb.File_inventory_v1_inventory_proto.Services().ByName("Inventory")
	m := sd.Methods().ByName(protoreflect.Name(method))
	if m == nil {
		fmt.Fprintf(os.Stderr, "grpcsvc: no method %s in %s\n", method, sd.FullName())
		return 2
	}
	fullMethod := "/" + string(sd.FullName()) + "/" + method
	reqs, err := requests(m.Input(), reqJSON, m.IsStreamingClient())
	if err != nil {
		fmt.Fprintf(os.Stderr, "grpcsvc: request: %v\n", err)
		return 2
	}

	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "grpcsvc: %v\n", err)
		return 2
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, kv := range md {
		k, v, _ := strings.Cut(kv, "=")
		ctx = metadata.AppendToOutgoingContext(ctx, k, v)
	}

	resp := newMessage(m.Output())
	var trailer metadata.MD
	if m.IsStreamingClient() {
		err = clientStream(ctx, conn, fullMethod, reqs, resp, &trailer)
	} else {
		err = conn.Invoke(ctx, fullMethod, reqs[0], resp, grpc.Trailer(&trailer))
	}
	for _, id := range trailer.Get("x-request-id") {
		fmt.Fprintf(os.Stderr, "x-request-id: %s\n", id)
	}
	for _, after := range trailer.Get("retry-after") {
		fmt.Fprintf(os.Stderr, "retry-after: %s\n", after)
	}
	if err != nil {
		st := status.Convert(err)
		fmt.Fprintf(os.Stderr, "code: %s\nmessage: %s\n", st.Code(), st.Message())
		return 1
	}
	out, err := protojson.Marshal(resp)
	if err != nil {
		fmt.Fprintf(os.Stderr, "grpcsvc: response: %v\n", err)
		return 1
	}
	// protojson's spacing is deliberately unstable; indent it the same way
	// every time so that scripts can match lines.
	var buf bytes.Buffer
	json.Indent(&buf, out, "", "  ")
	fmt.Println(buf.String())
	return 0
}

// clientStream sends reqs on a client stream and receives its one answer.
func clientStream(ctx context.Context, conn *grpc.ClientConn, fullMethod string, reqs []proto.Message, resp proto.Message, trailer *metadata.MD) error {
	desc := &grpc.StreamDesc{StreamName: fullMethod, ClientStreams: true}
	stream, err := conn.NewStream(ctx, desc, fullMethod)
	if err != nil {
		return err
	}
	defer func() { *trailer = stream.Trailer() }()
	for _, r := range reqs {
		if err := stream.SendMsg(r); err != nil {
			break // the status comes from RecvMsg
		}
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return stream.RecvMsg(resp)
}

// requests decodes the JSON of a request: one object, or for a client
// stream an array of objects (one object is a stream of one).
func requests(md protoreflect.MessageDescriptor, s string, stream bool) ([]proto.Message, error) {
	var raws []json.RawMessage
	if t := strings.TrimSpace(s); stream && strings.HasPrefix(t, "[") {
		if err := json.Unmarshal([]byte(t), &raws); err != nil {
			return nil, err
		}
	} else {
		raws = []json.RawMessage{json.RawMessage(s)}
	}
	var msgs []proto.Message
	for _, raw := range raws {
		msg := newMessage(md)
		if err := protojson.Unmarshal(raw, msg); err != nil {
			return nil, err
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// newMessage returns a new message of the generated Go type for md (the
// generated package registers its types when it is linked in).
func newMessage(md protoreflect.MessageDescriptor) proto.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		panic(err)
	}
	return mt.New().Interface()
}
