package manifest

import (
	"errors"
	"reflect"
	"testing"
)

func TestReadFindsRecordsAmongOtherBytes(t *testing.T) {
	link, err := EncodeLink(Link{Version: "v1.2.3", Go: "go1.26.8", Spec: "sinks.yaml", SpecSHA256: "ab12", EntryPoints: "os.OpenFile"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := EncodePackage(Package{Path: "example.com/a", Sites: map[string]int{"sql": 2, "exec": 1}})
	b, _ := EncodePackage(Package{Path: "example.com/b", Sites: map[string]int{"sql": 1}})
	// As a linker lays strings out: back to back, among others, a record
	// possibly twice, and the markers alone in the code that writes them.
	exe := []byte("\x7fELF\x00junk" + packageMarker + "not json" + b + "other strings" + linkMarker + "\x00" + link + a + "\x00" + b + packageMarker)
	m, err := Read(exe)
	if err != nil {
		t.Fatal(err)
	}
	if m.Link.Tool != "rasp-instrument" || m.Link.Version != "v1.2.3" || m.Link.BuildFlags == nil {
		t.Errorf("link record: %+v", m.Link)
	}
	if got := []string{m.Packages[0].Path, m.Packages[1].Path}; len(m.Packages) != 2 || got[0] != "example.com/a" || got[1] != "example.com/b" {
		t.Errorf("packages: %+v", m.Packages)
	}
	if want := map[string]int{"sql": 3, "exec": 1}; !reflect.DeepEqual(m.Sites, want) {
		t.Errorf("sites = %v, want %v", m.Sites, want)
	}
}

func TestReadWithoutLinkRecord(t *testing.T) {
	a, _ := EncodePackage(Package{Path: "example.com/a", Sites: map[string]int{"sql": 2}})
	for _, exe := range []string{
		"",
		"\x7fELF plain program",
		a,                                        // a package record alone: the link did not go through the tool
		linkMarker + `{"tool":"rasp-instrument"`, /* cut short */
		linkMarker + `{"tool":"other","spec_sha256":"ab"}`,
	} {
		if _, err := Read([]byte(exe)); !errors.Is(err, ErrNone) {
			t.Errorf("Read(%q) = %v, want ErrNone", exe, err)
		}
	}
}
