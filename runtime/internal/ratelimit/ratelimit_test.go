package ratelimit

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/big"
	"math/rand"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is the first time every test gives its Limiter: fixed windows start at
// t0, t0+window, …
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// tracked returns the number of keys l tracks.
func (l *Limiter) tracked() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		if len(s.entries) > s.cap || 2*len(s.entries) > len(s.slots) || len(s.slots) > slotsFor(s.cap) {
			panic("shard out of shape")
		}
		indexed := 0
		for _, p := range s.slots {
			if p != 0 {
				indexed++
			}
		}
		for j := range s.entries {
			if _, k := s.find(s.entries[j].hash); k != j {
				panic("entry not indexed")
			}
		}
		if indexed != len(s.entries) {
			panic("index out of step with entries")
		}
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

// keys returns those of keys that l tracks, without touching them.
func (l *Limiter) keys(keys ...string) string {
	var in []string
	for _, k := range keys {
		h := maphash.String(l.seed, k)
		s := &l.shards[h>>l.shift]
		s.mu.Lock()
		if _, i := s.find(h); i >= 0 {
			in = append(in, k)
		}
		s.mu.Unlock()
	}
	return strings.Join(in, " ")
}

// step is one request of a table test and what Allow must answer.
type step struct {
	at    time.Duration // from t0
	key   string
	allow bool
	retry time.Duration // checked when not allowed
	first bool
}

func TestAllow(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name   string
		max    int
		window time.Duration
		steps  []step
	}{
		{
			name: "max allowed, then refused", max: 3, window: 10 * s,
			steps: []step{
				{at: 0, key: "a", allow: true},
				{at: 1 * s, key: "a", allow: true},
				{at: 2 * s, key: "a", allow: true},
				// cur = max: next window, where 3×(1−f) + 1 ≤ 3 from f = 1/3.
				{at: 3 * s, key: "a", retry: 7*s + 3333333334, first: true},
				{at: 4 * s, key: "a", retry: 6*s + 3333333334},
				{at: 9*s + 999999999, key: "a", retry: 3333333335},
				// Another key is counted apart.
				{at: 4 * s, key: "b", allow: true},
			},
		},
		{
			name: "sliding across the boundary", max: 10, window: 10 * s,
			steps: []step{
				{at: 0, key: "k", allow: true}, {at: 0, key: "k", allow: true},
				{at: 0, key: "k", allow: true}, {at: 0, key: "k", allow: true},
				{at: 0, key: "k", allow: true}, {at: 0, key: "k", allow: true},
				{at: 0, key: "k", allow: true}, {at: 0, key: "k", allow: true},
				{at: 0, key: "k", allow: true}, {at: 0, key: "k", allow: true},
				{at: 0, key: "k", retry: 11 * s, first: true},
				// Next window: the previous 10 weigh 10×(1−f); one request
				// per second gets through.
				{at: 10 * s, key: "k", retry: 1 * s, first: true},
				{at: 11 * s, key: "k", allow: true},
				{at: 11 * s, key: "k", retry: 1 * s},
				{at: 11*s + 500*time.Millisecond, key: "k", retry: 500 * time.Millisecond},
				{at: 12 * s, key: "k", allow: true},
				{at: 12*s + 1, key: "k", retry: s - 1},
				// 15 s: 10×0.5 + 2 + 1 = 8 ≤ 10, three more fit.
				{at: 15 * s, key: "k", allow: true},
				{at: 15 * s, key: "k", allow: true},
				{at: 15 * s, key: "k", allow: true},
				{at: 15 * s, key: "k", retry: 1 * s},
				// Window 2: the previous (window 1) had 5.
				{at: 20 * s, key: "k", allow: true}, // 5 + 0 + 1
				{at: 20 * s, key: "k", allow: true},
				{at: 20 * s, key: "k", allow: true},
				{at: 20 * s, key: "k", allow: true},
				{at: 20 * s, key: "k", allow: true}, // 5 + 4 + 1
				{at: 20 * s, key: "k", retry: 2 * s, first: true},
				// Two windows later everything is over.
				{at: 40 * s, key: "k", allow: true},
			},
		},
		{
			name: "max 1 waits for the window after the next", max: 1, window: time.Minute,
			steps: []step{
				{at: 30 * s, key: "x", allow: true},
				{at: 31 * s, key: "x", retry: 89 * s, first: true},
				{at: 60 * s, key: "x", retry: 60 * s, first: true},
				{at: 120*s - 1, key: "x", retry: 1},
				{at: 120 * s, key: "x", allow: true},
			},
		},
		{
			name: "first once per window per key", max: 1, window: 10 * s,
			steps: []step{
				{at: 0, key: "a", allow: true},
				{at: 0, key: "b", allow: true},
				{at: 1 * s, key: "a", retry: 19 * s, first: true},
				{at: 2 * s, key: "a", retry: 18 * s},
				{at: 3 * s, key: "b", retry: 17 * s, first: true},
				{at: 9 * s, key: "a", retry: 11 * s},
				{at: 10 * s, key: "a", retry: 10 * s, first: true},
				{at: 19 * s, key: "a", retry: 1 * s},
				{at: 19 * s, key: "b", retry: 1 * s, first: true},
			},
		},
		{
			name: "a late time counts in the current window", max: 2, window: 10 * s,
			steps: []step{
				{at: 0, key: "a", allow: true},
				{at: 15 * s, key: "a", allow: true}, // 1×0.5 + 0 + 1
				// From window 0, taken as the start of window 1: 1×1 + 1 + 1 > 2;
				// allowed at the start of window 2 (1×1 + 0 + 1), 15 s later.
				{at: 5 * s, key: "a", retry: 15 * s, first: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.max, tt.window, 0)
			l.Allow("epoch", t0)
			for i, st := range tt.steps {
				d := l.Allow(st.key, at(st.at))
				want := Decision{Allowed: st.allow, First: st.first}
				if !st.allow {
					want.RetryAfter = st.retry
				}
				if d != want {
					t.Fatalf("step %d (%s at %v): got %+v, want %+v", i, st.key, st.at, d, want)
				}
			}
		})
	}
}

