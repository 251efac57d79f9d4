package ci_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// The templates, relative to this directory.
const (
	workflowFile   = "github-actions.yml"
	gitlabFile     = "gitlab-ci.yml"
	dockerfileFile = "Dockerfile"
	readmeFile     = "README.md"
)

// toolPkg is the package the templates install.
const toolPkg = "github.com/rasp-instrument/rasp-instrument/cmd/rasp-instrument"

func TestMain(m *testing.M) {
	code := m.Run()
	if tool.dir != "" {
		os.RemoveAll(tool.dir)
	}
	os.Exit(code)
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// moduleRoot returns the directory of the go.mod this test belongs to.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not in a module")
	}
	return filepath.Dir(gomod), nil
}

var goLine = regexp.MustCompile(`(?m)^go\s+(\d+\.\d+)`)

// goRelease returns the major.minor of the go line of the repository's
// go.mod: "1.26" for "go 1.26.0".
func goRelease(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	m := goLine.FindSubmatch(readFile(t, filepath.Join(root, "go.mod")))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	return string(m[1])
}

// GitHub Actions.

type ghStep struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type ghJob struct {
	Permissions map[string]string `yaml:"permissions"`
	Steps       []ghStep          `yaml:"steps"`
}

type ghWorkflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]ghJob  `yaml:"jobs"`
}

func loadWorkflow(t *testing.T) ghWorkflow {
	t.Helper()
	var w ghWorkflow
	if err := yaml.Unmarshal(readFile(t, workflowFile), &w); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	return w
}

// lintWorkflow runs actionlint's rules on a workflow. shellcheck and
// pyflakes are external programs, not installed here: empty names turn
// their rules off. The project is an empty directory so that no
// actionlint configuration of some enclosing repository applies.
func lintWorkflow(t *testing.T, name string, src []byte) []*actionlint.Error {
	t.Helper()
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{
		Color:      actionlint.ColorOptionKindNever,
		Shellcheck: "",
		Pyflakes:   "",
	})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := actionlint.NewProject(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(name, src, proj)
	if err != nil {
		t.Fatalf("actionlint: %v", err)
	}
	return errs
}

func TestWorkflowLint(t *testing.T) {
	for _, e := range lintWorkflow(t, workflowFile, readFile(t, workflowFile)) {
		t.Errorf("actionlint: %s", e)
	}
}

// TestWorkflowLintCatches makes sure the linter above is checking
// something: a misspelt input of actions/setup-go is an error.
func TestWorkflowLintCatches(t *testing.T) {
	bad := []byte(`on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-go@v6
        with:
          go-version-fil: go.mod
`)
	if errs := lintWorkflow(t, "bad.yml", bad); len(errs) == 0 {
		t.Error("actionlint found nothing wrong with an unknown input of actions/setup-go")
	}
}

// stepIndex returns the index of the first step that ok accepts.
func stepIndex(t *testing.T, steps []ghStep, what string, ok func(ghStep) bool) int {
	t.Helper()
	for i, s := range steps {
		if ok(s) {
			return i
		}
	}
	t.Fatalf("%s: no step %s", workflowFile, what)
	return -1
}

