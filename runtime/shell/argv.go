package shell

import (
	"errors"
	"strings"
)

// CheckArgv judges an argv that is passed to execve without a shell.
// dyn[i] lists the dynamic spans within argv[i] (a nil or missing entry means
// argv[i] is all static). Shell metacharacters in arguments are not an
// injection: without a shell they reach the program as they are. Findings:
//
//   - cmdi-argv0-dynamic: argv[0], the program run, contains a dynamic part;
//   - cmdi-argument-injection: for a program that takes dangerous options
//     (see TakesDangerousOptions), a value argument starts with '-' where
//     that dash comes from a dynamic part, so the program would parse it as
//     an option (--upload-pack=..., -o). An argument is a value position
//     when its dynamic part starts at its first byte (the call site passed
//     a variable, not a literal option such as "--output="+name).
//     Arguments after a static "--" or "--end-of-options" and negative
//     numbers ("-1", "-2.5") are not findings, nor are options given to
//     other programs (echo --flag).
//   - cmdi-shell-dynamic: argv[0] is a Windows batch file (.bat, .cmd), which
//     Windows runs through cmd.exe, and a dynamic argument holds one of
//     cmd's metacharacters (& | < > ^ % " newline).
//
// Use CheckScript for the script of a shell (see ShellScript).
func CheckArgv(argv []string, dyn [][]Span) (Finding, bool) {
	return CheckArgvValues(argv, dyn, nil, nil)
}

// CheckArgvValues is CheckArgv with the value positions given by the call
// site: valueArg[i] true when argv[i] was passed as a value (a variable), so
// a leading '-' in it is argument injection even when the dynamic span does
// not cover its first byte. A nil valueArg derives value positions from dyn
// as CheckArgv does. optionPrograms names programs that take dangerous
// options besides the built-in table (a policy's option_programs).
func CheckArgvValues(argv []string, dyn [][]Span, valueArg []bool, optionPrograms []string) (Finding, bool) {
	if len(argv) == 0 {
		return Finding{}, false
	}
	if len(dyn) > 0 {
		for _, sp := range dyn[0] {
			if s, e, ok := clamp(sp, len(argv[0])); ok {
				return Finding{Rule: RuleArgv0Dynamic, Start: s, End: e}, true
			}
		}
	}
	batch := isBatch(argv[0])
	endOpts := false
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if EndOfOptions(a) && !argDynamic(dyn, i, len(a)) {
			endOpts = true
			continue
		}
		if i >= len(dyn) || len(dyn[i]) == 0 {
			continue
		}
		for _, sp := range dyn[i] {
			s, e, ok := clamp(sp, len(a))
			if !ok {
				continue
			}
			if batch {
				for k := s; k < e; k++ {
					switch a[k] {
					case '&', '|', '<', '>', '^', '%', '"', '\n', '\r':
						return Finding{Rule: RuleShellDynamic, Arg: i, Start: s, End: e}, true
					}
				}
			}
			value := s == 0 || (i < len(valueArg) && valueArg[i])
			if !endOpts && value && len(a) > 1 && a[0] == '-' && !isNumber(a[1:]) && TakesDangerousOptions(argv[0], optionPrograms) {
				return Finding{Rule: RuleArgumentInjection, Arg: i, Start: s, End: e}, true
			}
		}
	}
	return Finding{}, false
}

// dangerousOptions are programs with options that run commands, read or
// write arbitrary files, or reach the network, so that an option chosen by
// an input is an injection (git --upload-pack, curl -o, tar
// --checkpoint-action, find -exec, ssh -oProxyCommand, rsync -e, zip -TT,
// sendmail -X, convert -write, ...). Options given to other programs (echo,
// ls, grep) change what they print, not what they do.
var dangerousOptions = map[string]bool{
	"git": true, "curl": true, "wget": true, "tar": true, "bsdtar": true, "gtar": true,
	"find": true, "ssh": true, "scp": true, "sftp": true, "rsync": true,
	"zip": true, "unzip": true, "7z": true, "7za": true,
	"sendmail": true, "exim": true, "mail": true, "mailx": true, "mutt": true,
	"sed": true, "awk": true, "gawk": true, "mawk": true, "nawk": true,
	"perl": true, "python": true, "python3": true, "ruby": true, "php": true, "node": true,
	"env": true, "xargs": true, "sudo": true, "doas": true, "timeout": true, "nice": true, "nohup": true,
	"docker": true, "podman": true, "kubectl": true, "helm": true,
	"psql": true, "mysql": true, "mariadb": true, "sqlite3": true,
	"ffmpeg": true, "convert": true, "magick": true, "gm": true, "wkhtmltopdf": true, "pandoc": true,
	"chromium": true, "chromium-browser": true, "google-chrome": true,
	"openssl": true, "gpg": true, "nmap": true, "tcpdump": true,
	"nc": true, "ncat": true, "socat": true, "npm": true, "npx": true, "pip": true, "pip3": true,
	"make": true, "go": true, "less": true, "man": true, "vi": true, "vim": true,
	"crontab": true, "systemctl": true, "ip": true, "mount": true,
	"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "ash": true,
	"cmd": true, "powershell": true, "pwsh": true,
}

