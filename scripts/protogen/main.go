// Command protogen does what `protoc --go_out --go-grpc_out` does, without
// protoc: it parses .proto files with github.com/bufbuild/protocompile,
// builds the CodeGeneratorRequest protoc would send to its plugins, runs the
// real plugins (protoc-gen-go, whose generator is
// google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo, and
// protoc-gen-go-grpc) as `go tool` programs pinned by this module's go.mod,
// and writes the files they answer with.
//
//	go run . -I DIR -out DIR [-module PATH] FILE.proto...
//
// FILE is a path relative to the -I directory, as the proto's own imports
// name it. With -module, the output file names have that Go import path
// prefix removed (protoc-gen-go's module= option), so a go_package of
// MODULE/gen/x lands in OUT/gen/x.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// plugins are the code generators run on every request, in order.
var plugins = []string{"protoc-gen-go", "protoc-gen-go-grpc"}

func main() {
	log.SetFlags(0)
	log.SetPrefix("protogen: ")
	include := flag.String("I", ".", "directory the .proto files (and their imports) are found in")
	out := flag.String("out", ".", "directory the generated files are written under")
	module := flag.String("module", "", "Go module path stripped from output file names (protoc-gen-go's module= option)")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("usage: protogen -I DIR -out DIR [-module PATH] FILE.proto...")
	}

	req, err := request(*include, flag.Args(), *module)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range plugins {
		files, err := runPlugin(p, req)
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			path := filepath.Join(*out, filepath.FromSlash(f.GetName()))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				log.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(f.GetContent()), 0o644); err != nil {
				log.Fatal(err)
			}
			fmt.Println(path)
		}
	}
}

// request compiles the named files and returns the plugin request protoc
// would build for them: every file they import, dependencies first, with
// source info (comments) kept so the generated code carries them.
func request(include string, names []string, module string) (*pluginpb.CodeGeneratorRequest, error) {
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{include}}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := c.Compile(context.Background(), names...)
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: names}
	if module != "" {
		req.Parameter = proto.String("module=" + module)
	}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			add(imports.Get(i).FileDescriptor)
		}
		fdp := protodesc.ToFileDescriptorProto(fd)
		req.ProtoFile = append(req.ProtoFile, fdp)
		// protoc sends source_file_descriptors (options retained) for
		// the files to generate; plugins fall back to proto_file.
		for _, n := range names {
			if n == fd.Path() {
				req.SourceFileDescriptors = append(req.SourceFileDescriptors, proto.Clone(fdp).(*descriptorpb.FileDescriptorProto))
			}
		}
	}
	for _, f := range files {
		add(f)
	}
	return req, nil
}

// runPlugin runs `go tool NAME` in this module's directory with req on its
// standard input and returns the files of its response.
func runPlugin(name string, req *pluginpb.CodeGeneratorRequest) ([]*pluginpb.CodeGeneratorResponse_File, error) {
	in, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "tool", name)
	cmd.Dir = moduleDir()
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(outb, &resp); err != nil {
		return nil, fmt.Errorf("%s: bad response: %w", name, err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("%s: %s", name, resp.GetError())
	}
	for _, f := range resp.File {
		if f.GetInsertionPoint() != "" || strings.Contains(f.GetName(), "..") {
			return nil, errors.New(name + ": unsupported output file " + f.GetName())
		}
	}
	return resp.File, nil
}

// moduleDir is the directory of this program's go.mod, where `go tool`
// finds the plugins' tool directives.
func moduleDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		log.Fatal("cannot find the protogen module directory")
	}
	return filepath.Dir(file)
}