// TestNegativeTime: times before the first one work the same.
func TestNegativeTime(t *testing.T) {
	l := New(1, 10*time.Second, 0)
	l.Allow("epoch", t0)
	if d := l.Allow("k", at(-15*time.Second)); !d.Allowed {
		t.Fatalf("got %+v", d)
	}
	if d := l.Allow("k", at(-11*time.Second)); d.Allowed || !d.First || d.RetryAfter != 11*time.Second {
		t.Fatalf("got %+v, want a first refusal retrying after 11s", d)
	}
}

// reference answers Allow from its definition, in exact rational numbers:
// allowed when prev×(1−f) + cur + 1 ≤ max.
type reference struct {
	max       int64
	window    int64
	win       int64
	prev, cur int64
}

func (r *reference) allow(t int64) bool {
	win, el := t/r.window, t%r.window
	switch {
	case win == r.win+1:
		r.prev, r.cur = r.cur, 0
	case win > r.win+1:
		r.prev, r.cur = 0, 0
	}
	r.win = win
	f := big.NewRat(el, r.window)
	est := new(big.Rat).Sub(big.NewRat(1, 1), f)
	est.Mul(est, big.NewRat(r.prev, 1))
	est.Add(est, big.NewRat(r.cur+1, 1))
	if est.Cmp(big.NewRat(r.max, 1)) <= 0 {
		r.cur++
		return true
	}
	return false
}

// TestAgainstReference runs random request times through a Limiter and the
// reference, and checks each refusal's RetryAfter: a request RetryAfter−1ns
// later is refused, one RetryAfter later is allowed (refused requests are
// not counted, so probing does not change the state).
func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, max := range []int{1, 2, 3, 7, 10, 100} {
		for _, window := range []time.Duration{time.Second, 7 * time.Second, time.Minute + 13} {
			l := New(max, window, 0)
			l.Allow("epoch", t0)
			probe := New(max, window, 0) // a copy fed the same allowed requests
			probe.Allow("epoch", t0)
			ref := &reference{max: int64(max), window: int64(window)}
			var now int64
			for i := 0; i < 3000; i++ {
				// Gaps mostly short, sometimes a window or more.
				gap := rng.Int63n(int64(window) / int64(max) * 3)
				if rng.Intn(50) == 0 {
					gap = rng.Int63n(3 * int64(window))
				}
				now += gap
				d := l.Allow("k", at(time.Duration(now)))
				want := ref.allow(now)
				if d.Allowed != want {
					t.Fatalf("max %d window %v request %d at %v: Allowed %v, reference %v", max, window, i, time.Duration(now), d.Allowed, want)
				}
				if d.Allowed {
					if d.RetryAfter != 0 || d.First {
						t.Fatalf("allowed with %+v", d)
					}
					probe.Allow("k", at(time.Duration(now)))
					continue
				}
				if d.RetryAfter <= 0 || d.RetryAfter > 2*window {
					t.Fatalf("RetryAfter %v out of (0, 2×%v]", d.RetryAfter, window)
				}
				r := now + int64(d.RetryAfter)
				if p := probe.Allow("k", at(time.Duration(r-1))); p.Allowed {
					t.Fatalf("max %d window %v at %v: allowed before RetryAfter %v", max, window, time.Duration(now), d.RetryAfter)
				}
				// Probe the allowed request on a throwaway copy of the state.
				c := *ref
				if !c.allow(r) {
					t.Fatalf("max %d window %v at %v: reference refuses at RetryAfter %v", max, window, time.Duration(now), d.RetryAfter)
				}
			}
		}
	}
}

