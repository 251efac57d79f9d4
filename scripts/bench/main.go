// Command bench measures what the protection costs, in one run on one
// machine, and writes the report BENCHMARKS.md shows.
//
// Requests: it builds testdata/src/benchsvc plain and instrumented (and,
// with -peer, the same handlers behind a peer's middleware), serves each
// build, and loads each in turn over loopback with wrk, rounds alternating
// so that every build sees the same machine. The primary figure is the
// server's CPU time per request (user and system time of the process from
// /proc/PID/stat over the round, divided by the requests served), which
// this machine's scheduler leaves stable where throughput is not; beside
// it, allocations and bytes per request (runtime.MemStats, read from the
// service's /memstats before and after the round), throughput and p50/p99
// latency. Three handlers: (a) writes a constant, (b) one parameterised
// query, (c) 20 query parameters, a 2 KiB JSON body and one query built
// from an input. The instrumented build runs in each RASP_MODE.
//
// Builds: with -build APP it builds testdata/src/APP plain, plain through
// a toolexec that does nothing (env: what the go command's -toolexec costs
// by itself), and instrumented, cold (fresh build cache) and warm (median
// of five), and reports the times, the tool's peak resident memory
// (RASP_TRACE) and the binary sizes.
//
//	go run ./scripts/bench                                  # requests only
//	go run ./scripts/bench -peer scripts/ddpeer -base HEAD~3 -build portal -md BENCHMARKS.md
//
// -base REV adds the service instrumented by the tool at revision REV, in
// block mode, to show a change's before and after in one run.
//
// wrk must be on PATH (Debian: apt-get install wrk).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	handlers := flag.String("handlers", "a,b,c", "handlers to load, of a, b, c")
	modes := flag.String("modes", "off,detect,block", "RASP_MODE values of the instrumented build")
	peer := flag.String("peer", "", "directory of a peer's module serving the same handlers (scripts/ddpeer)")
	base := flag.String("base", "", "also serve the service instrumented by the tool at this git revision, in block mode")
	conc := flag.Int("c", 4, "connections wrk keeps open")
	dur := flag.Duration("d", 5*time.Second, "duration of each round")
	rounds := flag.Int("rounds", 3, "rounds per build and handler (alternating)")
	build := flag.String("build", "", "also measure building testdata/src/APP plain and instrumented")
	pin := flag.Bool("pin", true, "run each service on CPU 0 with GOMAXPROCS=1 and wrk on CPU 1 (taskset), so that neither takes the other's time")
	md := flag.String("md", "", "write the report into this markdown file, between bench markers")
	flag.Parse()
	log.SetFlags(0)
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("bench loads the services with wrk: install it (Debian: apt-get install wrk)")
	}

	root, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	work, err := os.MkdirTemp("", "rasp-bench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	tool := filepath.Join(work, "rasp-instrument")
	run(root, nil, "go", "build", "-o", tool, "./cmd/rasp-instrument")

	var report strings.Builder
	out := io.MultiWriter(os.Stdout, &report)
	fmt.Fprintf(out, "%s, %s/%s, %d CPUs (%s), %s\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), time.Now().UTC().Format("2006-01-02"))

	src := filepath.Join(root, "testdata", "src", "benchsvc")
	plain, rasp := filepath.Join(work, "plain"), filepath.Join(work, "rasp")
	run(src, nil, "go", "build", "-o", plain, ".")
	run(src, nil, "go", "build", "-toolexec="+tool, "-o", rasp, ".")
	variants := []*variant{{name: "plain", bin: plain}}
	for _, m := range strings.Split(*modes, ",") {
		variants = append(variants, &variant{name: m, bin: rasp, env: []string{"RASP_MODE=" + m}})
	}
	if *base != "" {
		tree := filepath.Join(work, "base")
		run(root, nil, "git", "worktree", "add", "--detach", tree, *base)
		defer run(root, nil, "git", "worktree", "remove", "--force", tree)
		baseTool, bin := filepath.Join(work, "rasp-instrument-base"), filepath.Join(work, "base-rasp")
		run(tree, nil, "go", "build", "-o", baseTool, "./cmd/rasp-instrument")
		run(src, nil, "go", "build", "-toolexec="+baseTool, "-o", bin, ".")
		variants = append(variants, &variant{name: "block@" + *base, bin: bin, env: []string{"RASP_MODE=block"}})
	}
	if *peer != "" {
		bin := filepath.Join(work, "peer")
		run(filepath.Join(root, *peer), nil, "go", "build", "-o", bin, ".")
		variants = append(variants, &variant{name: "peer", bin: bin})
	}
	if *pin {
		if _, err := exec.LookPath("taskset"); err != nil || runtime.NumCPU() < 2 {
			log.Fatal("-pin needs taskset and two CPUs; run with -pin=false")
		}
		cpuServer, cpuLoad = []string{"taskset", "-c", "0"}, []string{"taskset", "-c", "1"}
	}
	where := "server and wrk sharing the CPUs"
	if *pin {
		where = "server on CPU 0 with GOMAXPROCS=1, wrk on CPU 1"
	}
	fmt.Fprintf(out, "Requests: testdata/src/benchsvc, wrk with %d connections over loopback (%s), %d rounds of %s per build and handler, builds alternating, the plain one first and last; medians, with the spread of CPU time in brackets. Added CPU, and the ratios in brackets, are the median over rounds of a build's figure against its round's plain one.\n\n", *conc, where, *rounds, *dur)
	fmt.Fprintf(out, "| handler | build | CPU/request | added CPU | allocs/request (added) | bytes/request | throughput | p50 | p99 |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, h := range strings.Split(*handlers, ",") {
		load, ok := loads[h]
		if !ok {
			log.Fatalf("no handler %q: a, b or c", h)
		}
		script := filepath.Join(work, h+".lua")
		if err := os.WriteFile(script, []byte(load.script), 0o644); err != nil {
			log.Fatal(err)
		}
		// Each round loads the plain build first and last and every other
		// build in between, one service running at a time (an idle one,
		// the peer's tracer flushing each second, would share its CPU). A
		// build is compared with the mean of its round's two plain
		// figures: this machine's speed drifts over minutes (by 1.7× in
		// one run), far more than within a round.
		results := map[string][]result{}
		var refs []result
		for r := 0; r < *rounds; r++ {
			var first result
			for i, v := range append(variants[:len(variants):len(variants)], variants[0]) {
				v.start(work)
				v.measure(load.path, script, *conc, time.Second) // warm up
				res := v.measure(load.path, script, *conc, *dur)
				v.stop()
				fmt.Fprintf(os.Stderr, "  %s round %d %-6s %6.2f µs CPU/req %6.1f allocs %6.0f B %8.0f req/s p50 %s p99 %s\n",
					h, r+1, v.name, res.cpu, res.allocs, res.bytes, res.rps, res.p50, res.p99)
				switch i {
				case 0:
					first = res
				case len(variants):
					refs = append(refs, mean(first, res))
				default:
					results[v.name] = append(results[v.name], res)
				}
			}
		}
		ref := median(refs)
		lo, hi := spread(refs)
		fmt.Fprintf(out, "| (%s) | plain | %.2f µs (%.2f–%.2f) | — | %.1f | %.0f | %.0f req/s | %s | %s |\n",
			h, ref.cpu, lo, hi, ref.allocs, ref.bytes, ref.rps, ref.p50, ref.p99)
		for _, v := range variants[1:] {
			rs := results[v.name]
			m := median(rs)
			lo, hi := spread(rs)
			ratio := func(f func(result) float64) float64 {
				q := make([]float64, len(rs))
				for i := range rs {
					q[i] = f(rs[i]) / f(refs[i])
				}
				sort.Float64s(q)
				return q[len(q)/2]
			}
			cpu := ratio(func(r result) float64 { return r.cpu })
			fmt.Fprintf(out, "| (%s) | %s | %.2f µs (%.2f–%.2f) | %+.2f µs (%+.1f %%) | %.1f (%+.1f) | %.0f | %.0f req/s (%.3f) | %s (%.2f) | %s (%.2f) |\n",
				h, v.label(), m.cpu, lo, hi, (cpu-1)*ref.cpu, (cpu-1)*100, m.allocs, m.allocs-ref.allocs, m.bytes,
				m.rps, ratio(func(r result) float64 { return r.rps }),
				m.p50, ratio(func(r result) float64 { return float64(r.p50) }),
				m.p99, ratio(func(r result) float64 { return float64(r.p99) }))
		}
	}
	fmt.Fprintln(out)
	if *build != "" {
		buildReport(out, root, work, tool, *build)
	}
	if *md != "" {
		if err := writeMarkdown(*md, report.String()); err != nil {
			log.Fatal(err)
		}
	}
}

// loads are the requests of the three handlers: a path, and a wrk script
// for the method and body.
var loads = map[string]struct{ path, script string }{
	"a": {"/a", ""},
	"b": {"/b?id=7", ""},
	"c": {"/c?" + params(), `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[` + order() + `]]
`},
}

// params returns 20 query parameters, two of which the handler puts in
// its query.
func params() string {
	p := []string{"category=books", "region=eu-west"}
	for i := 3; i <= 20; i++ {
		p = append(p, fmt.Sprintf("f%d=value-%d", i, i))
	}
	return strings.Join(p, "&")
}

// order returns a JSON order of about 2 KiB.
func order() string {
	var b strings.Builder
	b.WriteString(`{"customer":"Ada Lovelace","notes":{"gift":"yes","deliver":"after 5pm, ring twice"},"lines":[`)
	for i := 0; b.Len() < 2000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"SKU-%04d","name":"Item number %d","qty":%d,"price":%d.99}`, i, i, i%5+1, i*3)
	}
	b.WriteString(`]}`)
	return b.String()
}

// cpuServer and cpuLoad are the commands (taskset) that put the services
// and the load on CPUs of their own, with -pin.
var cpuServer, cpuLoad []string

// variant is one build serving, in one mode.
type variant struct {
	name string
	bin  string
	env  []string
	cmd  *exec.Cmd
	addr string
}

func (v *variant) label() string {
	switch v.name {
	case "plain":
		return v.name
	case "peer":
		return "peer (dd-trace-go)"
	}
	return "instrumented, " + v.name
}

func (v *variant) start(work string) {
	logf, err := os.OpenFile(filepath.Join(work, v.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	v.cmd = exec.Command(v.bin)
	v.cmd.Env = append(os.Environ(), v.env...)
	if cpuServer != nil {
		v.cmd = exec.Command(cpuServer[0], append(cpuServer[1:], v.bin)...)
		v.cmd.Env = append(append(os.Environ(), v.env...), "GOMAXPROCS=1")
	}
	v.cmd.Stderr = logf
	stdout, err := v.cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := v.cmd.Start(); err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			v.addr = a
			go io.Copy(io.Discard, stdout)
			return
		}
	}
	log.Fatalf("%s exited before listening (its log: %s)", v.name, logf.Name())
}

func (v *variant) stop() {
	v.cmd.Process.Kill()
	v.cmd.Wait()
}

type result struct {
	cpu           float64 // µs of CPU time per request
	allocs, bytes float64 // per request
	rps           float64
	p50, p99      time.Duration
}

// measure loads the variant's service with wrk for d and returns what a
// request cost it.
func (v *variant) measure(path, script string, conc int, d time.Duration) result {
	pid := v.cmd.Process.Pid
	m0, b0 := v.memstats()
	t0 := cpuTicks(pid)
	args := []string{"-t1", fmt.Sprintf("-c%d", conc), fmt.Sprintf("-d%ds", int(d.Seconds())), "--latency"}
	if s, err := os.Stat(script); err == nil && s.Size() > 0 {
		args = append(args, "-s", script)
	}
	args = append(append(cpuLoad[len(cpuLoad):], cpuLoad...), append([]string{"wrk"}, append(args, "http://"+v.addr+path)...)...)
	outb, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		log.Fatalf("wrk: %v\n%s", err, outb)
	}
	t1 := cpuTicks(pid)
	m1, b1 := v.memstats()
	w := parseWrk(string(outb))
	if w.bad > 0 || w.requests == 0 {
		log.Fatalf("%s %s: %d of %d answers were not 2xx or 3xx\n%s", v.name, path, w.bad, w.requests, outb)
	}
	n := float64(w.requests)
	return result{
		cpu:    float64(t1-t0) / clockTicks * 1e6 / n,
		allocs: float64(m1-m0) / n,
		bytes:  float64(b1-b0) / n,
		rps:    w.rps,
		p50:    w.p50,
		p99:    w.p99,
	}
}

// memstats returns the service's mallocs and allocated bytes so far.
func (v *variant) memstats() (mallocs, bytes uint64) {
	resp, err := http.Get("http://" + v.addr + "/memstats")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := fmt.Fscan(resp.Body, &mallocs, &bytes); err != nil {
		log.Fatalf("%s /memstats: %v", v.name, err)
	}
	return mallocs, bytes
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on
// every Linux architecture Go runs on).
const clockTicks = 100

// cpuTicks returns the user and system time of process pid, in ticks.
func cpuTicks(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		log.Fatal(err)
	}
	s := string(data)
	// Fields after the command, which is in brackets and may hold spaces.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	return ut + st
}

type wrkResult struct {
	requests, bad int64
	rps           float64
	p50, p99      time.Duration
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkBad      = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkLatency  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)$`)
)