func TestWorkflowSteps(t *testing.T) {
	w := loadWorkflow(t)
	if len(w.Permissions) != 0 {
		t.Errorf("workflow permissions = %v, want none (permissions: {}), the job asking for its own", w.Permissions)
	}
	for _, v := range []string{"RASP_VERSION", "APP_PKG"} {
		if w.Env[v] == "" {
			t.Errorf("workflow env has no %s", v)
		}
	}
	if len(w.Jobs) != 1 {
		t.Fatalf("workflow has %d jobs, want 1", len(w.Jobs))
	}
	for name, job := range w.Jobs {
		want := map[string]string{"contents": "read", "security-events": "write"}
		if fmt.Sprint(job.Permissions) != fmt.Sprint(want) {
			t.Errorf("job %s permissions = %v, want %v", name, job.Permissions, want)
		}
		steps := job.Steps
		checkout := stepIndex(t, steps, "actions/checkout", func(s ghStep) bool {
			return strings.HasPrefix(s.Uses, "actions/checkout@")
		})
		setup := stepIndex(t, steps, "actions/setup-go", func(s ghStep) bool {
			return strings.HasPrefix(s.Uses, "actions/setup-go@")
		})
		if got := steps[setup].With["go-version-file"]; got != "go.mod" {
			t.Errorf("setup-go go-version-file = %q, want go.mod", got)
		}
		if got, ok := steps[setup].With["go-version"]; ok {
			t.Errorf("setup-go also names go-version %q: the Go release must come from go.mod alone", got)
		}
		install := stepIndex(t, steps, "installing the tool", func(s ghStep) bool {
			return strings.Contains(s.Run, "go install") &&
				(strings.Contains(s.Run, toolPkg+"@${RASP_VERSION}") || strings.Contains(s.Run, toolPkg+"@${{ env.RASP_VERSION }}"))
		})
		diff := stepIndex(t, steps, "running rasp-instrument diff --sarif --fail-on-skipped into rasp.sarif", func(s ghStep) bool {
			return strings.Contains(s.Run, "rasp-instrument diff") && strings.Contains(s.Run, "--sarif") &&
				strings.Contains(s.Run, "--fail-on-skipped") && strings.Contains(s.Run, "> rasp.sarif")
		})
		if steps[diff].ID == "" || !strings.Contains(steps[diff].Run, "GITHUB_OUTPUT") {
			t.Errorf("the diff step must have an id and keep its exit status in $GITHUB_OUTPUT")
		}
		upload := stepIndex(t, steps, "github/codeql-action/upload-sarif", func(s ghStep) bool {
			return strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@")
		})
		if u := steps[upload]; !strings.Contains(u.If, "always()") {
			t.Errorf("upload-sarif if = %q: it must run when an earlier step failed (always())", u.If)
		} else if u.With["sarif_file"] != "rasp.sarif" || u.With["category"] == "" {
			t.Errorf("upload-sarif with = %v: want sarif_file rasp.sarif and a category", u.With)
		}
		test := stepIndex(t, steps, "go test -toolexec=rasp-instrument ./...", func(s ghStep) bool {
			return strings.Contains(s.Run, "go test -toolexec=rasp-instrument ./...")
		})
		build := stepIndex(t, steps, "go build -toolexec=rasp-instrument -o app of $APP_PKG", func(s ghStep) bool {
			return strings.Contains(s.Run, "go build -toolexec=rasp-instrument -o app") && strings.Contains(s.Run, "APP_PKG")
		})
		inspect := stepIndex(t, steps, "rasp-instrument inspect app", func(s ghStep) bool {
			return strings.Contains(s.Run, "rasp-instrument inspect app")
		})
		gate := stepIndex(t, steps, "failing on the diff's exit status", func(s ghStep) bool {
			return strings.Contains(s.If, "steps."+steps[diff].ID+".outputs.")
		})
		if !strings.Contains(steps[gate].Run, "exit 1") {
			t.Errorf("the last gate does not fail the job: %q", steps[gate].Run)
		}
		order := []struct {
			name string
			i    int
		}{{"checkout", checkout}, {"setup-go", setup}, {"install", install}, {"diff", diff}, {"upload-sarif", upload},
			{"test", test}, {"build", build}, {"inspect", inspect}, {"gate", gate}}
		for k := 1; k < len(order); k++ {
			if order[k-1].i >= order[k].i {
				t.Errorf("step %s (#%d) must come before %s (#%d)", order[k-1].name, order[k-1].i, order[k].name, order[k].i)
			}
		}
		if gate != len(steps)-1 {
			t.Errorf("the diff gate is step #%d of %d: it must be the last", gate, len(steps))
		}
	}
}

// GitLab CI.

type glJob struct {
	Stage        string            `yaml:"stage"`
	Image        string            `yaml:"image"`
	Variables    map[string]string `yaml:"variables"`
	BeforeScript []string          `yaml:"before_script"`
	Script       []string          `yaml:"script"`
	AfterScript  []string          `yaml:"after_script"`
	Artifacts    struct {
		When     string         `yaml:"when"`
		ExpireIn string         `yaml:"expire_in"`
		Paths    []string       `yaml:"paths"`
		Reports  map[string]any `yaml:"reports"`
	} `yaml:"artifacts"`
}

