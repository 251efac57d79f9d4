package attackwave

import (
	"strings"
	"testing"
)

func TestIsProbe(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		// Secrets and metadata, at the root and under a prefix.
		{"/.env", true},
		{"/.env.local", true},
		{"/.env.production.bak", true},
		{"/app/.env", true},
		{"/.ENV", true},
		{"/.env;.css", true},
		{"/.env\x00.png", true},
		{"//.env", true},
		{"/.git/config", true},
		{"/.git/HEAD", true},
		{"/.git/", true},
		{"/.git", true},
		{"/backup/.git/index", true},
		{"/.git-credentials", true},
		{"/.svn/wc.db", true},
		{"/.hg/store", true},
		{"/.aws/credentials", true},
		{"/.ssh/id_rsa", true},
		{"/id_rsa", true},
		{"/id_rsa.pub", true},
		{"/.kube/config", true},
		{"/.docker/config.json", true},
		{"/.npmrc", true},
		{"/.bash_history", true},
		{"/.vscode/sftp.json", true},
		{"/sftp-config.json", true},
		{"/.DS_Store", true},
		{"/images/.ds_store", true},
		{"/.htaccess", true},
		{"/.htpasswd", true},
		{"/web.config", true},
		{"/web.config.bak", true},
		// Other products.
		{"/wp-login.php", true},
		{"/blog/wp-login.php", true},
		{"/wp-admin", true},
		{"/wp-admin/", true},
		{"/WP-Admin/install.php", true},
		{"/wp-config.php", true},
		{"/wp-config.php.save", true},
		{"/wp-content/plugins/revslider/readme.txt", true},
		{"/wp-includes/wlwmanifest.xml", true},
		{"/xmlrpc.php", true},
		{"/phpmyadmin/", true},
		{"/phpMyAdmin/index.php", true},
		{"/phpinfo.php", true},
		{"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", true},
		{"/_ignition/execute-solution", true},
		{"/cgi-bin/test.cgi", true},
		{"/scripts/cgi-bin/", true},
		{"/server-status", true},
		{"/server-info", true},
		{"/actuator/env", true},
		{"/actuator/heapdump", true},
		{"/actuator", true},
		{"/manager/html", true},
		{"/manager/html;jsessionid=1", true},
		{"/jmx-console/", true},
		{"/HNAP1/", true},
		{"/boaform/admin/formLogin", true},
		{"/remote/fgt_lang", true},
		{"/+CSCOE+/files/file_list.json", true},
		// Path traversal targets.
		{"/etc/passwd", true},
		{"/../../../etc/passwd", true},
		{"/static/..\\..\\etc\\passwd", true},
		{"/etc/shadow", true},
		{"/proc/self/environ", true},
		{"/../../windows/win.ini", true},
		{"..\\..\\windows\\win.ini", true},
		{".env", true}, // no leading slash

		// Ordinary paths.
		{"", false},
		{"/", false},
		{"//", false},
		{"/index.html", false},
		{"/env", false},
		{"/environment", false},
		{"/static/env.js", false},
		{"/.envrc", false},
		{"/api/git/config-values", false},
		{"/.github/workflows/ci.yml", false},
		{"/.gitignore", false},
		{"/assets/.gitkeep", false},
		{"/wp-admin-guide.html", false},
		{"/docs/wordpress/wp-admin-tips", false},
		{"/wp-login.php5", false},
		{"/api/server-status", false},
		{"/status", false},
		{"/api/actuator", false},
		{"/actuators", false},
		{"/manager/htmlx", false},
		{"/hr/manager/html", false},
		{"/docs/etc/passwd-format", false},
		{"/etc/passwords", false},
		{"/users/cgi-binary", false},
		{"/config.json", false},
		{"/debug/pprof/", false},
		{"/.well-known/acme-challenge/token", false},
		{"/metrics", false},
		{"/healthz", false},
		{"/api/v1/users/42", false},
		{"/win.init", false},
		{"/ssh/keys", false},
		{"/aws/credentials", false},
	}
	for _, tt := range tests {
		if got := IsProbe(tt.path); got != tt.want {
			t.Errorf("IsProbe(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestProbeRules: every rule has a reason, a lower-case pattern, and
// matches its own path at the root, in upper case, and (unless it is
// for the root only) under a prefix.
func TestProbeRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range probeRules {
		if r.reason == "" || r.pat == "" || r.pat != strings.ToLower(r.pat) || strings.HasPrefix(r.pat, "/") || seen[r.pat] {
			t.Errorf("rule %+v: empty, duplicated, or its pattern is not lower case without a leading slash", r)
		}
		seen[r.pat] = true
		for _, p := range []string{"/" + r.pat, "/" + strings.ToUpper(r.pat), "/" + r.pat + "/x"} {
			if !IsProbe(p) {
				t.Errorf("IsProbe(%q) = false", p)
			}
		}
		if got := IsProbe("/prefix/" + r.pat); got == r.root {
			t.Errorf("IsProbe(%q) = %v for a rule with root %v", "/prefix/"+r.pat, got, r.root)
		}
		if got := IsProbe("/" + r.pat + ".bak"); got != r.ext {
			t.Errorf("IsProbe(%q) = %v for a rule with ext %v", "/"+r.pat+".bak", got, r.ext)
		}
		if IsProbe("/" + r.pat + "x") {
			t.Errorf("IsProbe(%q) = true", "/"+r.pat+"x")
		}
	}
	if len(probeRules) < 30 {
		t.Errorf("%d rules", len(probeRules))
	}
}

func TestIsProbeDoesNotAllocate(t *testing.T) {
	paths := []string{"/api/v1/users/42", "/static/../../etc/passwd", "/.env", "/wp-admin-guide.html"}
	for _, p := range paths {
		if n := testing.AllocsPerRun(100, func() { IsProbe(p) }); n != 0 {
			t.Errorf("IsProbe(%q): %v allocations", p, n)
		}
	}
}

func BenchmarkIsProbe(b *testing.B) {
	for _, p := range []string{"/api/v1/users/42/orders", "/.git/config", "/assets/app.3f9a1c.js"} {
		b.Run(strings.ReplaceAll(p, "/", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				IsProbe(p)
			}
		})
	}
}