// TestLargeValues: the products of max and the window reach 2⁹⁵, and
// RetryAfter saturates.
func TestLargeValues(t *testing.T) {
	w := time.Duration(math.MaxInt64)
	l := New(MaxRequests, w, 0)
	l.Allow("epoch", t0)
	for i := 0; i < 1000; i++ {
		if d := l.Allow("k", at(time.Hour)); !d.Allowed {
			t.Fatalf("request %d refused: %+v", i, d)
		}
	}
	l = New(1, w, 0)
	l.Allow("epoch", t0)
	l.Allow("k", t0)
	if d := l.Allow("k", at(time.Hour)); d.Allowed || d.RetryAfter != math.MaxInt64 {
		t.Fatalf("got %+v, want a refusal with RetryAfter the largest Duration", d)
	}
}

func TestNewPanics(t *testing.T) {
	tooMany := math.MaxInt32
	tooMany++ // negative where int has 32 bits: also refused
	tests := []struct {
		max     int
		window  time.Duration
		maxKeys int
	}{
		{0, time.Second, 0},
		{-1, time.Second, 0},
		{tooMany, time.Second, 0},
		{1, 0, 0},
		{1, -time.Second, 0},
		{1, time.Second, -1},
		{1, time.Second, tooMany},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d, %v, %d) did not panic", tt.max, tt.window, tt.maxKeys)
				}
			}()
			New(tt.max, tt.window, tt.maxKeys)
		}()
	}
}

func TestShards(t *testing.T) {
	for _, tt := range []struct{ maxKeys, shards int }{
		{0, 64}, {DefaultMaxKeys, 64}, {4096, 64}, {4095, 32}, {100, 1}, {1, 1}, {1000003, 64},
	} {
		l := New(1, time.Second, tt.maxKeys)
		total := 0
		for i := range l.shards {
			total += l.shards[i].cap
		}
		want := tt.maxKeys
		if want == 0 {
			want = DefaultMaxKeys
		}
		if len(l.shards) != tt.shards || total != want {
			t.Errorf("maxKeys %d: %d shards holding %d, want %d holding %d", tt.maxKeys, len(l.shards), total, tt.shards, want)
		}
	}
}

// TestEviction: at the bound, CLOCK evicts a key whose windows are over, or
// one not used since the hand passed, and an evicted key starts afresh.
func TestEviction(t *testing.T) {
	l := New(1, 10*time.Second, 4) // one shard of 4
	l.Allow("epoch", t0)           // tracked: epoch
	for _, k := range []string{"a", "b", "c"} {
		if !l.Allow(k, t0).Allowed {
			t.Fatalf("%s refused", k)
		}
	}
	if n := l.tracked(); n != 4 {
		t.Fatalf("tracking %d keys, want 4", n)
	}
	// a and c are used again (refused): marked used.
	for _, k := range []string{"a", "c"} {
		if l.Allow(k, at(time.Second)).Allowed {
			t.Fatalf("%s allowed twice", k)
		}
	}
	// d takes the place of epoch (unused since it came), e that of b.
	if !l.Allow("d", at(time.Second)).Allowed || !l.Allow("e", at(time.Second)).Allowed {
		t.Fatal("a new key was refused")
	}
	if n := l.tracked(); n != 4 {
		t.Fatalf("tracking %d keys, want 4", n)
	}
	if got := l.keys("epoch", "a", "b", "c", "d", "e"); got != "a c d e" {
		t.Fatalf("tracking %q, want a c d e", got)
	}
	// c is remembered: still refused, not for the first time.
	if d := l.Allow("c", at(2*time.Second)); d.Allowed || d.First {
		t.Fatalf("c: got %+v, want a repeated refusal", d)
	}
	// b was forgotten: it starts afresh (the limit fails open for it),
	// taking the place of d (c is spared once more, being used again).
	if d := l.Allow("b", at(2*time.Second)); !d.Allowed {
		t.Fatalf("evicted b: got %+v, want allowed", d)
	}
	if got := l.keys("a", "b", "c", "d", "e"); got != "a b c e" {
		t.Fatalf("tracking %q, want a b c e", got)
	}
	// The hand cleared a's mark on its first turn: f takes its place.
	l.Allow("f", at(2*time.Second))
	if got := l.keys("a", "b", "c", "e", "f"); got != "b c e f" {
		t.Fatalf("tracking %q, want b c e f", got)
	}
	if d := l.Allow("a", at(2*time.Second)); !d.Allowed {
		t.Fatalf("evicted a: got %+v, want allowed", d)
	}

	// Keys whose windows are over go first, even if used.
	l = New(1, 10*time.Second, 4)
	for _, k := range []string{"old1", "old2", "old3", "new"} {
		l.Allow(k, t0)
		l.Allow(k, t0) // used
	}
	l.Allow("new", at(20*time.Second)) // new's window is current
	for _, k := range []string{"x", "y", "z"} {
		if !l.Allow(k, at(20*time.Second)).Allowed {
			t.Fatalf("%s refused", k)
		}
	}
	if d := l.Allow("new", at(21*time.Second)); d.Allowed {
		t.Fatalf("new was evicted although old keys were over: %+v", d)
	}
}

