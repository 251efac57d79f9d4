package pathguard

import "strings"

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
	// Credential files anywhere (home directories of any user).
	prev := ""
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == '/' {
			i++
		}
		j := i
		for j < len(s) && s[j] != '/' {
			j++
		}
		seg := s[i:j]
		i = j
		if seg == "" {
			continue
		}
		switch seg {
		case ".ssh", ".gnupg", ".azure", ".netrc", ".git-credentials", ".pgpass", ".my.cnf", ".boto", ".s3cfg":
			return true
		case "credentials", "config":
			if prev == ".aws" {
				return true
			}
			if seg == "config" && (prev == ".kube") {
				return true
			}
		case "config.json":
			if prev == ".docker" {
				return true
			}
		case "gcloud":
			if prev == ".config" {
				return true
			}
		}
		prev = seg
	}
	return false
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
