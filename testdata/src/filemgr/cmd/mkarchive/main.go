// Command mkarchive writes a zip or tar archive (by the output's suffix)
// whose entries are the NAME=CONTENT arguments, names as given: the test
// scripts make normal and malicious archives with it.
package main

import (
	"archive/tar"
	"archive/zip"
	"log"
	"os"
	"strings"
)

func main() {
	out, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	if strings.HasSuffix(os.Args[1], ".tar") {
		tw := tar.NewWriter(out)
		for _, a := range os.Args[2:] {
			name, content, _ := strings.Cut(a, "=")
			tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Format: tar.FormatUSTAR})
			tw.Write([]byte(content))
		}
		if err := tw.Close(); err != nil {
			log.Fatal(err)
		}
		return
	}
	zw := zip.NewWriter(out)
	for _, a := range os.Args[2:] {
		name, content, _ := strings.Cut(a, "=")
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			log.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
}