// TakesDangerousOptions reports whether program (a path or a name; its base
// name, without ".exe", in any case) is in the built-in table of programs
// with dangerous options or in extra. It does not allocate.
func TakesDangerousOptions(program string, extra []string) bool {
	name := trimExe(baseName(program))
	var buf [64]byte
	if len(name) <= len(buf) {
		for i := 0; i < len(name); i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		if dangerousOptions[string(buf[:len(name)])] {
			return true
		}
	}
	for _, e := range extra {
		if e == program || strings.EqualFold(e, name) {
			return true
		}
	}
	return false
}

func argDynamic(dyn [][]Span, i, n int) bool {
	if i >= len(dyn) {
		return false
	}
	for _, sp := range dyn[i] {
		if _, _, ok := clamp(sp, n); ok {
			return true
		}
	}
	return false
}

func clamp(sp Span, n int) (int, int, bool) {
	s, e := sp.Start, sp.End
	if s < 0 {
		s = 0
	}
	if e > n {
		e = n
	}
	return s, e, s < e
}

// isNumber reports whether s is a plain decimal number (digits with at most
// one dot).
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' && !dot {
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isBatch(prog string) bool {
	return len(prog) > 4 && (lowerASCIIEq(prog[len(prog)-4:], ".bat") || lowerASCIIEq(prog[len(prog)-4:], ".cmd"))
}

// Allowlist is a set of shell scripts that a program may run with sh -c
// when the policy needs no dynamic parts. A pattern is matched against the
// whole script: '*' matches any run of bytes (including '/' and spaces), '?'
// one byte, and a backslash makes the next byte literal; a pattern without
// wildcards is an exact match. A nil *Allowlist allows everything (the mode
// is off).
type Allowlist struct {
	patterns []string
}

// NewAllowlist compiles the allowlist patterns. It fails on an empty pattern
// or one ending in a lone backslash.
func NewAllowlist(patterns []string) (*Allowlist, error) {
	a := &Allowlist{patterns: make([]string, 0, len(patterns))}
	for _, p := range patterns {
		if p == "" {
			return nil, errors.New("shell: empty allowlist pattern")
		}
		bs := 0
		for i := len(p) - 1; i >= 0 && p[i] == '\\'; i-- {
			bs++
		}
		if bs%2 == 1 {
			return nil, errors.New("shell: allowlist pattern ends with a lone backslash: " + p)
		}
		a.patterns = append(a.patterns, p)
	}
	return a, nil
}

// Allowed reports whether script matches one of the patterns.
func (a *Allowlist) Allowed(script string) bool {
	if a == nil {
		return true
	}
	for _, p := range a.patterns {
		if globMatch(p, script) {
			return true
		}
	}
	return false
}

// Check returns a cmdi-shell-not-allowlisted finding covering the whole
// script when the script is not allowed.
func (a *Allowlist) Check(script string) (Finding, bool) {
	if a.Allowed(script) {
		return Finding{}, false
	}
	return Finding{Rule: RuleShellNotAllowlisted, Start: 0, End: len(script)}, true
}

// globMatch matches s against pattern p ('*', '?', '\' escape) iteratively
// with single-star backtracking (linear in practice, no allocation).
func globMatch(p, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			case '\\':
				if pi+1 < len(p) && p[pi+1] == s[si] {
					pi += 2
					si++
					continue
				}
			default:
				if p[pi] == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		si = starS
		pi = starP + 1
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