type glPipeline struct {
	Variables map[string]string
	Stages    []string
	Jobs      map[string]glJob
}

// glGlobal are the top-level keys of a .gitlab-ci.yml that are not jobs.
var glGlobal = map[string]bool{
	"default": true, "include": true, "stages": true, "variables": true, "workflow": true,
	"image": true, "services": true, "cache": true, "before_script": true, "after_script": true,
}

func loadGitLab(t *testing.T) glPipeline {
	t.Helper()
	src := readFile(t, gitlabFile)
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(src, &top); err != nil {
		t.Fatalf("%s: %v", gitlabFile, err)
	}
	p := glPipeline{Jobs: map[string]glJob{}}
	for key, node := range top {
		var err error
		switch {
		case key == "variables":
			err = node.Decode(&p.Variables)
		case key == "stages":
			err = node.Decode(&p.Stages)
		case glGlobal[key] || strings.HasPrefix(key, "."):
		default:
			var j glJob
			err = node.Decode(&j)
			p.Jobs[key] = j
		}
		if err != nil {
			t.Fatalf("%s: %s: %v", gitlabFile, key, err)
		}
	}
	return p
}

var varRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// expand replaces $NAME and ${NAME} with the job's, else the pipeline's,
// variables.
func (p glPipeline) expand(j glJob, s string) string {
	return varRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := varRef.FindStringSubmatch(ref)[1]
		if v, ok := j.Variables[name]; ok {
			return v
		}
		if v, ok := p.Variables[name]; ok {
			return v
		}
		return ref
	})
}

func TestGitLabJob(t *testing.T) {
	p := loadGitLab(t)
	if len(p.Jobs) != 1 {
		t.Fatalf("%s has %d jobs, want 1", gitlabFile, len(p.Jobs))
	}
	for _, v := range []string{"GO_IMAGE", "RASP_VERSION", "APP_PKG"} {
		if p.Variables[v] == "" {
			t.Errorf("variables has no %s", v)
		}
	}
	for name, j := range p.Jobs {
		if j.Stage == "" || !slices.Contains(p.Stages, j.Stage) {
			t.Errorf("job %s: stage %q is not among stages %v", name, j.Stage, p.Stages)
		}
		if img := p.expand(j, j.Image); !strings.HasPrefix(img, "golang:") {
			t.Errorf("job %s: image %q is %q, want a golang: image", name, j.Image, img)
		}
		find := func(what string, ok func(string) bool) int {
			t.Helper()
			for i, line := range j.Script {
				if ok(line) {
					return i
				}
			}
			t.Fatalf("job %s: no script line %s", name, what)
			return -1
		}
		install := find("installing the tool", func(l string) bool {
			return strings.Contains(l, "go install") && strings.Contains(l, toolPkg+"@${RASP_VERSION}")
		})
		diff := find("running rasp-instrument diff --sarif --fail-on-skipped into rasp.sarif and keeping its status", func(l string) bool {
			return strings.Contains(l, "rasp-instrument diff") && strings.Contains(l, "--sarif") &&
				strings.Contains(l, "--fail-on-skipped") && strings.Contains(l, "> rasp.sarif") && strings.Contains(l, "||")
		})
		test := find("go test -toolexec=rasp-instrument ./...", func(l string) bool {
			return strings.Contains(l, "go test -toolexec=rasp-instrument ./...")
		})
		build := find("go build -toolexec=rasp-instrument -o app of $APP_PKG", func(l string) bool {
			return strings.Contains(l, "go build -toolexec=rasp-instrument -o app") && strings.Contains(l, "APP_PKG")
		})
		inspect := find("rasp-instrument inspect app", func(l string) bool {
			return strings.Contains(l, "rasp-instrument inspect app")
		})
		if last := j.Script[len(j.Script)-1]; !strings.Contains(last, "diff_status") || !strings.Contains(last, "exit 1") {
			t.Errorf("job %s: the last script line must fail the job on the kept diff status: %q", name, last)
		}
		if !(install < diff && diff < test && test < build && build < inspect) {
			t.Errorf("job %s: script order install %d, diff %d, test %d, build %d, inspect %d", name, install, diff, test, build, inspect)
		}
		a := j.Artifacts
		if a.When != "always" {
			t.Errorf("job %s: artifacts when = %q, want always (keep the report when the job fails)", name, a.When)
		}
		if !slices.Contains(a.Paths, "rasp.sarif") {
			t.Errorf("job %s: artifacts paths %v lack rasp.sarif", name, a.Paths)
		}
		// artifacts:reports:sarif exists only behind a feature flag that is
		// off by default; an instance without it rejects the whole file.
		if len(a.Reports) != 0 {
			t.Errorf("job %s: artifacts reports %v: GitLab takes no SARIF report by default", name, a.Reports)
		}
	}
}

