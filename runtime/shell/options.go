package shell

// An option that runs a command, reads or writes a file the program did
// not choose, or reaches a host, when the program parses it. These tables
// name such options per program, so that an argument holding one is
// judged whatever its source: a branch or tag name stored earlier and
// handed to git, a URL read from a database and handed to curl.
//
// long lists the long options (without their dashes) and short the
// single-letter options; longOne lists the long options that the program
// spells with one dash (find -exec, ssh -oProxyCommand is short).
type programOptions struct {
	long    []string
	short   string
	oneDash []string
	fetches bool // the program reaches a URL given as an argument
}

var optionTable = map[string]programOptions{
	// git: the transport helpers (upload-pack, receive-pack, exec), files
	// it writes (--output, format-patch's -o), configuration that runs
	// commands (-c core.sshCommand=..., --config, --template hooks), the
	// pager of grep -O, rebase's --exec and -x, --exec-path.
	"git": {
		fetches: true,
		long:    []string{"upload-pack", "receive-pack", "exec", "exec-path", "output", "output-directory", "config", "template", "open-files-in-pager", "remote", "separate-git-dir"},
		short:   "uxoOc",
	},
	"curl": {
		fetches: true,
		long:    []string{"output", "output-dir", "config", "upload-file", "dump-header", "trace", "trace-ascii", "cookie-jar", "data", "data-binary", "data-urlencode", "form", "proxy", "netrc-file", "libcurl", "engine", "unix-socket", "abstract-unix-socket", "connect-to", "resolve"},
		short:   "oOKTDcdFx",
	},
	"wget": {
		fetches: true,
		long:    []string{"output-document", "output-file", "append-output", "directory-prefix", "execute", "input-file", "post-file", "body-file", "config", "use-askpass", "load-cookies", "save-cookies"},
		short:   "OoaPei",
	},
	"tar": {
		long:  []string{"checkpoint-action", "to-command", "use-compress-program", "rsh-command", "info-script", "new-volume-script", "file", "directory"},
		short: "IFfC",
	},
	"find": {oneDash: []string{"exec", "execdir", "ok", "okdir", "delete", "fprint", "fprint0", "fprintf", "fls"}},
	"ssh":  {short: "oFESL"},
	"scp":  {short: "oFS"},
	"sftp": {short: "oFSD"},
	"rsync": {
		long:  []string{"rsh", "rsync-path", "log-file", "write-batch", "only-write-batch", "read-batch", "files-from", "include-from", "exclude-from"},
		short: "e",
	},
	"zip":      {long: []string{"unzip-command"}, short: "T"},
	"unzip":    {short: "d"},
	"sendmail": {short: "XCO"},
	"python":   {short: "cm"},
	"python3":  {short: "cm"},
	"perl":     {short: "eEM"},
	"ruby":     {short: "er"},
	"php":      {short: "rBREFd"},
	"node":     {long: []string{"eval", "print", "require", "import", "loader"}, short: "epr"},
	"sh":       {short: "c"},
	"bash":     {short: "c"},
	"dash":     {short: "c"},
	"zsh":      {short: "c"},
	"ksh":      {short: "c"},
	"ash":      {short: "c"},
}

// DangerousOption reports whether arg, handed to program (a path or a
// name), is parsed by it as one of its options that run commands, write or
// read files of the caller's choosing, or reach another host (git
// --upload-pack=..., --output=..., -c core.sshCommand=...; curl -o; tar
// --to-command). Long options match by any prefix of three letters or more
// (git and curl accept unambiguous abbreviations), with or without
// "=value"; short options match anywhere in a bundle of letters ("-xsh",
// "-fux"). Negative numbers, "-", "--" and programs without a table are
// never dangerous. It does not allocate.
func DangerousOption(program, arg string) bool {
	if len(arg) < 2 || arg[0] != '-' || arg == "--" || isNumber(arg[1:]) {
		return false
	}
	opts, ok := programTable(program)
	if !ok {
		return false
	}
	if arg[1] == '-' {
		return matchLong(opts.long, arg[2:])
	}
	if matchLong(opts.oneDash, arg[1:]) {
		return true
	}
	if len(opts.oneDash) > 0 {
		return false // find's options are words, not bundles of letters
	}
	for i := 1; i < len(arg); i++ {
		c := arg[i]
		if !isLetter(c) {
			break // the rest is an attached value: -ofile, -c key=value
		}
		if hasByte(opts.short, c) {
			return true
		}
	}
	return false
}

// matchLong reports whether the option name in opt ("output=/x", "exe")
// is a long option of names or a prefix of one, of three letters or more.
func matchLong(names []string, opt string) bool {
	name := opt
	for i := 0; i < len(opt); i++ {
		if opt[i] == '=' {
			name = opt[:i]
			break
		}
	}
	if len(name) < 3 {
		return false
	}
	for _, n := range names {
		if len(name) <= len(n) && n[:len(name)] == name {
			return true
		}
	}
	return false
}

// programTable returns the option table of program: by its base name
// without ".exe", in lower case.
func programTable(program string) (programOptions, bool) {
	name := trimExe(baseName(program))
	var buf [16]byte
	if len(name) > len(buf) {
		return programOptions{}, false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	opts, ok := optionTable[string(buf[:len(name)])]
	return opts, ok
}

// FetchesURLs reports whether program (a path or a name) reaches a URL
// given as an argument: git (clone, fetch, ls-remote), curl, wget. The
// child, not the program, dials it. It does not allocate.
func FetchesURLs(program string) bool {
	opts, ok := programTable(program)
	return ok && opts.fetches
}

// ProgramName returns the name of a program path: its base name, without
// ".exe".
func ProgramName(program string) string { return trimExe(baseName(program)) }

// EndOfOptions reports whether arg ends a program's options: "--", or
// git's "--end-of-options". What follows is an operand, never an option.
func EndOfOptions(arg string) bool { return arg == "--" || arg == "--end-of-options" }
