package attackwave

import (
	"math"
	"math/rand"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

// t0 is the first time every test gives its Detector.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

var (
	alice = netip.MustParseAddr("198.51.100.7")
	bob   = netip.MustParseAddr("2001:db8::b0b")
)

// check verifies the Detector's invariants: every shard in shape, and the
// count of blocked clients equal to the clients marked blocked.
func (d *Detector) check(t *testing.T) int {
	t.Helper()
	n, blocked := 0, 0
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.Lock()
		indexed := 0
		for _, p := range s.slots {
			if p != 0 {
				indexed++
			}
		}
		if indexed != len(s.clients) || len(s.clients) > s.cap || 2*len(s.clients) > len(s.slots) || len(s.slots) > slotsFor(s.cap) {
			t.Fatalf("shard %d: %d indexed, %d clients, cap %d, %d slots", i, indexed, len(s.clients), s.cap, len(s.slots))
		}
		for j, c := range s.clients {
			if c.hash != d.hash(c.addr) || &d.shards[c.hash>>d.shift] != s {
				t.Fatalf("shard %d: %v has the wrong hash or shard", i, c.addr)
			}
			if _, k := s.find(c.hash, c.addr); k != j {
				t.Fatalf("shard %d: %v found at %d, is at %d", i, c.addr, k, j)
			}
			if c.blocked {
				blocked++
			}
		}
		n += len(s.clients)
		s.mu.Unlock()
	}
	if got := d.blocked.Load(); got != int64(blocked) {
		t.Fatalf("blocked count %d, %d clients blocked", got, blocked)
	}
	return n
}

// tracks reports whether d tracks addr, without touching it.
func (d *Detector) tracks(addr netip.Addr) bool {
	h := d.hash(addr)
	s := &d.shards[h>>d.shift]
	s.mu.Lock()
	defer s.mu.Unlock()
	_, i := s.find(h, addr)
	return i >= 0
}

// note is one call of a table test and what it must return; blockedFor is
// the expected BlockedUntil − now (0: not blocked).
type note struct {
	at         time.Duration
	addr       netip.Addr
	kind       Kind
	started    bool
	findings   int
	probes     int
	blockedFor time.Duration
}