// Dockerfile.

type dockerInstr struct {
	line int
	cmd  string // upper case
	args string
}

type dockerStage struct {
	image, name string
	instrs      []dockerInstr
}

// parseDockerfile splits a Dockerfile into instructions: comments and
// blank lines dropped, continued lines joined.
func parseDockerfile(src string) []dockerInstr {
	var out []dockerInstr
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, dockerInstr{start, strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// dockerStages groups the instructions by FROM, with the ARGs before the
// first FROM substituted into the images. It also returns those ARGs.
func dockerStages(t *testing.T) ([]dockerStage, map[string]string) {
	t.Helper()
	args := map[string]string{}
	var stages []dockerStage
	for _, in := range parseDockerfile(string(readFile(t, dockerfileFile))) {
		switch {
		case in.cmd == "ARG" && len(stages) == 0:
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = strings.Trim(v, `"`)
		case in.cmd == "FROM":
			f := strings.Fields(in.args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				f = f[1:]
			}
			if len(f) == 0 {
				t.Fatalf("%s:%d: FROM names no image", dockerfileFile, in.line)
			}
			st := dockerStage{image: os.Expand(f[0], func(k string) string { return args[k] })}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
		case len(stages) == 0:
			t.Fatalf("%s:%d: %s before the first FROM", dockerfileFile, in.line, in.cmd)
		default:
			stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
		}
	}
	return stages, args
}

var (
	dockerBuildOut = regexp.MustCompile(`go build .*-toolexec=rasp-instrument .*-o (\S+)`)
	dockerInspect  = regexp.MustCompile(`rasp-instrument inspect (\S+)`)
	dockerCopyFrom = regexp.MustCompile(`^--from=(\S+)\s+(\S+)\s+\S+$`)
)

func TestDockerfile(t *testing.T) {
	stages, _ := dockerStages(t)
	if len(stages) < 2 {
		t.Fatalf("%s has %d stages, want a build stage and a runtime stage", dockerfileFile, len(stages))
	}
	final := stages[len(stages)-1]
	if strings.HasPrefix(final.image, "golang:") {
		t.Errorf("the final stage is %s: it must be a small runtime image", final.image)
	}
	var from, copied string
	for _, in := range final.instrs {
		if in.cmd == "COPY" {
			if m := dockerCopyFrom.FindStringSubmatch(in.args); m != nil {
				from, copied = m[1], m[2]
			}
		}
	}
	if from == "" {
		t.Fatalf("the final stage copies nothing from a build stage (COPY --from=STAGE SRC DST)")
	}
	var build *dockerStage
	for i := range stages[:len(stages)-1] {
		if stages[i].name == from {
			build = &stages[i]
		}
	}
	if build == nil {
		t.Fatalf("the final stage copies from %q, which is no earlier stage", from)
	}
	if !strings.HasPrefix(build.image, "golang:") {
		t.Errorf("the build stage is %s, want a golang: image", build.image)
	}
	var install, builtLine, inspectLine int
	var built, inspected string
	for _, in := range build.instrs {
		if in.cmd != "RUN" {
			continue
		}
		if strings.Contains(in.args, "go install") && strings.Contains(in.args, toolPkg+"@") && install == 0 {
			install = in.line
		}
		if m := dockerBuildOut.FindStringSubmatch(in.args); m != nil {
			built, builtLine = m[1], in.line
		}
		if m := dockerInspect.FindStringSubmatch(in.args); m != nil {
			inspected, inspectLine = m[1], in.line
		}
	}
	switch {
	case install == 0:
		t.Errorf("the build stage does not go install %s", toolPkg)
	case built == "":
		t.Errorf("the build stage has no go build -toolexec=rasp-instrument ... -o FILE")
	case inspected == "":
		t.Errorf("the build stage does not run rasp-instrument inspect")
	case !(install < builtLine && builtLine < inspectLine):
		t.Errorf("the build stage must install the tool (line %d), build (line %d), then inspect (line %d)", install, builtLine, inspectLine)
	case inspected != built:
		t.Errorf("rasp-instrument inspect checks %s, but the build writes %s", inspected, built)
	case copied != built:
		t.Errorf("the final stage copies %s, but the build writes %s", copied, built)
	}
	env := map[string]string{}
	var exposed []string
	for _, in := range final.instrs {
		switch in.cmd {
		case "ENV":
			f := strings.Fields(in.args)
			if len(f) > 0 && !strings.Contains(f[0], "=") { // ENV KEY value
				env[f[0]] = strings.Join(f[1:], " ")
				continue
			}
			for _, kv := range f {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = strings.Trim(v, `"`)
			}
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		}
	}
	if env["RASP_MODE"] == "" {
		t.Errorf("the final stage sets no RASP_MODE")
	}
	if env["RASP_METRICS_ADDR"] != ":9464" {
		t.Errorf("the final stage sets RASP_METRICS_ADDR=%q, want :9464", env["RASP_METRICS_ADDR"])
	}
	if !slices.Contains(exposed, "9464") && !slices.Contains(exposed, "9464/tcp") {
		t.Errorf("the final stage exposes %v, not the metrics port 9464", exposed)
	}
}

// The Go release.

var (
	goImageRE   = regexp.MustCompile(`golang:(\d+\.\d+)`)
	goReleaseRE = regexp.MustCompile(`\bGo (\d+\.\d+)`)
)

// TestGoRelease checks that the Go release the templates name is the one
// the repository's go.mod names, so that they are changed together: the
// tool must be built with the release that builds the program.
func TestGoRelease(t *testing.T) {
	want := goRelease(t)

	w := loadWorkflow(t)
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "actions/setup-go@") && s.With["go-version-file"] != "go.mod" {
				t.Errorf("%s: setup-go takes go-version-file %q, want go.mod", workflowFile, s.With["go-version-file"])
			}
		}
	}

	p := loadGitLab(t)
	if m := goImageRE.FindStringSubmatch(p.Variables["GO_IMAGE"]); m == nil || m[1] != want {
		t.Errorf("%s: GO_IMAGE = %q, want golang:%s", gitlabFile, p.Variables["GO_IMAGE"], want)
	}

	stages, args := dockerStages(t)
	if args["GO_VERSION"] != want {
		t.Errorf("%s: ARG GO_VERSION=%q, want %s", dockerfileFile, args["GO_VERSION"], want)
	}
	for _, st := range stages {
		if m := goImageRE.FindStringSubmatch(st.image); m != nil && m[1] != want {
			t.Errorf("%s: FROM %s, want golang:%s", dockerfileFile, st.image, want)
		}
	}

	// Every other mention, comments included.
	for _, name := range []string{workflowFile, gitlabFile, dockerfileFile, readmeFile} {
		for i, line := range strings.Split(string(readFile(t, name)), "\n") {
			for _, re := range []*regexp.Regexp{goImageRE, goReleaseRE} {
				for _, m := range re.FindAllStringSubmatch(line, -1) {
					if m[1] != want {
						t.Errorf("%s:%d: %q names Go %s; go.mod says %s", name, i+1, m[0], m[1], want)
					}
				}
			}
		}
	}
}

