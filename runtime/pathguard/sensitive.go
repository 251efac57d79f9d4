package pathguard

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// isSensitive reports whether the clean absolute path p ('/' separated)
// names a sensitive file.
func isSensitive(s string) bool {
	switch s {
	case "/etc/shadow", "/etc/passwd", "/etc/gshadow", "/etc/master.passwd",
		"/etc/sudoers", "/etc/security/opasswd", "/etc/ssh/ssh_host_rsa_key",
		"/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key":
		return true
	}
	if hasPrefix(s, "/etc/sudoers.d/") || hasPrefix(s, "/var/run/secrets/") || hasPrefix(s, "/run/secrets/") {
		return true
	}
	if !hasPrefix(s, "/proc/") && !strings.Contains(s, "/.") {
		// Every other sensitive path has a segment starting with a dot.
		return false
	}
	// /proc/<pid|self|thread-self>/{environ,mem,cmdline,maps,root/...,cwd/...}
	if hasPrefix(s, "/proc/") {
		rest := s[len("/proc/"):]
		i := indexByte(rest, '/')
		if i > 0 {
			rest = rest[i+1:]
			if hasPrefix(rest, "task/") { // /proc/1/task/2/...
				rest = rest[len("task/"):]
				if j := indexByte(rest, '/'); j > 0 {
					rest = rest[j+1:]
				}
			}
			seg := rest
			if j := indexByte(rest, '/'); j >= 0 {
				seg = rest[:j]
			}
			switch seg {
			case "environ", "mem", "cmdline", "maps", "auxv", "root", "cwd", "fd", "map_files":
				return true
			}
		}
	}
	// Credential files in a home directory: the process user's, root's,
	// or one under /home. The same names inside a directory the program
	// serves ("/srv/files/dotfiles/.ssh/authorized_keys") are its users'
	// data, not the system's or the process's credentials.
	rest, ok := homeRel(s)
	if !ok {
		return false
	}
	seg, next := firstSeg(rest)
	switch seg {
	case ".ssh", ".gnupg", ".azure", ".netrc", ".git-credentials", ".pgpass", ".my.cnf", ".boto", ".s3cfg":
		return true
	case ".aws":
		sub, _ := firstSeg(next)
		return sub == "credentials" || sub == "config"
	case ".kube":
		sub, _ := firstSeg(next)
		return sub == "config"
	case ".docker":
		sub, _ := firstSeg(next)
		return sub == "config.json"
	case ".config":
		sub, _ := firstSeg(next)
		return sub == "gcloud"
	}
	return false
}

// homeRel returns the part of the clean absolute path s below a home
// directory (after its separator): the process user's ($HOME), /root, or
// /home/<user>.
func homeRel(s string) (string, bool) {
	if h := processHome(); len(h) > 1 && hasPrefix(s, h) && len(s) > len(h) && s[len(h)] == '/' {
		return s[len(h)+1:], true
	}
	if hasPrefix(s, "/root/") {
		return s[len("/root/"):], true
	}
	if hasPrefix(s, "/home/") {
		rest := s[len("/home/"):]
		if i := indexByte(rest, '/'); i > 0 {
			return rest[i+1:], true
		}
	}
	return "", false
}

// firstSeg returns the first segment of the relative path s and what
// follows its separator.
func firstSeg(s string) (seg, rest string) {
	if i := indexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

var (
	homeOnce sync.Once
	home     string
)

// processHome returns the process user's home directory, clean, or "".
func processHome() string {
	homeOnce.Do(func() {
		if h, err := os.UserHomeDir(); err == nil && filepath.IsAbs(h) {
			home = filepath.ToSlash(filepath.Clean(h))
		}
	})
	return home
}

func hasPrefix(s, pre string) bool { return len(s) >= len(pre) && s[:len(pre)] == pre }

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