func TestNote(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name  string
		cfg   Config
		notes []note
	}{
		{
			name: "a wave starts once per window", cfg: Config{Threshold: 3, Window: 10 * s},
			notes: []note{
				{at: 0, addr: alice, kind: Finding, findings: 1},
				{at: 1 * s, addr: alice, kind: Probe, findings: 1, probes: 1},
				{at: 2 * s, addr: bob, kind: Probe, probes: 1},
				{at: 3 * s, addr: alice, kind: Probe, started: true, findings: 1, probes: 2},
				{at: 4 * s, addr: alice, kind: Finding, findings: 2, probes: 2},
				{at: 9*s + 999999999, addr: alice, kind: Finding, findings: 3, probes: 2},
				// The window opened at 0 is over: a new one opens.
				{at: 10 * s, addr: alice, kind: Probe, probes: 1},
				{at: 11 * s, addr: alice, kind: Probe, probes: 2},
				{at: 12 * s, addr: alice, kind: Probe, started: true, probes: 3},
				// bob's window opened at 2 s.
				{at: 11 * s, addr: bob, kind: Probe, probes: 2},
				{at: 12 * s, addr: bob, kind: Probe, probes: 1},
			},
		},
		{
			name: "a window opens at the first note after the last", cfg: Config{Threshold: 2, Window: 10 * s},
			notes: []note{
				{at: 5 * s, addr: alice, kind: Finding, findings: 1},
				{at: 16 * s, addr: alice, kind: Finding, findings: 1},
				{at: 25 * s, addr: alice, kind: Finding, started: true, findings: 2},
				// Late: counts in the current window.
				{at: 15 * s, addr: alice, kind: Probe, findings: 2, probes: 1},
			},
		},
		{
			name: "threshold 1", cfg: Config{Threshold: 1, Window: s},
			notes: []note{
				{at: 0, addr: alice, kind: Probe, started: true, probes: 1},
				{at: 0, addr: alice, kind: Probe, probes: 2},
				{at: s, addr: alice, kind: Probe, started: true, probes: 1},
			},
		},
		{
			name: "a wave blocks for BlockFor", cfg: Config{Threshold: 3, Window: 10 * s, BlockFor: time.Minute},
			notes: []note{
				{at: 0, addr: alice, kind: Finding, findings: 1},
				{at: 1 * s, addr: alice, kind: Finding, findings: 2},
				{at: 2 * s, addr: alice, kind: Probe, started: true, findings: 2, probes: 1, blockedFor: time.Minute},
				{at: 5 * s, addr: alice, kind: Probe, findings: 2, probes: 2, blockedFor: 57 * s},
				{at: 5 * s, addr: bob, kind: Probe, probes: 1},
				// A new wave while blocked extends the block.
				{at: 20 * s, addr: alice, kind: Finding, findings: 1, blockedFor: 42 * s},
				{at: 21 * s, addr: alice, kind: Finding, findings: 2, blockedFor: 41 * s},
				{at: 22 * s, addr: alice, kind: Finding, started: true, findings: 3, blockedFor: time.Minute},
				{at: 82*s - 1, addr: alice, kind: Finding, findings: 1, blockedFor: 1},
				{at: 82 * s, addr: alice, kind: Finding, findings: 2},
			},
		},
		{
			name: "unknown kinds count as findings", cfg: Config{Threshold: 2, Window: 10 * s},
			notes: []note{
				{at: 0, addr: alice, kind: Kind(7), findings: 1},
				{at: 0, addr: alice, kind: Probe, started: true, findings: 1, probes: 1},
			},
		},
		{
			name: "IPv4-mapped addresses are IPv4", cfg: Config{Threshold: 2, Window: 10 * s},
			notes: []note{
				{at: 0, addr: netip.MustParseAddr("::ffff:198.51.100.7"), kind: Probe, probes: 1},
				{at: 0, addr: alice, kind: Probe, started: true, probes: 2},
			},
		},
		{
			name: "the zero Addr is not counted", cfg: Config{Threshold: 1, Window: 10 * s, BlockFor: s},
			notes: []note{
				{at: 0, addr: netip.Addr{}, kind: Probe},
				{at: 0, addr: netip.Addr{}, kind: Probe},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(tt.cfg)
			for i, n := range tt.notes {
				now := at(n.at)
				w := d.Note(n.addr, n.kind, now)
				want := Wave{Started: n.started, Findings: n.findings, Probes: n.probes}
				if n.blockedFor != 0 {
					want.BlockedUntil = now.Add(n.blockedFor)
				}
				if w != want {
					t.Fatalf("note %d (%v %v at %v): got %+v, want %+v", i, n.addr, n.kind, n.at, w, want)
				}
				until, ok := d.Blocked(n.addr, now)
				if ok != (n.blockedFor != 0) || until != want.BlockedUntil {
					t.Fatalf("note %d: Blocked = %v, %v; want %v", i, until, ok, want.BlockedUntil)
				}
				d.check(t)
			}
		})
	}
}

func TestBlocked(t *testing.T) {
	d := New(Config{Threshold: 2, Window: time.Minute, BlockFor: 10 * time.Minute})
	if _, ok := d.Blocked(alice, t0); ok {
		t.Fatal("a client never seen is blocked")
	}
	d.Note(alice, Probe, t0)
	if _, ok := d.Blocked(alice, t0); ok {
		t.Fatal("blocked before a wave")
	}
	d.Note(alice, Probe, at(time.Second))
	for _, tt := range []struct {
		at   time.Duration
		addr netip.Addr
		ok   bool
	}{
		{time.Second, alice, true},
		{time.Second, bob, false},
		{time.Second, netip.Addr{}, false},
		{time.Second, netip.MustParseAddr("::ffff:198.51.100.7"), true},
		{10*time.Minute + time.Second - 1, alice, true},
		{10*time.Minute + time.Second, alice, false},
		{time.Hour, alice, false},
	} {
		until, ok := d.Blocked(tt.addr, at(tt.at))
		if ok != tt.ok {
			t.Errorf("Blocked(%v) at %v = %v, want %v", tt.addr, tt.at, ok, tt.ok)
		}
		if ok && !until.Equal(at(10*time.Minute+time.Second)) {
			t.Errorf("blocked until %v", until)
		}
	}
	// The expired block was lifted: Blocked is back to one atomic load.
	d.check(t)
	if n := d.blocked.Load(); n != 0 {
		t.Errorf("%d blocked clients counted", n)
	}

	// BlockFor 0: never blocked.
	d = New(Config{Threshold: 1, Window: time.Minute})
	if w := d.Note(alice, Probe, t0); !w.Started || !w.BlockedUntil.IsZero() {
		t.Fatalf("got %+v", w)
	}
	if _, ok := d.Blocked(alice, t0); ok {
		t.Fatal("blocked with BlockFor 0")
	}
}

