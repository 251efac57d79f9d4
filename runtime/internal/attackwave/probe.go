package attackwave

// IsProbe reports whether path, a request's decoded path (URL.Path), is one
// that vulnerability scanners ask for and that no route of a Go program
// serves: a secret or metadata file left in a web root (/.env,
// /.git/config, /.aws/credentials), the entry point of another product
// (/wp-login.php, /phpmyadmin, /actuator/env, /cgi-bin/), or the usual
// target of a path traversal (/etc/passwd). The list, 42 entries with the
// reason for each, is probeRules in probe.go.
//
// How a path matches an entry:
//
//   - By whole segments: /wp-admin, /wp-admin/ and /wp-admin/install.php
//     match /wp-admin, /wp-admin-guide.html and /env do not; an entry of
//     several segments (actuator, manager/html, etc/passwd) matches them
//     in a row. A backslash counts as a slash (..\..\windows\win.ini), and
//     an entry also matches when followed by ';' (/.env;.css, Tomcat's
//     path parameters) or a control character (a NUL that truncates the
//     path on the other side).
//   - Anywhere in the path for files and directories a scanner looks for
//     under any prefix (/app/.env, /blog/wp-login.php,
//     /static/../../etc/passwd); only as the first segment for entries
//     that name an application's route, which a Go program might have
//     under a prefix of its own (/server-status, /actuator).
//   - Some entries also match with a suffix after a dot, the variants
//     scanners try (/.env.local, /.env.bak, /wp-config.php.save).
//   - Regardless of ASCII case: Windows and macOS file systems and IIS
//     serve /.ENV as /.env, so scanners vary the case, and no route of a Go
//     program differs from these paths by case alone.
//
// Deliberately not probes, being routes a Go program may well serve:
// /config.json (a single-page application's settings), /debug/pprof (the
// program's own profiler), /.well-known/..., /metrics, /healthz, /env,
// /.github/..., /.gitignore, autodiscover paths (Go mail servers serve
// them). A program that proxies to a PHP application should not count
// probes at all: /wp-admin is its users' traffic.
//
// IsProbe does not allocate; its cost grows with the number of segments of
// path, not with the length of the list.
func IsProbe(path string) bool {
	first := true
	for p := 0; p < len(path); {
		if c := path[p]; c == '/' || c == '\\' {
			p++
			continue
		}
		rest := path[p:]
		for _, r := range probeIndex[lower(rest[0])] {
			if (first || !r.root) && r.matches(rest) {
				return true
			}
		}
		first = false
		for p < len(path) && path[p] != '/' && path[p] != '\\' {
			p++
		}
	}
	return false
}

// A probeRule is a path, or a run of path segments, that scanners ask for.
type probeRule struct {
	pat    string // lower case, segments separated by '/', no leading '/'
	root   bool   // only as the path's first segments
	ext    bool   // also followed by '.' and more
	reason string // why a scanner asks for it
}

