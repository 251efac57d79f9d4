package nethook

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"

	rasp "github.com/rasp-instrument/rasp-instrument/runtime"
)

func inBlockMode(t *testing.T, f func()) string {
	t.Helper()
	old := rasp.CurrentMode()
	var buf bytes.Buffer
	rasp.SetMode(rasp.ModeBlock)
	rasp.SetEventWriter(&buf)
	defer func() { rasp.SetMode(old); rasp.SetEventWriter(nil) }()
	f()
	return buf.String()
}

func TestOpaqueMetadataBlocked(t *testing.T) {
	site := &rasp.Site{Sink: "net/http.Get", Family: rasp.FamilyNet}
	events := inBlockMode(t, func() {
		_, err := HTTPGet(site, "http://169.254.169.254/latest/meta-data/")
		var ue *url.Error
		if !errors.As(err, &ue) || !errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("HTTPGet error = %#v", err)
		}
		if _, err := NetDial(site, "tcp", "169.254.169.254:80"); !errors.Is(err, rasp.ErrBlocked) {
			t.Fatalf("NetDial error = %v", err)
		}
	})
	if strings.Count(events, `"rule":"ssrf-metadata"`) != 2 {
		t.Fatalf("events: %s", events)
	}
}

func TestTemplateHost(t *testing.T) {
	dynHost := &rasp.Site{Sink: "net/http.Get", Family: rasp.FamilyNet, Tmpls: []rasp.Tmpl{rasp.T(0, false, "http://", "/status")}}
	staticHost := &rasp.Site{Sink: "net/http.Get", Family: rasp.FamilyNet, Tmpls: []rasp.Tmpl{rasp.T(0, false, "http://127.0.0.1:8080/items/", "")}}
	inBlockMode(t, func() {
		for _, u := range []string{"http://example.com/status", "http://169.254.169.254/status", "http://127.0.0.1/status", "http://0x7f.1/status"} {
			err := checkURL(dynHost, 0, u)
			if attack := !strings.Contains(u, "example"); (err != nil) != attack {
				t.Errorf("url %q: err = %v, attack %v", u, err, attack)
			}
		}
		if err := checkURL(staticHost, 0, "http://127.0.0.1:8080/items/42"); err != nil {
			t.Errorf("a host the programmer wrote was judged: %v", err)
		}
	})
}
