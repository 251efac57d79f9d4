// Command bench measures what the protection costs, in one run on one
// machine: it builds a testdata service plain and instrumented, cold (fresh
// build cache) and warm, and reports build time, peak RSS of the build,
// and binary size; then it serves both builds and loads each in turn over
// loopback with the same requests, alternating rounds so that both see the
// same machine, and reports throughput and p50/p99 latency. Ratios are
// instrumented/plain. With -soak N it then sends N requests to the
// instrumented build and samples its resident memory, to show that request
// state does not pile up. With -md FILE it writes the report into FILE
// between the lines <!-- bench:start --> and <!-- bench:end -->.
//
//	go run ./scripts/bench                        # webapp, GET /product?name=apple
//	go run ./scripts/bench -soak 1000000 -md BENCHMARKS.md
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	app := flag.String("app", "webapp", "service under testdata/src")
	path := flag.String("path", "/product?name=apple", "request path (a handler doing one SQL query)")
	conc := flag.Int("c", 4, "concurrent clients")
	dur := flag.Duration("d", 5*time.Second, "duration of each round")
	rounds := flag.Int("rounds", 3, "rounds per build (alternating)")
	soak := flag.Int("soak", 0, "requests for the memory soak of the instrumented build (0: none)")
	mode := flag.String("mode", "block", "RASP_MODE of the instrumented build")
	md := flag.String("md", "", "write the report into this markdown file, between bench markers")
	flag.Parse()
	log.SetFlags(0)

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
	run(root, "go", "build", "-o", tool, "./cmd/rasp-instrument")
	src := filepath.Join(root, "testdata", "src", *app)
	plain, rasp := filepath.Join(work, "plain"), filepath.Join(work, "rasp")
	var report strings.Builder
	out := io.MultiWriter(os.Stdout, &report)
	fmt.Fprintf(out, "%s, %s/%s, %d CPUs (%s); service testdata/src/%s\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), *app)
	pb := buildTwice(src, work, "plain", plain)
	ib := buildTwice(src, work, "rasp", rasp, "-toolexec="+tool)
	ps, _ := os.Stat(plain)
	is, _ := os.Stat(rasp)
	fmt.Fprintf(out, "| build | cold | warm | peak RSS | binary |\n|---|---|---|---|---|\n")
	fmt.Fprintf(out, "| plain | %.1f s | %.2f s | %d MiB | %.1f MiB |\n", pb.cold.Seconds(), pb.warm.Seconds(), pb.rss>>10, float64(ps.Size())/(1<<20))
	fmt.Fprintf(out, "| instrumented | %.1f s | %.2f s | %d MiB | %.1f MiB |\n", ib.cold.Seconds(), ib.warm.Seconds(), ib.rss>>10, float64(is.Size())/(1<<20))
	fmt.Fprintf(out, "| ratio / delta | %.2f× | %.2f× | %.2f× | +%.2f MiB |\n\n", ib.cold.Seconds()/pb.cold.Seconds(), ib.warm.Seconds()/pb.warm.Seconds(),
		float64(ib.rss)/float64(pb.rss), float64(is.Size()-ps.Size())/(1<<20))

	fmt.Fprintf(out, "Load: GET %s, %d clients, %d rounds of %s each (medians)\n\n", *path, *conc, *rounds, *dur)
	results := map[string][]result{}
	for r := 0; r < *rounds; r++ {
		for _, b := range []struct{ name, bin string }{{"plain", plain}, {"rasp", rasp}} {
			s := start(b.bin, "RASP_MODE="+*mode)
			load(s.addr, *path, *conc, time.Second) // warm up
			res := load(s.addr, *path, *conc, *dur)
			s.stop()
			results[b.name] = append(results[b.name], res)
			fmt.Fprintf(os.Stderr, "  round %d %-5s %8.0f req/s  p50 %7s  p99 %7s  errors %d\n", r+1, b.name, res.rps, res.p50, res.p99, res.errors)
		}
	}
	p, i := median(results["plain"]), median(results["rasp"])
	fmt.Fprintf(out, "| build | throughput | p50 | p99 |\n|---|---|---|---|\n")
	fmt.Fprintf(out, "| plain | %.0f req/s | %s | %s |\n", p.rps, p.p50.Round(time.Microsecond), p.p99.Round(time.Microsecond))
	fmt.Fprintf(out, "| instrumented (%s) | %.0f req/s | %s | %s |\n", *mode, i.rps, i.p50.Round(time.Microsecond), i.p99.Round(time.Microsecond))
	fmt.Fprintf(out, "| ratio | %.3f | %.3f | %.3f |\n\n", i.rps/p.rps, float64(i.p50)/float64(p.p50), float64(i.p99)/float64(p.p99))

	if *soak > 0 {
		s := start(rasp, "RASP_MODE="+*mode)
		fmt.Fprintf(out, "Soak: %d requests to the instrumented build, resident memory (KiB) after each tenth:", *soak)
		step := *soak / 10
		for sent := 0; sent < *soak; sent += step {
			count(s.addr, *path, *conc, step)
			fmt.Fprintf(out, " %d", rss(s.cmd.Process.Pid))
		}
		fmt.Fprintln(out)
		s.stop()
	}
	if *md != "" {
		if err := writeMarkdown(*md, report.String()); err != nil {
			log.Fatal(err)
		}
	}
}

type builds struct {
	cold, warm time.Duration
	rss        int64 // KiB, the largest process of the cold build
}

// buildTwice builds the service with a fresh build cache, then again with
// the warm cache.
func buildTwice(src, work, name, out string, flags ...string) builds {
	cache := filepath.Join(work, "gocache-"+name)
	env := append(os.Environ(), "GOCACHE="+cache, "RASP_CACHE="+filepath.Join(work, "raspcache-"+name))
	args := append(append([]string{"build"}, flags...), "-o", out, ".")
	var b builds
	for i := 0; i < 2; i++ {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env, cmd.Stderr = src, env, os.Stderr
		t := time.Now()
		if err := cmd.Run(); err != nil {
			log.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		d := time.Since(t)
		if i == 0 {
			b.cold = d
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				b.rss = int64(ru.Maxrss)
			}
		} else {
			b.warm = d
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

func run(dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
}

type server struct {
	cmd  *exec.Cmd
	addr string
}

func start(bin string, env ...string) *server {
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, out)
			return &server{cmd: cmd, addr: a}
		}
	}
	log.Fatalf("%s exited before listening", bin)
	return nil
}

func (s *server) stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

type result struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
}

func client(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
}

// load sends requests from conc clients for d and returns the figures.
func load(addr, path string, conc int, d time.Duration) result {
	c := client(conc)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1<<16)
			for ctx.Err() == nil {
				t := time.Now()
				if get(c, addr, path) != nil {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{rps: float64(len(lat)) / elapsed.Seconds(), errors: errs.Load()}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

// count sends n requests from conc clients.
func count(addr, path string, conc, n int) {
	c := client(conc)
	defer c.CloseIdleConnections()
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				get(c, addr, path)
			}
		}()
	}
	wg.Wait()
}

func get(c *http.Client, addr, path string) error {
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
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
		rps: pick(func(r result) float64 { return r.rps }),
		p50: time.Duration(pick(func(r result) float64 { return float64(r.p50) })),
		p99: time.Duration(pick(func(r result) float64 { return float64(r.p99) })),
	}
}

func rss(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return -1
}