func parseWrk(s string) wrkResult {
	var w wrkResult
	if m := wrkRequests.FindStringSubmatch(s); m != nil {
		w.requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkBad.FindStringSubmatch(s); m != nil {
		w.bad, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkRPS.FindStringSubmatch(s); m != nil {
		w.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	for _, m := range wrkLatency.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit)).Round(time.Microsecond)
		if m[1] == "50" {
			w.p50 = d
		} else {
			w.p99 = d
		}
	}
	return w
}

func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	return result{
		cpu:    pick(func(r result) float64 { return r.cpu }),
		allocs: pick(func(r result) float64 { return r.allocs }),
		bytes:  pick(func(r result) float64 { return r.bytes }),
		rps:    pick(func(r result) float64 { return r.rps }),
		p50:    time.Duration(pick(func(r result) float64 { return float64(r.p50) })),
		p99:    time.Duration(pick(func(r result) float64 { return float64(r.p99) })),
	}
}

// mean returns the mean of two results.
func mean(a, b result) result {
	return result{
		cpu:    (a.cpu + b.cpu) / 2,
		allocs: (a.allocs + b.allocs) / 2,
		bytes:  (a.bytes + b.bytes) / 2,
		rps:    (a.rps + b.rps) / 2,
		p50:    (a.p50 + b.p50) / 2,
		p99:    (a.p99 + b.p99) / 2,
	}
}

