package attackwave

import (
	"hash/maphash"
	"math"
	"math/bits"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// DefaultMaxClients is the number of clients a Detector tracks when
// Config.MaxClients is 0.
const DefaultMaxClients = 65536

const (
	maxShards   = 64 // a power of two
	minPerShard = 64 // fewer shards below maxShards×minPerShard clients
)

// Kind is what Note counts: a Finding or a Probe.
type Kind uint8

const (
	// Finding is a request in which a detector found an attack.
	Finding Kind = iota
	// Probe is a request for a path scanners look for (see IsProbe).
	Probe
)

// String returns "finding" or "probe".
func (k Kind) String() string {
	if k == Probe {
		return "probe"
	}
	return "finding"
}

// Config configures a Detector.
type Config struct {
	// Threshold is the number of findings and probes, together, from one
	// client within Window that makes a wave. It must be at least 1.
	Threshold int
	// Window is the length of a client's window, which opens at its first
	// Note. It must be positive.
	Window time.Duration
	// BlockFor is how long a client is blocked after a wave starts; 0
	// never blocks. It must not be negative.
	BlockFor time.Duration
	// MaxClients bounds the clients tracked; 0 means DefaultMaxClients.
	MaxClients int
}

// Wave is what Note reports about the client after counting.
type Wave struct {
	// Started is true for the Note that brought the count of the client's
	// window to the threshold: once per window, so the caller writes one
	// attack-wave event.
	Started bool
	// Findings and Probes are the client's counts in its current window,
	// this Note included.
	Findings, Probes int
	// BlockedUntil is when the client's block ends, or the zero Time when
	// it is not blocked. It has the representation of the time given to
	// Note (its location and monotonic reading).
	BlockedUntil time.Time
}

// Detector counts findings and probes per client and detects waves: see the
// package documentation. Its methods are safe for concurrent use. The zero
// Detector is not usable: make one with New.
type Detector struct {
	threshold uint64
	window    int64 // nanoseconds
	blockFor  int64 // nanoseconds, 0: never block
	seed      uint64
	shift     uint // a client's shard is hash >> shift
	blocked   atomic.Int64
	epoch     atomic.Pointer[time.Time]
	shards    []shard
}

// shard is a fixed share of the clients, under its own lock, padded to a
// multiple of 64 bytes so that two shards' locks never share a cache line.
type shard struct {
	shardState
	_ [64 - unsafe.Sizeof(shardState{})%64]byte
}

type shardState struct {
	mu sync.Mutex
	// slots index clients by hash, with open addressing and linear probing
	// from slot hash&(len−1): each holds a position in clients plus one, or
	// 0 when empty. Its length is a power of two, at least twice the
	// number of clients, so probes are short.
	slots   []int32
	clients []record // grows up to cap, then is recycled
	cap     int
	hand    int // CLOCK hand: the next position to consider for eviction
}

// record is the state of one client address.
type record struct {
	hash     uint64 // of addr, under the Detector's seed
	addr     netip.Addr
	start    int64 // when the window opened, in nanoseconds since the epoch
	until    int64 // when the block ends, if blocked
	findings uint32
	probes   uint32
	started  bool // a wave started in the current window
	blocked  bool // until is set, and counted in Detector.blocked
	used     bool // CLOCK's reference bit: noted since the hand last passed
}

// New returns a Detector configured by cfg. It panics when cfg.Threshold is
// below 1 or above math.MaxInt32, cfg.Window is not positive, cfg.BlockFor
// is negative, or cfg.MaxClients is negative or above math.MaxInt32: these
// come from the program's configuration, which its loader checks.
func New(cfg Config) *Detector {
	if cfg.Threshold < 1 || cfg.Threshold > math.MaxInt32 {
		panic("attackwave: Threshold must be between 1 and math.MaxInt32")
	}
	if cfg.Window <= 0 {
		panic("attackwave: Window must be positive")
	}
	if cfg.BlockFor < 0 {
		panic("attackwave: BlockFor must not be negative")
	}
	if cfg.MaxClients < 0 || cfg.MaxClients > math.MaxInt32 {
		panic("attackwave: MaxClients must be between 0 and math.MaxInt32")
	}
	n := cfg.MaxClients
	if n == 0 {
		n = DefaultMaxClients
	}
	shards := maxShards
	for shards > 1 && n < shards*minPerShard {
		shards /= 2
	}
	d := &Detector{
		threshold: uint64(cfg.Threshold),
		window:    int64(cfg.Window),
		blockFor:  int64(cfg.BlockFor),
		seed:      maphash.Bytes(maphash.MakeSeed(), nil) | 1,
		shift:     uint(64 - bits.TrailingZeros(uint(shards))),
		shards:    make([]shard, shards),
	}
	for i := range d.shards {
		c := n / shards
		if i < n%shards {
			c++
		}
		s := &d.shards[i]
		s.cap = c
		s.slots = make([]int32, min(16, slotsFor(c)))
	}
	return d
}

// Note counts one finding or probe (kind; any other Kind counts as a
// Finding) of client at time now, and returns the client's counts in its
// window, whether this Note started a wave, and until when the client is
// blocked. A time earlier than the client's window (callers racing) counts
// in that window. The zero Addr is not counted: Note returns the zero Wave.
//
// Note allocates only while the Detector grows (its records grow by
// doubling up to the bound).
func (d *Detector) Note(client netip.Addr, kind Kind, now time.Time) Wave {
	if !client.IsValid() {
		return Wave{}
	}
	addr := client.Unmap()
	t := d.clock(now)
	h := d.hash(addr)
	s := &d.shards[h>>d.shift] // a shift of 64 gives 0: one shard

	s.mu.Lock()
	var c *record
	if slot, i := s.find(h, addr); i >= 0 {
		c = &s.clients[i]
		c.used = true
		d.expire(c, t)
		if over(c.start, t, d.window) {
			c.start, c.findings, c.probes, c.started = t, 0, 0, false
		}
	} else {
		c = s.add(d, slot, h, addr, t)
	}
	switch {
	case kind == Probe && c.probes < math.MaxInt32:
		c.probes++
	case kind != Probe && c.findings < math.MaxInt32:
		c.findings++
	}
	w := Wave{Findings: int(c.findings), Probes: int(c.probes)}
	if !c.started && uint64(c.findings)+uint64(c.probes) >= d.threshold {
		c.started, w.Started = true, true
		if d.blockFor > 0 {
			if !c.blocked {
				c.blocked = true
				d.blocked.Add(1)
			}
			c.until = t + d.blockFor
			if c.until < t { // saturated Sub near the end of time
				c.until = math.MaxInt64
			}
		}
	}
	if c.blocked {
		w.BlockedUntil = now.Add(time.Duration(sub(c.until, t)))
	}
	s.mu.Unlock()
	return w
}

// Blocked reports whether client is blocked at time now, and until when:
// only when Config.BlockFor > 0 and a wave of the client started less than
// BlockFor before now. until has the representation of now (its location
// and monotonic reading). The zero Addr is never blocked.
//
// Blocked does not allocate. When no block is in force it is a single
// atomic load (a block that is over counts as in force until its client is
// next looked at or evicted; until then Blocked takes the shard's lock and
// looks the client up).
func (d *Detector) Blocked(client netip.Addr, now time.Time) (until time.Time, ok bool) {
	if d.blocked.Load() == 0 || !client.IsValid() {
		return time.Time{}, false
	}
	addr := client.Unmap()
	t := d.clock(now)
	h := d.hash(addr)
	s := &d.shards[h>>d.shift]
	s.mu.Lock()
	_, i := s.find(h, addr)
	if i < 0 {
		s.mu.Unlock()
		return time.Time{}, false
	}
	c := &s.clients[i]
	d.expire(c, t)
	if !c.blocked {
		s.mu.Unlock()
		return time.Time{}, false
	}
	rem := sub(c.until, t)
	s.mu.Unlock()
	return now.Add(time.Duration(rem)), true
}

// expire lifts c's block when it is over at t. The shard's lock is held.
func (d *Detector) expire(c *record, t int64) {
	if c.blocked && t >= c.until {
		c.blocked = false
		d.blocked.Add(-1)
	}
}

// sub returns a − b for a > b, saturated at math.MaxInt64.
func sub(a, b int64) int64 {
	if d := a - b; d > 0 {
		return d
	}
	return math.MaxInt64
}

// over reports whether a window opened at start is over at t.
func over(start, t, window int64) bool {
	return t > start && uint64(t-start) >= uint64(window)
}

// clock returns now in nanoseconds since the first time the Detector was
// given.
func (d *Detector) clock(now time.Time) int64 {
	ep := d.epoch.Load()
	if ep == nil {
		t := now
		d.epoch.CompareAndSwap(nil, &t)
		ep = d.epoch.Load()
	}
	return int64(now.Sub(*ep))
}

// hash returns a seeded hash of addr, which picks its shard (the high
// bits) and its home slot (the low bits). The zone is left out: addresses
// that differ by their zone alone share a home slot, and find tells them
// apart.
func (d *Detector) hash(addr netip.Addr) uint64 {
	b := addr.As16()
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
		uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	return mix(hi ^ mix(lo^d.seed))
}

// mix is the finalizer of SplitMix64: every bit of x affects every bit of
// the result.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// slotsFor returns the number of slots for n clients: the least power of
// two at least 2n.
func slotsFor(n int) int {
	return 1 << bits.Len(uint(2*n-1))
}

// find returns the position in clients of addr, whose hash is hash, or -1
// and the empty slot where it would go. The shard's lock is held.
func (s *shard) find(hash uint64, addr netip.Addr) (slot, i int) {
	mask := len(s.slots) - 1
	for slot = int(hash) & mask; ; slot = (slot + 1) & mask {
		p := s.slots[slot]
		if p == 0 {
			return slot, -1
		}
		if c := &s.clients[p-1]; c.hash == hash && c.addr == addr {
			return slot, int(p - 1)
		}
	}
}

// remove empties the slot of the client at position i, shifting back the
// clients after it in its run so that every client stays reachable from
// its home slot (deletion without tombstones). The shard's lock is held.
func (s *shard) remove(i int) {
	mask := len(s.slots) - 1
	at, _ := s.find(s.clients[i].hash, s.clients[i].addr)
	for j := at; ; {
		s.slots[at] = 0
		for {
			j = (j + 1) & mask
			p := s.slots[j]
			if p == 0 {
				return
			}
			// The client at j moves to at unless its home slot lies
			// cyclically in (at, j].
			home := int(s.clients[p-1].hash) & mask
			if at <= j && (home <= at || home > j) || at > j && home <= at && home > j {
				s.slots[at] = p
				at = j
				break
			}
		}
	}
}

// add starts tracking addr, whose hash is hash, which is not tracked and
// whose probe ends at slot, with a window opening at t, evicting a client
// when the shard is full; it returns the client's record. The shard's lock
// is held.
func (s *shard) add(d *Detector, slot int, hash uint64, addr netip.Addr, t int64) *record {
	var i int
	if n := len(s.clients); n < s.cap {
		if 2*(n+1) > len(s.slots) {
			s.rehash(min(2*len(s.slots), slotsFor(s.cap)))
			slot, _ = s.find(hash, addr)
		}
		if n == cap(s.clients) { // grow by doubling, never beyond s.cap
			grown := make([]record, n, min(max(2*n, 16), s.cap))
			copy(grown, s.clients)
			s.clients = grown
		}
		s.clients = s.clients[:n+1]
		i = n
	} else {
		i = s.victim(d, t)
		if s.clients[i].blocked {
			d.blocked.Add(-1)
		}
		s.remove(i)
		slot, _ = s.find(hash, addr)
	}
	s.slots[slot] = int32(i + 1)
	c := &s.clients[i]
	*c = record{hash: hash, addr: addr, start: t}
	return c
}

// rehash indexes the clients in n slots. The shard's lock is held.
func (s *shard) rehash(n int) {
	s.slots = make([]int32, n)
	for i := range s.clients {
		slot, _ := s.find(s.clients[i].hash, s.clients[i].addr)
		s.slots[slot] = int32(i + 1)
	}
}

// victim returns the position of the client to evict, by CLOCK sparing
// blocked clients: the first from the hand that is not blocked and whose
// window is over or which was not noted since the hand last passed; the
// noted ones passed are marked unnoted. Within two turns every client that
// is not blocked has been marked unnoted; when all are blocked, the one at
// the hand goes.
func (s *shard) victim(d *Detector, t int64) int {
	for n := 0; n < 2*len(s.clients); n++ {
		i := s.advance()
		c := &s.clients[i]
		d.expire(c, t)
		if c.blocked {
			continue
		}
		if !c.used || over(c.start, t, d.window) {
			return i
		}
		c.used = false
	}
	return s.advance()
}

// advance moves the hand on and returns where it was.
func (s *shard) advance() int {
	i := s.hand
	s.hand++
	if s.hand == len(s.clients) {
		s.hand = 0
	}
	return i
}
