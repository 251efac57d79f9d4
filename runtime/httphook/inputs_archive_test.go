package httphook

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"io"
	"net/http/httptest"
	"testing"
)

func archiveInputs(t *testing.T, body []byte) []string {
	r := httptest.NewRequest("POST", "/upload", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/octet-stream")
	tee := NewBodyTee(r.Body, 1<<16)
	if _, err := io.Copy(io.Discard, tee); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range Inputs(r, tee) {
		if in.Source == "archive" {
			names = append(names, in.Name+":"+in.Value)
		}
	}
	return names
}

func TestInputsArchiveNames(t *testing.T) {
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, n := range []string{"docs/readme.txt", "../../evil.txt", "/abs.txt", "a/../b.txt", `..\win.txt`} {
		w, _ := zw.Create(n)
		w.Write([]byte("x"))
	}
	zw.Close()
	got := archiveInputs(t, zb.Bytes())
	want := []string{"zip:../../evil.txt", "zip:/abs.txt", "zip:a/../b.txt", `zip:..\win.txt`} // a ".." segment is enough; the path check tells whether it climbed
	if len(got) != len(want) {
		t.Fatalf("zip: got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("zip: got %q, want %q", got, want)
		}
	}

	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, n := range []string{"ok/file.txt", "../../../tmp/slip.txt"} {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: 1, Format: tar.FormatUSTAR})
		tw.Write([]byte("x"))
	}
	tw.Close()
	got = archiveInputs(t, tb.Bytes())
	if len(got) != 1 || got[0] != "tar:../../../tmp/slip.txt" {
		t.Errorf("tar: got %q", got)
	}
	// A normal archive gives no input.
	var nb bytes.Buffer
	nw := zip.NewWriter(&nb)
	w, _ := nw.Create("a/b.txt")
	w.Write([]byte("x"))
	nw.Close()
	if got := archiveInputs(t, nb.Bytes()); len(got) != 0 {
		t.Errorf("normal archive: %q", got)
	}
}
