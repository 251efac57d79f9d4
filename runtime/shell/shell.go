// Package shell detects command injection at os/exec call sites.
//
// It knows when a program interprets a string as a shell script
// (ShellScript), judges such a script against the byte ranges that were
// dynamic at the call site (CheckScript), judges argv that is handed to
// execve without a shell (CheckArgv) and offers an allowlist of shell
// scripts for programs that must run sh -c.
//
// The package imports the standard library only and does not allocate on
// the clean path.
package shell

import "github.com/rasp-instrument/rasp-instrument/runtime/internal/span"

// Span is a dynamic byte range [Start,End) of a string: bytes that came
// from a variable or the request rather than from a literal at the call site.
// It is the runtime's one span type, shared with the other detectors.
type Span = span.Span

// Finding describes a detected injection: the rule that fired and the byte
// range [Start,End) of the dynamic span (within the script or the argument)
// that caused it.
type Finding struct {
	Rule       string
	Arg        int // the index in argv of the argument, for CheckArgv
	Start, End int
}

// Rule names reported in Finding.Rule.
const (
	// RuleShellDynamic: a dynamic part of a shell script is not confined to
	// one word (separator, substitution, redirection, quote break-out,
	// comment) or chooses the command.
	RuleShellDynamic = "cmdi-shell-dynamic"
	// RuleArgv0Dynamic: the program run (argv[0]) contains a dynamic part.
	RuleArgv0Dynamic = "cmdi-argv0-dynamic"
	// RuleArgumentInjection: a dynamic value argument starts with '-' and
	// would be read as an option.
	RuleArgumentInjection = "cmdi-argument-injection"
	// RuleShellNotAllowlisted: in allowlist mode, a shell script that
	// matches no allowlisted pattern.
	RuleShellNotAllowlisted = "cmdi-shell-not-allowlisted"
)

// Rules returns the names of the rules this package reports.
func Rules() []string {
	return []string{RuleShellDynamic, RuleArgv0Dynamic, RuleArgumentInjection, RuleShellNotAllowlisted}
}

// baseName returns the last element of a slash or backslash separated path.
func baseName(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' || s[i] == '\\' {
			return s[i+1:]
		}
	}
	return s
}