// probeRules is IsProbe's list.
var probeRules = []probeRule{
	// Secrets and metadata left in a web root.
	{pat: ".env", ext: true, reason: "dotenv file: database URLs, API keys and other secrets"},
	{pat: ".git", reason: "Git metadata (.git/config, .git/HEAD, .git/index): the source and its history"},
	{pat: ".git-credentials", reason: "Git's stored passwords and tokens"},
	{pat: ".svn", reason: "Subversion metadata (.svn/wc.db): the source"},
	{pat: ".hg", reason: "Mercurial metadata: the source and its history"},
	{pat: ".aws", reason: "AWS credentials and configuration (.aws/credentials)"},
	{pat: ".ssh", reason: "SSH keys (.ssh/id_rsa, .ssh/authorized_keys)"},
	{pat: "id_rsa", ext: true, reason: "an SSH private key left in a web root"},
	{pat: ".kube", reason: "Kubernetes credentials (.kube/config)"},
	{pat: ".docker", reason: "Docker registry credentials (.docker/config.json)"},
	{pat: ".npmrc", reason: "npm registry tokens"},
	{pat: ".bash_history", reason: "shell history: commands, hosts and passwords typed"},
	{pat: ".vscode/sftp.json", reason: "VS Code SFTP extension settings, with server passwords"},
	{pat: "sftp-config.json", reason: "Sublime Text SFTP settings, with server passwords"},
	{pat: ".ds_store", reason: "macOS Finder metadata: lists a directory's files"},
	{pat: ".htaccess", ext: true, reason: "Apache per-directory configuration: rewrite rules, protected paths"},
	{pat: ".htpasswd", ext: true, reason: "Apache password file"},
	{pat: "web.config", ext: true, reason: "IIS and ASP.NET configuration, with connection strings"},

	// Other products' entry points and known vulnerable paths.
	{pat: "wp-login.php", reason: "WordPress login: password guessing"},
	{pat: "wp-admin", reason: "WordPress administration"},
	{pat: "wp-config.php", ext: true, reason: "WordPress configuration with the database password, and its editors' backups"},
	{pat: "wp-content", reason: "WordPress plugins and themes: known vulnerable versions"},
	{pat: "wp-includes", reason: "WordPress core files: version fingerprinting"},
	{pat: "xmlrpc.php", reason: "WordPress XML-RPC: password guessing in bulk, pingback abuse"},
	{pat: "phpmyadmin", reason: "phpMyAdmin: a database console"},
	{pat: "phpinfo.php", reason: "PHP's configuration and environment disclosed"},
	{pat: "eval-stdin.php", reason: "PHPUnit's eval-stdin.php: remote code execution (CVE-2017-9841)"},
	{pat: "_ignition", reason: "Laravel Ignition: remote code execution (CVE-2021-3129)"},
	{pat: "cgi-bin", reason: "CGI scripts: Shellshock (CVE-2014-6271) and old CGI flaws"},
	{pat: "server-status", root: true, reason: "Apache mod_status: every request being served, with client addresses"},
	{pat: "server-info", root: true, reason: "Apache mod_info: the server's configuration"},
	{pat: "actuator", root: true, reason: "Spring Boot Actuator: /actuator/env leaks configuration, /actuator/heapdump memory"},
	{pat: "manager/html", root: true, reason: "Tomcat Manager: deploys code, often with default passwords"},
	{pat: "jmx-console", root: true, reason: "JBoss JMX console: remote code execution"},
	{pat: "hnap1", root: true, reason: "HNAP of D-Link and other routers: remote code execution"},
	{pat: "boaform", root: true, reason: "Boa-based routers' login form: default passwords"},
	{pat: "remote/fgt_lang", root: true, reason: "Fortinet SSL VPN: path traversal (CVE-2018-13379)"},
	{pat: "+cscoe+", root: true, reason: "Cisco ASA web VPN: path traversal (CVE-2020-3452)"},

	// Path traversal targets.
	{pat: "etc/passwd", reason: "path traversal's usual target on Unix"},
	{pat: "etc/shadow", reason: "path traversal: Unix password hashes"},
	{pat: "proc/self/environ", reason: "path traversal: the server's environment variables"},
	{pat: "win.ini", reason: "path traversal's usual target on Windows (windows/win.ini)"},
}

// probeIndex lists probeRules by the first byte of their pattern.
var probeIndex = func() (ix [256][]*probeRule) {
	for i := range probeRules {
		r := &probeRules[i]
		ix[r.pat[0]] = append(ix[r.pat[0]], r)
	}
	return ix
}()

// matches reports whether rest, a path from the start of a segment on,
// starts with the rule's segments.
func (r *probeRule) matches(rest string) bool {
	if len(rest) < len(r.pat) {
		return false
	}
	for i := 0; i < len(r.pat); i++ {
		c, p := lower(rest[i]), r.pat[i]
		if c != p && !(p == '/' && c == '\\') {
			return false
		}
	}
	if len(rest) == len(r.pat) {
		return true
	}
	switch c := rest[len(r.pat)]; {
	case c == '/', c == '\\', c == ';', c < 0x20, c == 0x7f:
		return true
	case c == '.':
		return r.ext
	}
	return false
}

// lower returns c in lower case if it is an ASCII letter.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
