package literal

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

type wrapper struct{ name string }

var configured = wrapper{name: "git"}

func TestIs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/maps")
	}
	if !Known() {
		t.Fatal("the program's mappings were not found in /proc/self/maps")
	}
	n := len(os.Args) // not a constant
	lits := map[string]string{
		"literal":             "git",
		"struct field":        configured.name,
		"substring":           strings.Fields("git log -p")[1],
		"long literal":        "--upload-pack=touch /tmp/x",
		"constant expression": "--" + "exec",
	}
	for what, s := range lits {
		if !Is(s) {
			t.Errorf("%s %q: not reported a constant", what, s)
		}
	}
	home, _ := os.UserHomeDir()
	built := map[string]string{
		"concatenation":  "--depth=" + fmt.Sprint(n),
		"bytes":          string([]byte("--exec=id")),
		"environment":    os.Getenv("PATH"),
		"argument":       os.Args[0],
		"home":           home,
		"one byte":       string([]byte{'g'}),
		"empty":          "",
		"fields of heap": strings.Fields(string([]byte("sh -c id")))[0],
	}
	for what, s := range built {
		if Is(s) {
			t.Errorf("%s %q: reported a constant", what, s)
		}
	}
}

func TestReadMaps(t *testing.T) {
	maps := `00400000-004a3000 r-xp 00000000 fe:00 9978254 /tmp/exe/app
004a3000-00580000 r--p 000a3000 fe:00 9978254 /tmp/exe/app
00580000-0058b000 rw-p 00180000 fe:00 9978254 /tmp/exe/app
0058b000-005c1000 rw-p 00000000 00:00 0
7f0000000000-7f0000001000 r--p 00000000 fe:00 1 /usr/lib/libc.so.6
7ffc6f60b000-7ffc6f62c000 rw-p 00000000 00:00 0 [stack]
`
	for _, tc := range []struct {
		at     uintptr
		lo, hi uintptr
	}{
		{0x4c898b, 0x400000, 0x580000},
		{0x400000, 0x400000, 0x580000},
		{0x580001, 0, 0},                                 // writable data
		{0x7f0000000010, 0x7f0000000000, 0x7f0000001000}, // another file: its own run
		{0x7ffc6f60b010, 0, 0},                           // anonymous
	} {
		lo, hi := readMaps(bufio.NewScanner(strings.NewReader(maps)), tc.at)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("at %#x: got [%#x, %#x), want [%#x, %#x)", tc.at, lo, hi, tc.lo, tc.hi)
		}
	}
}

var sink bool

func BenchmarkIs(b *testing.B) {
	s := strings.Repeat("x", 3)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink = Is(s) || Is("git")
	}
}