// TestFloodKeepsHotKey: a key that keeps sending survives a flood of keys
// each seen once, and stays refused.
func TestFloodKeepsHotKey(t *testing.T) {
	l := New(5, time.Minute, 1024) // one shard
	now := t0
	for i := 0; i < 5; i++ {
		l.Allow("attacker", now)
	}
	for i := 0; i < 100000; i++ {
		l.Allow("spoofed-"+strconv.Itoa(i), now)
		if i%512 == 0 {
			if d := l.Allow("attacker", now); d.Allowed {
				t.Fatalf("attacker allowed after %d new keys", i)
			}
		}
	}
	if n := l.tracked(); n != 1024 {
		t.Fatalf("tracking %d keys, want 1024", n)
	}
}

// TestLongKeys: keys are hashed, whatever their length.
func TestLongKeys(t *testing.T) {
	l := New(1, time.Minute, 0)
	long := strings.Repeat("k", 1<<20)
	if !l.Allow(long+"1", t0).Allowed || !l.Allow(long+"2", t0).Allowed {
		t.Fatal("a first request was refused")
	}
	if l.Allow(long+"1", t0).Allowed || l.Allow(long+"2", t0).Allowed {
		t.Fatal("a second request was allowed")
	}
	if !l.Allow("", t0).Allowed || l.Allow("", t0).Allowed {
		t.Fatal("the empty key is not limited like any other")
	}
}

// TestMemoryBounded: after ten times maxKeys distinct keys, the Limiter
// tracks maxKeys and holds no more memory than after maxKeys.
func TestMemoryBounded(t *testing.T) {
	const maxKeys = DefaultMaxKeys
	before := heap()
	l := New(100, time.Minute, 0)
	buf := make([]byte, 0, 32)
	allow := func(from, to int) {
		for i := from; i < to; i++ {
			buf = strconv.AppendInt(append(buf[:0], "198.51.100."...), int64(i), 10)
			l.Allow(string(buf), t0)
		}
	}
	allow(0, maxKeys)
	full := heap()
	allow(maxKeys, 10*maxKeys)
	after := heap()
	if n := l.tracked(); n != maxKeys {
		t.Fatalf("tracking %d keys, want %d", n, maxKeys)
	}
	t.Logf("heap: %d bytes at %d keys (%.1f per key), %d bytes after %d keys",
		full-before, maxKeys, float64(full-before)/maxKeys, after-before, 10*maxKeys)
	if after > full+full/10 {
		t.Errorf("heap grew from %d to %d bytes between %d and %d keys", full-before, after-before, maxKeys, 10*maxKeys)
	}
	if per := float64(after-before) / maxKeys; per > 48 {
		t.Errorf("%.1f bytes per key", per)
	}
	runtime.KeepAlive(l)
}