// The rasp-instrument command lines.

// tool is the rasp-instrument binary built from this repository, once.
var tool struct {
	once sync.Once
	dir  string
	path string
	err  error

	mu   sync.Mutex
	help map[string]string
}

// raspInstrument builds the tool from the module root, once per test run.
func raspInstrument(t *testing.T) string {
	t.Helper()
	tool.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			tool.err = err
			return
		}
		tool.dir, err = os.MkdirTemp("", "rasp-ci-test")
		if err != nil {
			tool.err = err
			return
		}
		tool.path = filepath.Join(tool.dir, "rasp-instrument")
		if runtime.GOOS == "windows" {
			tool.path += ".exe"
		}
		cmd := exec.Command("go", "build", "-o", tool.path, "./cmd/rasp-instrument")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			tool.err = fmt.Errorf("go build ./cmd/rasp-instrument: %v\n%s", err, out)
		}
	})
	if tool.err != nil {
		t.Fatal(tool.err)
	}
	return tool.path
}

// helpOf returns the output of rasp-instrument SUBCOMMAND... --help.
func helpOf(t *testing.T, sub []string) string {
	t.Helper()
	bin := raspInstrument(t)
	key := strings.Join(sub, " ")
	tool.mu.Lock()
	defer tool.mu.Unlock()
	if h, ok := tool.help[key]; ok {
		return h
	}
	out, err := exec.Command(bin, append(slices.Clone(sub), "--help")...).CombinedOutput()
	if err != nil {
		t.Fatalf("rasp-instrument %s --help: %v\n%s", key, err, out)
	}
	if tool.help == nil {
		tool.help = map[string]string{}
	}
	tool.help[key] = string(out)
	return string(out)
}

