package pathjoin

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/configured"
)

// dyn returns a copy of s built at run time: not one of the program's
// constants, as an entry name read from an archive is not.
func dyn(s string) string { return strings.Clone(s) }

// found is Lookup's second result.
func found(p string) bool {
	_, ok := Lookup(p)
	return ok
}

func TestClimbingJoinsAreFound(t *testing.T) {
	for _, tc := range []struct {
		elem  []string
		climb bool
	}{
		{[]string{"/srv/data", "../outside/x.txt"}, true},
		{[]string{"/srv/data", "a/../../../etc/cron.d/x"}, true},
		{[]string{"/srv/data", ".."}, true},
		{[]string{"data", "../../x"}, true},
		{[]string{"", "../x"}, true},
		{[]string{"/srv/data", "docs", "../../x"}, true},
		{[]string{"/srv/data", "a/../b"}, false},      // stays inside
		{[]string{"/srv/data", "docs", "../b"}, true}, // above docs, the part written before it
		{[]string{"/srv/data", "docs/x.txt"}, false},
		{[]string{"/srv/data", "/etc/passwd"}, false}, // Join makes it relative: /srv/data/etc/passwd
		{[]string{"/", "../etc/passwd"}, false},       // nothing is above the root
		{[]string{"/srv/data", "x..y"}, false},
	} {
		Reset()
		elem := make([]string, len(tc.elem))
		for i, e := range tc.elem {
			elem[i] = dyn(e)
		}
		p := Filepath(elem...)
		if p != filepath.Join(tc.elem...) {
			t.Errorf("Filepath(%q) = %q, want %q", tc.elem, p, filepath.Join(tc.elem...))
		}
		if got := found(p); got != tc.climb {
			t.Errorf("found(Filepath(%q) = %q) = %v, want %v", tc.elem, p, got, tc.climb)
		}
		Reset()
		p = Slash(elem...)
		if p != path.Join(tc.elem...) {
			t.Errorf("Slash(%q) = %q", tc.elem, p)
		}
		if got := found(p); got != tc.climb {
			t.Errorf("found(Slash(%q) = %q) = %v, want %v", tc.elem, p, got, tc.climb)
		}
	}
}

func TestOnlyTheResultIsFound(t *testing.T) {
	Reset()
	p := Filepath("/srv/data", dyn("../outside/x.txt"))
	if e, ok := Lookup(p); !ok || e != "../outside/x.txt" {
		t.Fatalf("Lookup(%q) = %q, %v; want the element that climbed", p, e, ok)
	}
	if found(strings.Clone(p)) {
		t.Error("an equal string at another address is found")
	}
	// filepath.Dir of the result shares its bytes: still outside /srv/data.
	if d := filepath.Dir(p); unsafe.StringData(d) != unsafe.StringData(p) || !found(d) {
		t.Errorf("filepath.Dir(%q) = %q is not found", p, d)
	}
	// A parent of the base directory is not outside it.
	if found(p[:4]) { // "/srv"
		t.Errorf("%q, a parent of the base, is found", p[:4])
	}
	// A prefix that does not end before a separator is not a directory of it.
	if found(p[:len(p)-2]) {
		t.Errorf("%q is found", p[:len(p)-2])
	}
}

func TestReusedPointerOfAnotherLength(t *testing.T) {
	Reset()
	buf := []byte("/srv/outside/x.txt and more")
	p := unsafe.String(&buf[0], len("/srv/outside/x.txt"))
	Record(p, "../outside/x.txt", len("/srv"), '/')
	if !found(p) {
		t.Fatal("recorded path not found")
	}
	longer := unsafe.String(&buf[0], len(buf))
	if found(longer) {
		t.Error("a longer string at the same address is found")
	}
	// The same address, the same length, other bytes: the address was
	// reused by another string.
	copy(buf, "/srv/elsewhere/abc")
	if found(p) {
		t.Error("other bytes at the recorded address are found")
	}
}

func TestStaleSlot(t *testing.T) {
	Reset()
	first := Filepath("/srv/data", dyn("../first"))
	if !found(first) {
		t.Fatal("not found")
	}
	for i := 0; i < Slots; i++ {
		Filepath("/srv/data", dyn("../other"+strconv.Itoa(i)))
	}
	if found(first) {
		t.Error("a path overwritten in the ring is still found")
	}
}

func TestConstantsAreNotDynamic(t *testing.T) {
	Reset()
	dir := dyn("/usr/local/bin")
	p := Filepath(dir, "..", "share") // the program's own ".."
	if found(p) {
		t.Errorf("%q is found", p)
	}
}

func TestConfiguredValuesAreNotDynamic(t *testing.T) {
	Reset()
	v := configured.Values() // read before the test adds its value
	v["../common/app.yaml"] = true
	defer delete(v, "../common/app.yaml")
	p := Filepath(dyn("/srv/app"), dyn("../common/app.yaml"))
	if found(p) {
		t.Errorf("%q, from the configuration, is found", p)
	}
}

func TestEmptyRing(t *testing.T) {
	Reset()
	if found("/srv/data/x") || found("") {
		t.Error("found in an empty ring")
	}
}

func TestConcurrent(t *testing.T) {
	Reset()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				p := Filepath("/srv/data", dyn("../g"+strconv.Itoa(g)+"/"+strconv.Itoa(i)))
				Lookup(p)
				q := Filepath("/srv/data", dyn("ok/"+strconv.Itoa(i)))
				if found(q) {
					t.Errorf("clean join %q found", q)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	// Each goroutine finds its own result right after the join, unless 64
	// other joins overwrote it meanwhile: at least the last one is found.
	p := Filepath("/srv/data", dyn("../last"))
	if !found(p) {
		t.Error("the last join is not found")
	}
}

func TestCleanPathAllocs(t *testing.T) {
	dir, name := dyn("/srv/data"), dyn("docs/readme.txt")
	plain := testing.AllocsPerRun(100, func() { _ = filepath.Join(dir, name) })
	hooked := testing.AllocsPerRun(100, func() { _ = Filepath(dir, name) })
	if hooked != plain {
		t.Errorf("Filepath allocates %v times, filepath.Join %v", hooked, plain)
	}
	Filepath("/srv/data", dyn("../x")) // the ring is not empty
	p := dyn("/srv/data/docs/readme.txt")
	if n := testing.AllocsPerRun(100, func() { Lookup(p) }); n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
}

var sink string

func BenchmarkJoin(b *testing.B) {
	dir, name := dyn("/srv/data"), dyn("docs/readme.txt")
	b.Run("filepath.Join", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sink = filepath.Join(dir, name)
		}
	})
	b.Run("Filepath", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sink = Filepath(dir, name)
		}
	})
	climb := dyn("../outside/x.txt")
	b.Run("Filepath/climbing", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sink = Filepath(dir, climb)
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	p := dyn("/srv/data/docs/readme.txt")
	b.Run("empty", func(b *testing.B) {
		Reset()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			Lookup(p)
		}
	})
	b.Run("full", func(b *testing.B) {
		Reset()
		for i := 0; i < Slots; i++ {
			Filepath("/srv/data", dyn("../x"+strconv.Itoa(i)))
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			Lookup(p)
		}
	})
}