// lowerASCIIEq reports whether s equals lower (already lower case),
// ignoring ASCII case in s.
func lowerASCIIEq(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// trimExe removes a trailing ".exe" (any case).
func trimExe(s string) string {
	if len(s) > 4 && lowerASCIIEq(s[len(s)-4:], ".exe") {
		return s[:len(s)-4]
	}
	return s
}

type shellKind uint8

const (
	notShell shellKind = iota
	posixShell
	cmdShell
	psShell
	busybox
	envProg
	wrapper
)

func kindOf(prog string) shellKind {
	b := trimExe(baseName(prog))
	switch {
	case lowerASCIIEq(b, "sh"), lowerASCIIEq(b, "bash"), lowerASCIIEq(b, "dash"),
		lowerASCIIEq(b, "zsh"), lowerASCIIEq(b, "ksh"), lowerASCIIEq(b, "mksh"),
		lowerASCIIEq(b, "ash"), lowerASCIIEq(b, "ksh93"), lowerASCIIEq(b, "pdksh"),
		lowerASCIIEq(b, "rbash"), lowerASCIIEq(b, "yash"), lowerASCIIEq(b, "posh"),
		lowerASCIIEq(b, "fish"), lowerASCIIEq(b, "csh"), lowerASCIIEq(b, "tcsh"):
		return posixShell
	case lowerASCIIEq(b, "cmd"):
		return cmdShell
	case lowerASCIIEq(b, "powershell"), lowerASCIIEq(b, "pwsh"):
		return psShell
	case lowerASCIIEq(b, "busybox"), lowerASCIIEq(b, "toybox"):
		return busybox
	case lowerASCIIEq(b, "env"):
		return envProg
	case lowerASCIIEq(b, "sudo"), lowerASCIIEq(b, "doas"), lowerASCIIEq(b, "nohup"),
		lowerASCIIEq(b, "setsid"), lowerASCIIEq(b, "nice"), lowerASCIIEq(b, "timeout"),
		lowerASCIIEq(b, "stdbuf"), lowerASCIIEq(b, "ionice"), lowerASCIIEq(b, "time"):
		return wrapper
	}
	return notShell
}

// ShellScript reports whether argv runs a shell interpreting a script, and
// which argv index holds the script. It handles sh, bash, dash, zsh, ksh and
// other POSIX-like shells by base name or absolute path with -c (also in
// combined flags such as -lc, -ec, -xc, and with options before or after
// -c), busybox/toybox sh -c, env [options] [VAR=x ...] sh -c, wrappers
// (sudo, doas, nohup, setsid, nice, timeout, stdbuf, ionice, time) before
// any of these, cmd.exe /c
// (/k, /r), and powershell/pwsh -Command (any unambiguous prefix, -c).
// For cmd.exe the script is argv[scriptIndex:] joined by spaces; the index of
// its first element is returned.
func ShellScript(argv []string) (scriptIndex int, ok bool) {
	i := 0
	for hops := 0; i < len(argv) && hops < 8; hops++ {
		switch kindOf(argv[i]) {
		case envProg:
			i = skipEnv(argv, i+1)
			continue
		case wrapper:
			i = skipWrapper(argv, i)
			continue
		case busybox:
			if i+1 < len(argv) && kindOf(argv[i+1]) == posixShell {
				return posixScript(argv, i+1)
			}
			return 0, false
		case posixShell:
			return posixScript(argv, i)
		case cmdShell:
			return cmdScript(argv, i)
		case psShell:
			return psScript(argv, i)
		}
		return 0, false
	}
	return 0, false
}

// skipEnv skips env's options and VAR=value assignments and returns the
// index of the program env runs.
func skipEnv(argv []string, i int) int {
	for i < len(argv) {
		a := argv[i]
		switch {
		case a == "--":
			return i + 1
		case a == "-u" || a == "-C" || a == "--unset" || a == "--chdir":
			i += 2
		case a == "-S" || a == "--split-string":
			// env -S "sh -c ..." splits its argument; the script is inside.
			return len(argv)
		case len(a) > 1 && a[0] == '-':
			i++
		case hasByte(a, '='):
			i++
		default:
			return i
		}
	}
	return i
}

// skipWrapper skips a command wrapper (sudo, nohup, nice, timeout, ...) at
// argv[i] and its options, and returns the index of the program it runs.
func skipWrapper(argv []string, i int) int {
	w := trimExe(baseName(argv[i]))
	i++
	for i < len(argv) {
		a := argv[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		i++
		if len(a) == 2 && i < len(argv) {
			// Options that take a separate value.
			switch {
			case (w == "sudo" || w == "doas") && hasByte("ugCDhprtUc", a[1]),
				w == "nice" && a[1] == 'n',
				w == "timeout" && (a[1] == 's' || a[1] == 'k'),
				w == "stdbuf" && hasByte("ioe", a[1]),
				w == "ionice" && hasByte("cnpP", a[1]):
				i++
			}
		}
	}
	if w == "timeout" && i < len(argv) {
		i++ // duration
	}
	return i
}

func hasByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// posixScript finds the -c script of a POSIX shell whose name is argv[i].
func posixScript(argv []string, i int) (int, bool) {
	sawC := false
	for j := i + 1; j < len(argv); j++ {
		a := argv[j]
		if a == "--" || a == "-" {
			if sawC && j+1 < len(argv) {
				return j + 1, true
			}
			return 0, false
		}
		if len(a) > 1 && (a[0] == '-' || a[0] == '+') {
			if a[1] == '-' { // long option
				if a == "--rcfile" || a == "--init-file" {
					j++
				}
				continue
			}
			takesArg := 0
			for k := 1; k < len(a); k++ {
				switch a[k] {
				case 'c':
					if a[0] == '-' {
						sawC = true
					}
				case 'o', 'O':
					takesArg++
				}
			}
			j += takesArg
			continue
		}
		if sawC {
			return j, true
		}
		return 0, false // script file operand
	}
	return 0, false
}

// cmdScript finds the command of cmd.exe /c.
func cmdScript(argv []string, i int) (int, bool) {
	for j := i + 1; j < len(argv); j++ {
		a := argv[j]
		if len(a) >= 2 && (a[0] == '/' || a[0] == '-') {
			c := a[1] | 0x20
			if c == 'c' || c == 'k' || c == 'r' {
				if len(a) == 2 {
					if j+1 < len(argv) {
						return j + 1, true
					}
					return 0, false
				}
				// "/cdir" form: the script starts in this argument.
				if a[0] == '/' && !isLetter(a[2]) {
					return j, true
				}
			}
			continue
		}
		return 0, false
	}
	return 0, false
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// psScript finds the -Command script of PowerShell.
func psScript(argv []string, i int) (int, bool) {
	for j := i + 1; j < len(argv); j++ {
		a := argv[j]
		if len(a) < 2 || (a[0] != '-' && a[0] != '/') {
			return 0, false
		}
		name := a[1:]
		if len(name) > 0 && name[0] == '-' {
			name = name[1:]
		}
		if isPrefixFold(name, "command", 1) || lowerASCIIEq(name, "e") || lowerASCIIEq(name, "ec") ||
			isPrefixFold(name, "encodedcommand", 2) {
			if j+1 < len(argv) {
				return j + 1, true
			}
			return 0, false
		}
		// Options that take a value.
		if isPrefixFold(name, "executionpolicy", 2) || isPrefixFold(name, "windowstyle", 1) ||
			isPrefixFold(name, "configurationname", 4) || isPrefixFold(name, "inputformat", 2) ||
			isPrefixFold(name, "outputformat", 1) || isPrefixFold(name, "workingdirectory", 2) ||
			isPrefixFold(name, "psconsolefile", 3) || isPrefixFold(name, "version", 1) {
			j++
			continue
		}
		if isPrefixFold(name, "file", 1) {
			return 0, false
		}
	}
	return 0, false
}

// isPrefixFold reports whether s is a case-insensitive prefix of full of at
// least min bytes.
func isPrefixFold(s, full string, min int) bool {
	if len(s) < min || len(s) > len(full) {
		return false
	}
	return lowerASCIIEq(s, full[:len(s)])
}