// subcommands returns the names under "Available Commands:" in a cobra
// help text.
func subcommands(help string) map[string]bool {
	names := map[string]bool{}
	_, rest, ok := strings.Cut(help, "\nAvailable Commands:\n")
	if !ok {
		return names
	}
	for _, line := range strings.Split(rest, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			break
		}
		names[f[0]] = true
	}
	return names
}

// checkCommand checks one rasp-instrument invocation (its arguments, the
// program name left out): its subcommands exist, and so does every flag
// it gives, in the help of the innermost subcommand.
func checkCommand(t *testing.T, args []string) {
	var sub []string
	help := helpOf(t, nil)
	i := 0
	for ; i < len(args) && !strings.HasPrefix(args[i], "-"); i++ {
		if !subcommands(help)[args[i]] {
			if len(sub) == 0 {
				t.Fatalf("rasp-instrument has no subcommand %q", args[i])
			}
			break // an argument of the subcommand
		}
		sub = append(sub, args[i])
		help = helpOf(t, sub)
	}
	if len(sub) == 0 {
		t.Fatalf("no subcommand given")
	}
	for _, a := range args[i:] {
		if a == "--" {
			break
		}
		var re string
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, _ := strings.Cut(a[2:], "=")
			re = `(?m)^\s+(?:-\S, )?--` + regexp.QuoteMeta(name) + `(?:[\s=]|$)`
		case strings.HasPrefix(a, "-") && len(a) > 1:
			re = `(?m)^\s+-` + regexp.QuoteMeta(a[1:2]) + `, --`
		default:
			continue
		}
		if !regexp.MustCompile(re).MatchString(help) {
			t.Errorf("rasp-instrument %s has no flag %s; its help:\n%s", strings.Join(sub, " "), a, help)
		}
	}
}

// word is a shell word, or an operator: a control operator (newline, ;,
// &, &&, |, ||, parentheses) or a redirection (<, >, >>, >&...).
type word struct {
	text string
	op   bool
}

// shellWords splits a shell script into words, minding quotes, escapes,
// continued lines and comments. It knows enough of the shell to find the
// commands of a CI script, not to run it.
func shellWords(s string) []word {
	var words []word
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, word{text: cur.String()})
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == '#' && !inWord:
			for i+1 < len(s) && s[i+1] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		case strings.IndexByte("\n;&|()<>", c) >= 0:
			flush()
			j := i
			if c != '\n' && c != '(' && c != ')' {
				for j+1 < len(s) && strings.IndexByte(";&|<>", s[j+1]) >= 0 {
					j++
				}
			}
			words = append(words, word{text: s[i : j+1], op: true})
			i = j
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words
}

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// shellPrefixes may stand before a command's name.
var shellPrefixes = map[string]bool{
	"!": true, "if": true, "then": true, "else": true, "elif": true, "do": true,
	"while": true, "until": true, "time": true, "exec": true, "{": true,
}

