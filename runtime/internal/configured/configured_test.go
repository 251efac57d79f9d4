package configured

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigurationWords(t *testing.T) {
	set := map[string]bool{}
	addHostWords(set, "UPSTREAM=http://Billing.SVC.cluster.local:8080/v1, peers=[fd00::7]:9000;10.0.0.9 x")
	for _, w := range []string{"billing.svc.cluster.local", "fd00::7", "10.0.0.9", "upstream"} {
		if !set[w] {
			t.Errorf("%q missing from %v", w, set)
		}
	}
	if set["x"] {
		t.Error("a one-letter word")
	}
	var files []string
	for _, v := range []string{"/etc/app/app.ini", "config.json", "hooks.json", "store.db", "settings.yaml", "/srv/conf", "a\nb.ini"} {
		files = appendConfigFile(files, v)
	}
	if got := strings.Join(files, " "); got != "/etc/app/app.ini config.json settings.yaml /srv/conf" {
		t.Errorf("configuration files = %q", got)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "hookd.conf")
	os.WriteFile(conf, []byte("upstream = http://127.0.0.5:8080/\n"), 0o644)
	bin := filepath.Join(dir, "app.conf")
	os.WriteFile(bin, []byte("127.0.0.6\x00"), 0o644)
	if data, ok := readConfigFile(conf); !ok || !strings.Contains(string(data), "127.0.0.5") {
		t.Errorf("readConfigFile(%s) = %q, %v", conf, data, ok)
	}
	if _, ok := readConfigFile(bin); ok {
		t.Error("a binary file was read as configuration")
	}
	if _, ok := readConfigFile(dir); ok {
		t.Error("a directory was read as configuration")
	}
}