func TestNewPanics(t *testing.T) {
	tooMany := math.MaxInt32
	tooMany++ // negative where int has 32 bits: also refused
	for _, cfg := range []Config{
		{Threshold: 0, Window: time.Second},
		{Threshold: -1, Window: time.Second},
		{Threshold: tooMany, Window: time.Second},
		{Threshold: 1, Window: 0},
		{Threshold: 1, Window: -1},
		{Threshold: 1, Window: time.Second, BlockFor: -1},
		{Threshold: 1, Window: time.Second, MaxClients: -1},
		{Threshold: 1, Window: time.Second, MaxClients: tooMany},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", cfg)
				}
			}()
			New(cfg)
		}()
	}
}

func TestKindString(t *testing.T) {
	if Finding.String() != "finding" || Probe.String() != "probe" {
		t.Errorf("%q %q", Finding, Probe)
	}
}

func addr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

// TestEviction: at the bound, clients whose window is over go first, then
// those not noted since the hand passed; blocked clients are spared unless
// every client of the shard is blocked.
func TestEviction(t *testing.T) {
	const s = time.Second
	d := New(Config{Threshold: 3, Window: 10 * s, BlockFor: time.Hour, MaxClients: 4}) // one shard
	// 0 and 1: noted twice (marked); 2: window over by 20 s; 3: noted once.
	for _, i := range []int{0, 1, 2, 3, 0, 1} {
		d.Note(addr(i), Probe, t0)
	}
	for _, i := range []int{0, 1} {
		d.Note(addr(i), Probe, at(15*s)) // new windows, marked
	}
	d.Note(addr(4), Probe, at(20*s)) // hand: 0 and 1 spared, 2's window over
	if d.tracks(addr(2)) || !d.tracks(addr(4)) {
		t.Fatal("2 not evicted for 4")
	}
	d.Note(addr(5), Probe, at(20*s)) // hand: 3 not noted since it came
	if d.tracks(addr(3)) || !d.tracks(addr(5)) {
		t.Fatal("3 not evicted for 5")
	}
	// 0 reaches the threshold: blocked, and spared from now on.
	for i := 0; i < 2; i++ {
		d.Note(addr(0), Finding, at(21*s))
	}
	if _, ok := d.Blocked(addr(0), at(21*s)); !ok {
		t.Fatal("0 not blocked")
	}
	for i := 6; i < 100; i++ {
		d.Note(addr(i), Probe, at(22*s))
		if !d.tracks(addr(0)) {
			t.Fatalf("blocked client evicted by client %d", i)
		}
	}
	if n := d.check(t); n != 4 {
		t.Fatalf("tracking %d clients", n)
	}
	// A forgotten client starts a new window from zero.
	if w := d.Note(addr(1), Probe, at(22*s)); w.Probes != 1 {
		t.Fatalf("evicted client: %+v", w)
	}

	// Every client blocked: the one at the hand goes, and is unblocked.
	d = New(Config{Threshold: 1, Window: 10 * s, BlockFor: time.Hour, MaxClients: 4})
	for i := 0; i < 4; i++ {
		d.Note(addr(i), Probe, t0)
	}
	d.check(t)
	if n := d.blocked.Load(); n != 4 {
		t.Fatalf("%d blocked", n)
	}
	d.Note(addr(4), Probe, at(s))
	if d.tracks(addr(0)) {
		t.Fatal("0 was not evicted")
	}
	if _, ok := d.Blocked(addr(0), at(s)); ok {
		t.Fatal("evicted client still blocked")
	}
	d.check(t)
	if n := d.blocked.Load(); n != 4 { // 1, 2, 3 and 4
		t.Fatalf("%d blocked", n)
	}
	// Blocks that are over do not protect.
	d.Note(addr(5), Probe, at(2*time.Hour))
	d.check(t)
}

// TestFloodKeepsActiveClient: a client in the middle of a wave survives a
// flood of addresses each seen once, and its wave is detected.
func TestFloodKeepsActiveClient(t *testing.T) {
	d := New(Config{Threshold: 50, Window: time.Minute, MaxClients: 1024}) // one shard
	started := 0
	for i := 0; i < 100000; i++ {
		d.Note(addr(i+1), Probe, t0)
		if i%500 == 0 {
			if d.Note(alice, Probe, t0).Started {
				started++
			}
		}
	}
	if started != 1 {
		t.Fatalf("%d waves started, want 1", started)
	}
	if n := d.check(t); n != 1024 {
		t.Fatalf("tracking %d clients", n)
	}
}