// raspCommands returns the arguments of every rasp-instrument command in
// a shell script: the words after a command name rasp-instrument (or a
// path ending in /rasp-instrument), up to the end of the command,
// redirections left out.
func raspCommands(script string) [][]string {
	ws := shellWords(script)
	var cmds [][]string
	cmdPos := true
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if w.op {
			if strings.ContainsAny(w.text, "<>") {
				i++ // the redirection's target
			} else {
				cmdPos = true
			}
			continue
		}
		if !cmdPos || assignment.MatchString(w.text) || shellPrefixes[w.text] {
			continue
		}
		cmdPos = false
		if w.text != "rasp-instrument" && !strings.HasSuffix(w.text, "/rasp-instrument") {
			continue
		}
		args := []string{}
		for i++; i < len(ws); i++ {
			if ws[i].op {
				if !strings.ContainsAny(ws[i].text, "<>") {
					i--
					break
				}
				i++
				continue
			}
			args = append(args, ws[i].text)
		}
		cmds = append(cmds, args)
	}
	return cmds
}

func TestShellWords(t *testing.T) {
	script := `status=0
rasp-instrument diff --sarif "./..." > rasp.sarif || status=$?  # a comment
echo 'rasp-instrument not-a-command' && go build -toolexec=rasp-instrument ./x
if [ -x x ]; then /go/bin/rasp-instrument inspect \
  /out/app 2>&1; fi
RUN_ME=1 rasp-instrument version`
	got := raspCommands(script)
	want := [][]string{{"diff", "--sarif", "./..."}, {"inspect", "/out/app", "2"}, {"version"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("raspCommands = %q, want %q", got, want)
	}
}

// scripts returns every shell script of the three templates, by file: the
// workflow's run blocks, the GitLab job's script lines and the
// Dockerfile's RUN instructions.
func scripts(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, job := range loadWorkflow(t).Jobs {
		for _, s := range job.Steps {
			if s.Run != "" {
				out[workflowFile] = append(out[workflowFile], s.Run)
			}
		}
	}
	for _, j := range loadGitLab(t).Jobs {
		for _, list := range [][]string{j.BeforeScript, j.Script, j.AfterScript} {
			out[gitlabFile] = append(out[gitlabFile], list...)
		}
	}
	stages, _ := dockerStages(t)
	for _, st := range stages {
		for _, in := range st.instrs {
			if in.cmd != "RUN" {
				continue
			}
			args := in.args
			for strings.HasPrefix(args, "--") { // RUN --mount=... and the like
				_, args, _ = strings.Cut(args, " ")
				args = strings.TrimSpace(args)
			}
			var exec []string
			if strings.HasPrefix(args, "[") && json.Unmarshal([]byte(args), &exec) == nil {
				args = strings.Join(exec, " ") // the exec form, near enough
			}
			out[dockerfileFile] = append(out[dockerfileFile], args)
		}
	}
	return out
}

// TestCommandLines runs the real tool's help for every rasp-instrument
// command the templates give, and checks that its subcommand and flags
// exist.
func TestCommandLines(t *testing.T) {
	// The subcommands each template must run, so that a change to the
	// parsing above cannot make this test check nothing.
	must := map[string][]string{
		workflowFile:   {"diff", "inspect"},
		gitlabFile:     {"diff", "inspect"},
		dockerfileFile: {"inspect"},
	}
	for file, list := range scripts(t) {
		seen := map[string]bool{}
		for _, script := range list {
			for _, args := range raspCommands(script) {
				if len(args) > 0 {
					seen[args[0]] = true
				}
				t.Run(file+"/"+strings.Join(args, " "), func(t *testing.T) {
					checkCommand(t, args)
				})
			}
		}
		for _, sub := range must[file] {
			if !seen[sub] {
				t.Errorf("%s runs no rasp-instrument %s", file, sub)
			}
		}
		delete(must, file)
	}
	for file := range must {
		t.Errorf("%s has no scripts", file)
	}
}