func heap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestConcurrent: under contention, exactly max requests of a key are
// allowed in a window and exactly one refusal is First; keys beyond the
// bound, from many goroutines, keep the structure in shape (run with -race).
func TestConcurrent(t *testing.T) {
	const max, goroutines, each = 500, 16, 200
	l := New(max, time.Minute, 256)
	l.Allow("epoch", t0)
	var mu sync.Mutex
	allowed, first := 0, 0
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			a, f := 0, 0
			count := func(d Decision) {
				if d.Allowed {
					a++
				}
				if d.First {
					f++
				}
			}
			for i := 0; i < each; i++ {
				count(l.Allow("hot", at(time.Second)))
				// Other keys, many more than the bound.
				l.Allow(fmt.Sprintf("g%d-%d", g, i), at(time.Duration(i)*time.Millisecond))
				count(l.Allow("hot", at(time.Second)))
			}
			mu.Lock()
			allowed, first = allowed+a, first+f
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	if n := l.tracked(); n > 256 {
		t.Errorf("tracking %d keys, bound 256", n)
	}
	if allowed != max || first != 1 {
		t.Errorf("allowed %d (max %d), %d first refusals", allowed, max, first)
	}
	if d := l.Allow("hot", at(time.Second)); d.Allowed {
		t.Errorf("hot allowed after %d×%d×2 requests", goroutines, each)
	}
}

func TestAllowDoesNotAllocate(t *testing.T) {
	l := New(MaxRequests, time.Minute, 0)
	l.Allow("203.0.113.7", t0)
	if n := testing.AllocsPerRun(1000, func() { l.Allow("203.0.113.7", t0) }); n != 0 {
		t.Errorf("Allow of a tracked key: %v allocations", n)
	}
	small := New(1, time.Minute, 64)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	for _, k := range keys {
		small.Allow(k, t0)
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() { small.Allow(keys[i%len(keys)], t0); i++ }); n != 0 {
		t.Errorf("Allow of a new key into a full Limiter: %v allocations", n)
	}
}

func BenchmarkAllowHotKey(b *testing.B) {
	l := New(MaxRequests, time.Minute, 0)
	now := time.Now()
	l.Allow("203.0.113.7", now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Allow("203.0.113.7", now)
	}
}

func BenchmarkAllowHotKeyParallel(b *testing.B) {
	l := New(MaxRequests, time.Minute, 0)
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		key := fmt.Sprintf("203.0.113.%d", rand.Intn(256))
		for pb.Next() {
			l.Allow(key, now)
		}
	})
}

// BenchmarkAllowUniqueKeys: every request has a new key; past maxKeys each
// one evicts another. Reports the keys tracked and the Limiter's heap per
// tracked key at the end.
func BenchmarkAllowUniqueKeys(b *testing.B) {
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = fmt.Sprintf("2001:db8::%x", i)
	}
	before := heap()
	l := New(100, time.Minute, 0)
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Allow(keys[i&(len(keys)-1)], now)
	}
	b.StopTimer()
	b.ReportMetric(float64(l.tracked()), "keys")
	b.ReportMetric(float64(heap()-before)/DefaultMaxKeys, "heap-B/key")
	runtime.KeepAlive(l)
	runtime.KeepAlive(keys)
}

// TestIndex drives one shard's index with hashes chosen to collide and to
// wrap around the end of the slots, evicting all along, and checks after
// each step that every entry is found from its home slot, that nothing
// else is indexed, and that a full shard evicts exactly one entry per new
// hash.
func TestIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, capacity := range []int{1, 2, 3, 8, 100} {
		s := &shard{}
		s.cap = capacity
		s.slots = make([]int32, min(16, slotsFor(capacity)))
		for step := 0; step < 20000; step++ {
			// Few home slots (0 to 3 and the last two), many hashes.
			h := uint64(rng.Intn(1000))<<32 | uint64(rng.Intn(4))
			if rng.Intn(2) == 0 {
				h |= uint64(len(s.slots) - 1 - rng.Intn(2))
			}
			if slot, i := s.find(h); i >= 0 {
				s.entries[i].used = rng.Intn(2) == 0
			} else {
				before := map[uint64]bool{}
				for _, e := range s.entries {
					before[e.hash] = true
				}
				s.add(slot, h, int64(step/50))
				gone := 0
				for k := range before {
					if _, i := s.find(k); i < 0 {
						gone++
					}
				}
				if want := len(before) + 1 - len(s.entries); gone != want {
					t.Fatalf("cap %d step %d: %d entries gone, want %d", capacity, step, gone, want)
				}
			}
			indexed := 0
			for _, p := range s.slots {
				if p != 0 {
					indexed++
				}
			}
			if indexed != len(s.entries) || len(s.entries) > s.cap || 2*len(s.entries) > len(s.slots) {
				t.Fatalf("cap %d step %d: %d indexed, %d entries, %d slots", capacity, step, indexed, len(s.entries), len(s.slots))
			}
			for j := range s.entries {
				if _, k := s.find(s.entries[j].hash); k != j {
					t.Fatalf("cap %d step %d: entry %d found at %d", capacity, step, j, k)
				}
			}
		}
	}
}