// TestMemoryBounded: after ten times MaxClients distinct addresses, the
// Detector tracks MaxClients and holds no more memory than after MaxClients.
func TestMemoryBounded(t *testing.T) {
	const maxClients = DefaultMaxClients
	before := heap()
	d := New(Config{Threshold: 10, Window: time.Minute, BlockFor: time.Minute})
	note := func(from, to int) {
		for i := from; i < to; i++ {
			d.Note(addr(i), Probe, t0)
		}
	}
	note(0, maxClients)
	full := heap()
	note(maxClients, 10*maxClients)
	after := heap()
	if n := d.check(t); n != maxClients {
		t.Fatalf("tracking %d clients, want %d", n, maxClients)
	}
	t.Logf("heap: %d bytes at %d clients (%.1f per client), %d bytes after %d clients",
		full-before, maxClients, float64(full-before)/maxClients, after-before, 10*maxClients)
	if after > full+full/10 {
		t.Errorf("heap grew from %d to %d bytes between %d and %d clients", full-before, after-before, maxClients, 10*maxClients)
	}
	if per := float64(after-before) / maxClients; per > 80 {
		t.Errorf("%.1f bytes per client", per)
	}
	runtime.KeepAlive(d)
}

func heap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestConcurrent: under contention exactly one Note of a client starts its
// wave, and every client that reached the threshold is blocked; many more
// clients than the bound keep the structure in shape (run with -race).
func TestConcurrent(t *testing.T) {
	const goroutines, each = 8, 300
	d := New(Config{Threshold: 1000, Window: time.Hour, BlockFor: time.Hour, MaxClients: 512})
	var mu sync.Mutex
	started := 0
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			n := 0
			for i := 0; i < each; i++ {
				if d.Note(alice, Kind(i%2), at(time.Duration(i)*time.Millisecond)).Started {
					n++
				}
				d.Blocked(alice, at(time.Second))
				d.Note(addr(g<<16|i), Probe, at(time.Second))
				d.Blocked(addr(g<<16|i), at(time.Second))
			}
			mu.Lock()
			started += n
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	if started != 1 {
		t.Errorf("%d waves started, want 1", started)
	}
	if _, ok := d.Blocked(alice, at(time.Minute)); !ok {
		t.Error("alice not blocked")
	}
	if n := d.check(t); n > 512 {
		t.Errorf("tracking %d clients", n)
	}
}

func TestDoesNotAllocate(t *testing.T) {
	d := New(Config{Threshold: 2, Window: time.Minute, BlockFor: time.Minute})
	d.Note(alice, Probe, t0)
	d.Note(alice, Probe, t0)
	zoned := netip.MustParseAddr("fe80::1%eth0")
	for name, f := range map[string]func(){
		"Blocked, none blocked": func() { New(Config{Threshold: 1, Window: time.Second}).Blocked(bob, t0) },
		"Blocked, hit":          func() { d.Blocked(alice, t0) },
		"Blocked, miss":         func() { d.Blocked(bob, t0) },
		"Blocked, zone":         func() { d.Blocked(zoned, t0) },
		"Note, tracked":         func() { d.Note(alice, Finding, t0) },
	} {
		if name == "Blocked, none blocked" {
			e := New(Config{Threshold: 1, Window: time.Second})
			f = func() { e.Blocked(bob, t0) }
		}
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}

func BenchmarkBlockedMiss(b *testing.B) {
	d := New(Config{Threshold: 10, Window: time.Minute, BlockFor: time.Minute})
	now := time.Now()
	d.Note(alice, Probe, now) // seen, not blocked
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Blocked(bob, now)
	}
}

// BenchmarkBlockedMissOthersBlocked: a client never seen while others are
// blocked (the shard lock and map lookup).
func BenchmarkBlockedMissOthersBlocked(b *testing.B) {
	d := New(Config{Threshold: 1, Window: time.Minute, BlockFor: time.Hour})
	now := time.Now()
	d.Note(alice, Probe, now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Blocked(bob, now)
	}
}

func BenchmarkBlockedHit(b *testing.B) {
	d := New(Config{Threshold: 1, Window: time.Minute, BlockFor: time.Hour})
	now := time.Now()
	d.Note(bob, Probe, now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Blocked(bob, now)
	}
}