// spread returns the lowest and highest CPU time per request.
func spread(rs []result) (lo, hi float64) {
	lo, hi = rs[0].cpu, rs[0].cpu
	for _, r := range rs {
		lo, hi = min(lo, r.cpu), max(hi, r.cpu)
	}
	return lo, hi
}

// buildReport builds testdata/src/app plain and instrumented, cold and
// warm, and writes the figures.
func buildReport(out io.Writer, root, work, tool, app string) {
	src := filepath.Join(root, "testdata", "src", app)
	pkgs, err := exec.Command("sh", "-c", "cd "+src+" && go list -deps ./... | wc -l").Output()
	if err != nil {
		log.Fatal(err)
	}
	pb := buildTimes(src, work, "plain", nil)
	eb := buildTimes(src, work, "env", []string{"-toolexec=env"})
	ib := buildTimes(src, work, "rasp", []string{"-toolexec=" + tool})
	fmt.Fprintf(out, "Build: testdata/src/%s (%s packages with the standard library's), cold with an empty build cache, warm the median of five rebuilds.\n\n", app, strings.TrimSpace(string(pkgs)))
	fmt.Fprintf(out, "| build | cold | warm | peak RSS of the build | peak RSS of the tool | binary |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(out, "| plain | %.1f s | %.2f s | %d MiB | — | %.1f MiB |\n", pb.cold.Seconds(), pb.warm.Seconds(), pb.rss>>10, float64(pb.size)/(1<<20))
	fmt.Fprintf(out, "| plain through `-toolexec=env`, what any toolexec costs | %.1f s (%.2f×) | %.2f s (%.2f×) | %d MiB | — | %.1f MiB |\n", eb.cold.Seconds(), eb.cold.Seconds()/pb.cold.Seconds(),
		eb.warm.Seconds(), eb.warm.Seconds()/pb.warm.Seconds(), eb.rss>>10, float64(eb.size)/(1<<20))
	fmt.Fprintf(out, "| instrumented | %.1f s | %.2f s | %d MiB | %d MiB | %.1f MiB |\n", ib.cold.Seconds(), ib.warm.Seconds(), ib.rss>>10, ib.toolRSS>>10, float64(ib.size)/(1<<20))
	fmt.Fprintf(out, "| ratio / delta | %.2f× | %.2f× | %.2f× | | +%.2f MiB |\n\n", ib.cold.Seconds()/pb.cold.Seconds(), ib.warm.Seconds()/pb.warm.Seconds(),
		float64(ib.rss)/float64(pb.rss), float64(ib.size-pb.size)/(1<<20))
}

type builds struct {
	cold, warm   time.Duration
	rss, toolRSS int64 // KiB: the largest process of the cold build; the tool's largest run
	size         int64 // of every command the module builds
}

// buildTimes builds the service with a fresh build cache, then five times
// with the warm cache.
func buildTimes(src, work, name string, flags []string) builds {
	bin := filepath.Join(work, "build-"+name) + string(filepath.Separator)
	trace := filepath.Join(work, "trace-"+name)
	env := []string{"GOCACHE=" + filepath.Join(work, "gocache-"+name), "RASP_CACHE=" + filepath.Join(work, "raspcache-"+name), "RASP_TRACE=" + trace}
	args := append(append([]string{"build"}, flags...), "-o", bin, "./...")
	var b builds
	var warm []time.Duration
	for i := 0; i < 6; i++ {
		t := time.Now()
		ps := run(src, env, "go", args...)
		d := time.Since(t)
		if i == 0 {
			b.cold = d
			if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
				b.rss = int64(ru.Maxrss)
			}
		} else {
			warm = append(warm, d)
		}
		if i == 0 && len(flags) > 0 {
			data, _ := os.ReadFile(trace)
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Split(line, "\t"); len(f) >= 4 {
					kib, _ := strconv.ParseInt(f[3], 10, 64)
					b.toolRSS = max(b.toolRSS, kib)
				}
			}
		}
	}
	sort.Slice(warm, func(i, j int) bool { return warm[i] < warm[j] })
	b.warm = warm[len(warm)/2]
	files, _ := os.ReadDir(bin)
	for _, f := range files {
		if i, err := f.Info(); err == nil {
			b.size += i.Size()
		}
	}
	return b
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// writeMarkdown replaces the text between the bench markers of file.
func writeMarkdown(file, report string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	const begin, end = "<!-- bench:start -->", "<!-- bench:end -->"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %s ... %s markers", file, begin, end)
	}
	s = s[:i+len(begin)] + "\n" + report + s[j:]
	return os.WriteFile(file, []byte(s), 0o644)
}

// run runs a command in dir with env added, and stops the bench if it
// fails.
func run(dir string, env []string, name string, args ...string) *os.ProcessState {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return cmd.ProcessState
}
