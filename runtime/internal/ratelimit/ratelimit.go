package ratelimit

import (
	"hash/maphash"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// DefaultMaxKeys is the number of keys a Limiter tracks when New is given
// maxKeys 0.
const DefaultMaxKeys = 65536

// MaxRequests is the largest max New accepts.
const MaxRequests = math.MaxInt32

const (
	maxShards   = 64 // a power of two
	minPerShard = 64 // fewer shards below maxShards×minPerShard keys
)

// Decision is the answer of Allow for one request.
type Decision struct {
	// Allowed reports whether the request is within the limit. An allowed
	// request is counted; a refused one is not.
	Allowed bool
	// RetryAfter is, for a refused request, the exact time from now until
	// a request of the same key would be allowed if none were sent in
	// between. It is positive and at most twice the window (plus, for a
	// time earlier than the key's current window, the time until that
	// window started; and at most the largest Duration). It is zero for an
	// allowed request.
	RetryAfter time.Duration
	// First is true for the first refusal of the key in the current fixed
	// window and false otherwise (always false when Allowed), so that the
	// caller counts a metric and writes an event once per window per key.
	First bool
}

// Limiter limits the rate of requests per key with a sliding window: see
// the package documentation for the approximation, the memory bound and
// eviction. Its methods are safe for concurrent use. The zero Limiter is
// not usable: make one with New.
type Limiter struct {
	max    uint64 // requests allowed per window
	window int64  // nanoseconds
	seed   maphash.Seed
	shift  uint // a hash's shard is hash >> shift
	epoch  atomic.Pointer[time.Time]
	shards []shard
}

// shard is a fixed share of the keys, under its own lock, padded to a
// multiple of 64 bytes so that two shards' locks never share a cache line.
type shard struct {
	shardState
	_ [64 - unsafe.Sizeof(shardState{})%64]byte
}

type shardState struct {
	mu sync.Mutex
	// slots index entries by hash, with open addressing and linear probing
	// from slot hash&(len−1): each holds a position in entries plus one, or
	// 0 when empty. Its length is a power of two, at least twice the
	// number of entries, so probes are short.
	slots   []int32
	entries []entry // grows up to cap, then is recycled
	cap     int
	hand    int // CLOCK hand: the next position to consider for eviction
}

// entry is the state of one key.
type entry struct {
	hash    uint64
	win     int64  // index of the current fixed window since the epoch
	prev    uint32 // requests allowed in window win-1
	cur     uint32 // requests allowed in window win
	refused bool   // a request was refused in window win
	used    bool   // CLOCK's reference bit: used since the hand last passed
}

// New returns a Limiter that allows max requests per key in any window of
// length window (approximately, as the package documentation says) and
// tracks at most maxKeys keys (DefaultMaxKeys when maxKeys is 0).
//
// New panics when max < 1 or max > MaxRequests, window ≤ 0, or maxKeys < 0
// or maxKeys > math.MaxInt32:
// these come from the program's configuration, which its loader checks,
// and a limiter that allows nothing or everything is never what was meant.
func New(max int, window time.Duration, maxKeys int) *Limiter {
	if max < 1 || max > MaxRequests {
		panic("ratelimit: max must be between 1 and MaxRequests")
	}
	if window <= 0 {
		panic("ratelimit: window must be positive")
	}
	if maxKeys < 0 || maxKeys > math.MaxInt32 {
		panic("ratelimit: maxKeys must be between 0 and math.MaxInt32")
	}
	if maxKeys == 0 {
		maxKeys = DefaultMaxKeys
	}
	n := maxShards
	for n > 1 && maxKeys < n*minPerShard {
		n /= 2
	}
	l := &Limiter{
		max:    uint64(max),
		window: int64(window),
		seed:   maphash.MakeSeed(),
		shift:  uint(64 - bits.TrailingZeros(uint(n))),
		shards: make([]shard, n),
	}
	for i := range l.shards {
		c := maxKeys / n
		if i < maxKeys%n {
			c++
		}
		s := &l.shards[i]
		s.cap = c
		s.slots = make([]int32, min(16, slotsFor(c)))
	}
	return l
}

// Allow reports whether a request of key at time now is within the limit,
// and counts it if it is. now is normally time.Now(); times earlier than
// one already seen for the key (callers racing) count in the key's current
// window.
//
// Allow does not allocate for a key already tracked, nor for a new key once
// the Limiter is full (until then, its records grow by doubling). Its cost
// does not depend on the number of keys tracked; it hashes key, so a long
// key costs the time to hash it.
func (l *Limiter) Allow(key string, now time.Time) Decision {
	win, el := l.clock(now)
	h := maphash.String(l.seed, key)
	s := &l.shards[h>>l.shift] // a shift of 64 gives 0: one shard

	s.mu.Lock()
	var e *entry
	if slot, i := s.find(h); i >= 0 {
		e = &s.entries[i]
		e.used = true
	} else {
		e = s.add(slot, h, win)
	}
	var late int64 // how long before the key's window started now is
	switch {
	case win == e.win:
	case win == e.win+1:
		e.prev, e.cur, e.refused, e.win = e.cur, 0, false, win
	case win > e.win+1:
		e.prev, e.cur, e.refused, e.win = 0, 0, false, win
	default: // a time before the key's window: count it at the window's start
		late = math.MaxInt64 // times centuries apart
		if n := e.win - win; n > 0 && n <= math.MaxInt64/l.window {
			late = n*l.window - el
		}
		el = 0
	}
	prev, cur := uint64(e.prev), uint64(e.cur)
	w := uint64(l.window)
	rem := w - uint64(el) // nanoseconds left in the window, > 0

	// Allowed when prev×(1−f) + cur + 1 ≤ max with f = el/w, that is
	// prev×rem + cur×w ≤ (max−1)×w.
	if prev == 0 && cur < l.max || l.within(prev, rem, cur) {
		e.cur++
		s.mu.Unlock()
		return Decision{Allowed: true}
	}
	first := !e.refused
	e.refused = true
	s.mu.Unlock()
	retry := l.retry(prev, cur, el)
	if retry > math.MaxInt64-late {
		retry = math.MaxInt64
	} else {
		retry += late
	}
	return Decision{RetryAfter: time.Duration(retry), First: first}
}

// retry returns the nanoseconds from el until a request would be allowed,
// with prev and cur the counts of a refusal at el.
func (l *Limiter) retry(prev, cur uint64, el int64) int64 {
	w := uint64(l.window)
	if cur < l.max {
		// Within this window: the first e ≥ el with prev×(w−e) ≤ (max−1−cur)×w.
		// prev > 0, and prev×(w−el) > (max−1−cur)×w, so the quotient is
		// below w: Div64 cannot overflow.
		hi, lo := bits.Mul64(l.max-1-cur, w)
		q, _ := bits.Div64(hi, lo, prev)
		return int64(w-q) - el
	}
	// cur = max: in the next window, where prev becomes max and cur 0, the
	// first e with max×(w−e) ≤ (max−1)×w.
	hi, lo := bits.Mul64(l.max-1, w)
	q, _ := bits.Div64(hi, lo, l.max)
	d := w - uint64(el) + (w - q) // up to 2w: may pass math.MaxInt64
	if d > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(d)
}

// within reports whether prev×rem + cur×w ≤ (max−1)×w, in 128 bits: the
// products reach 2⁹⁵.
func (l *Limiter) within(prev, rem, cur uint64) bool {
	w := uint64(l.window)
	h1, l1 := bits.Mul64(prev, rem)
	h2, l2 := bits.Mul64(cur, w)
	lo, c := bits.Add64(l1, l2, 0)
	hi, _ := bits.Add64(h1, h2, c)
	mHi, mLo := bits.Mul64(l.max-1, w)
	return hi < mHi || hi == mHi && lo <= mLo
}

// clock returns the index of now's fixed window and the nanoseconds since
// that window started, measured from the first time the Limiter was given.
func (l *Limiter) clock(now time.Time) (win, el int64) {
	ep := l.epoch.Load()
	if ep == nil {
		t := now
		l.epoch.CompareAndSwap(nil, &t)
		ep = l.epoch.Load()
	}
	d := int64(now.Sub(*ep))
	win, el = d/l.window, d%l.window
	if el < 0 {
		win, el = win-1, el+l.window
	}
	return win, el
}

// slotsFor returns the number of slots for n entries: the least power of
// two at least 2n.
func slotsFor(n int) int {
	return 1 << bits.Len(uint(2*n-1))
}

// find returns the position in entries of hash, or -1 and the empty slot
// where it would go. s.mu is held.
func (s *shard) find(hash uint64) (slot, i int) {
	mask := len(s.slots) - 1
	for slot = int(hash) & mask; ; slot = (slot + 1) & mask {
		p := s.slots[slot]
		if p == 0 {
			return slot, -1
		}
		if s.entries[p-1].hash == hash {
			return slot, int(p - 1)
		}
	}
}

// remove empties the slot of hash, which is indexed, shifting back the
// entries after it in its run so that every entry stays reachable from its
// home slot (deletion without tombstones). s.mu is held.
func (s *shard) remove(hash uint64) {
	mask := len(s.slots) - 1
	i, _ := s.find(hash)
	for j := i; ; {
		s.slots[i] = 0
		for {
			j = (j + 1) & mask
			p := s.slots[j]
			if p == 0 {
				return
			}
			// The entry at j moves to i unless its home slot lies
			// cyclically in (i, j].
			home := int(s.entries[p-1].hash) & mask
			if i <= j && (home <= i || home > j) || i > j && home <= i && home > j {
				s.slots[i] = p
				i = j
				break
			}
		}
	}
}

// add starts tracking hash, which is not indexed and whose probe ends at
// slot, in window win, evicting a key when the shard is full, and returns
// its entry. s.mu is held.
func (s *shard) add(slot int, hash uint64, win int64) *entry {
	var i int
	if n := len(s.entries); n < s.cap {
		if 2*(n+1) > len(s.slots) {
			s.rehash(min(2*len(s.slots), slotsFor(s.cap)))
			slot, _ = s.find(hash)
		}
		if n == cap(s.entries) { // grow by doubling, never beyond s.cap
			grown := make([]entry, n, min(max(2*n, 16), s.cap))
			copy(grown, s.entries)
			s.entries = grown
		}
		s.entries = s.entries[:n+1]
		i = n
	} else {
		i = s.victim(win)
		s.remove(s.entries[i].hash)
		slot, _ = s.find(hash)
	}
	s.slots[slot] = int32(i + 1)
	e := &s.entries[i]
	*e = entry{hash: hash, win: win}
	return e
}

// rehash indexes the entries in n slots. s.mu is held.
func (s *shard) rehash(n int) {
	s.slots = make([]int32, n)
	for i := range s.entries {
		slot, _ := s.find(s.entries[i].hash)
		s.slots[slot] = int32(i + 1)
	}
}

// victim returns the position of the entry to evict, by CLOCK: the first
// from the hand on whose windows are over or which was not used since the
// hand last passed; the used ones passed are marked unused. One turn marks
// every entry unused, so the loop ends within a turn and one entry.
func (s *shard) victim(win int64) int {
	for {
		i := s.hand
		s.hand++
		if s.hand == len(s.entries) {
			s.hand = 0
		}
		e := &s.entries[i]
		if !e.used || e.win+1 < win {
			return i
		}
		e.used = false
	}
}