func BenchmarkNote(b *testing.B) {
	d := New(Config{Threshold: math.MaxInt32, Window: time.Minute})
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Note(alice, Probe, now)
	}
}

// BenchmarkNoteUniqueClients: every Note from a new address; past
// MaxClients each evicts another. Reports the clients tracked and the heap
// per tracked client at the end.
func BenchmarkNoteUniqueClients(b *testing.B) {
	before := heap()
	d := New(Config{Threshold: 10, Window: time.Minute})
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Note(addr(i&(1<<20-1)), Probe, now)
	}
	b.StopTimer()
	var n int
	for i := range d.shards {
		n += len(d.shards[i].clients)
	}
	b.ReportMetric(float64(n), "clients")
	b.ReportMetric(float64(heap()-before)/DefaultMaxClients, "heap-B/client")
	runtime.KeepAlive(d)
}

// TestZones: addresses that differ by their zone alone share a hash and are
// told apart.
func TestZones(t *testing.T) {
	d := New(Config{Threshold: 2, Window: time.Minute, BlockFor: time.Minute, MaxClients: 4})
	eth0, eth1 := netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("fe80::1%eth1")
	plain := netip.MustParseAddr("fe80::1")
	d.Note(eth0, Probe, t0)
	d.Note(eth1, Probe, t0)
	if w := d.Note(eth0, Probe, t0); !w.Started || w.Probes != 2 {
		t.Fatalf("eth0: %+v", w)
	}
	if _, ok := d.Blocked(eth1, t0); ok {
		t.Fatal("eth1 blocked by eth0's wave")
	}
	if _, ok := d.Blocked(plain, t0); ok {
		t.Fatal("fe80::1 blocked by eth0's wave")
	}
	if n := d.check(t); n != 2 {
		t.Fatalf("tracking %d clients", n)
	}
}

// TestIndex drives one shard's index with hashes chosen to collide and to
// wrap around the end of the slots, evicting all along, and checks after
// each step that every client is found from its home slot, that nothing
// else is indexed, and that a full shard evicts exactly one client per new
// one.
func TestIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, capacity := range []int{1, 2, 3, 8, 100} {
		d := New(Config{Threshold: 3, Window: time.Second, BlockFor: time.Second, MaxClients: capacity})
		s := &d.shards[0]
		// hashOf gives each address a fixed hash with few home slots (0 to
		// 3 and the last two) and, for some, the hash of another.
		hashOf := func(i int) uint64 {
			h := uint64(i%4) | uint64(i/8)<<32
			if i%8 >= 4 {
				h |= uint64(slotsFor(capacity) - 1 - i%2)
			}
			return h
		}
		for step := 0; step < 20000; step++ {
			i := rng.Intn(300)
			a, h := addr(i), hashOf(i)
			now := int64(step) * int64(10*time.Millisecond)
			if slot, k := s.find(h, a); k >= 0 {
				s.clients[k].used = rng.Intn(2) == 0
				if rng.Intn(10) == 0 && !s.clients[k].blocked {
					s.clients[k].blocked, s.clients[k].until = true, now+int64(time.Second)
					d.blocked.Add(1)
				}
			} else {
				before := len(s.clients)
				s.add(d, slot, h, a, now)
				if _, k := s.find(h, a); k < 0 {
					t.Fatalf("cap %d step %d: added client not found", capacity, step)
				}
				if len(s.clients) != min(before+1, capacity) {
					t.Fatalf("cap %d step %d: %d clients after %d", capacity, step, len(s.clients), before)
				}
			}
			indexed, blocked := 0, 0
			for _, p := range s.slots {
				if p != 0 {
					indexed++
				}
			}
			if indexed != len(s.clients) || 2*len(s.clients) > len(s.slots) {
				t.Fatalf("cap %d step %d: %d indexed, %d clients, %d slots", capacity, step, indexed, len(s.clients), len(s.slots))
			}
			for j := range s.clients {
				c := &s.clients[j]
				if _, k := s.find(c.hash, c.addr); k != j {
					t.Fatalf("cap %d step %d: client %d found at %d", capacity, step, j, k)
				}
				if c.blocked {
					blocked++
				}
			}
			if int64(blocked) != d.blocked.Load() {
				t.Fatalf("cap %d step %d: %d blocked, %d counted", capacity, step, blocked, d.blocked.Load())
			}
		}
	}
}
