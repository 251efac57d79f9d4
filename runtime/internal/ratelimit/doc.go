// Package ratelimit limits the rate of requests per key (a client address, a
// user ID, a route and client pair): at most max requests of a key within
// any window of a given length, approximately (see Accuracy).
//
//	l := ratelimit.New(100, time.Minute, 0) // 100 per minute per key
//	if d := l.Allow(key, time.Now()); !d.Allowed {
//		if d.First {
//			// first refusal of key in this window: one metric, one event
//		}
//		// answer 429 with Retry-After: ceil(d.RetryAfter in seconds)
//	}
//
// The caller passes the time (time.Now() in production, a fake clock in
// tests); nothing in the package reads the clock or sleeps. Windows are
// aligned on the time of the first call to Allow; later times are measured
// from it with time.Time.Sub, so with time.Now() the monotonic clock is used
// and a step of the wall clock changes nothing.
//
// # Sliding window
//
// The sliding window is approximated from two fixed windows, the current
// one and the one before it: a request at fraction f of the current window
// (0 ≤ f < 1) is allowed when
//
//	previous × (1 − f) + current + 1 ≤ max
//
// where previous and current are the requests allowed in the two windows.
// The comparison is exact (integer nanoseconds, 128-bit products). Refused
// requests are not counted, so a client that keeps trying gets through again
// as soon as its rate falls, and current never exceeds max.
//
// # Accuracy
//
// The estimate assumes the previous window's requests were spread evenly
// over it, which holds for a client at a steady rate. Otherwise:
//
//   - at most max requests of a key are allowed in each fixed window, so at
//     most 2×max in any interval of length window; the worst case, close to
//     2×max, needs the previous window's max requests bunched at its very
//     end, after which the current window lets requests through at the rate
//     max/window;
//   - a key may be refused although fewer than max of its requests fall in
//     the last window, when the previous window's requests were bunched at
//     its start: the estimate still counts previous×(1−f) of them, an error
//     that vanishes at the end of the current window.
//
// # RetryAfter
//
// A refusal carries the exact time until the key's next request would be
// allowed if it sent nothing in between: within the current window when
// the previous window's weight decays enough, otherwise in the next window.
// It is always positive and at most 2×window (max = 1 is the worst case: a
// request allowed in one window blocks the key until the window after the
// next starts). Rounding it up to whole seconds for a Retry-After header is
// the caller's job.
//
// # Memory bound
//
// At most maxKeys keys are tracked (DefaultMaxKeys, 65,536, when New is
// given 0), whatever keys arrive. The state of a key is a 32-byte record
// and 4-byte slots in an open-addressing index at most half full: 40 bytes
// a key (2.6 MB at 65,536 keys, as TestMemoryBounded measures). Records and
// slots are allocated as keys arrive, by doubling, never beyond the bound,
// and a full Limiter allocates nothing more; the index is the package's own
// (linear probing, deletion without tombstones), so the bound does not
// depend on how a Go release's maps grow under churn.
//
// Keys are not retained: a key is reduced to a 64-bit hash under a seed
// drawn at random for each Limiter, so a long key costs the time to hash it
// and no memory. Two keys whose hashes are equal share a counter
// (probability about n²/2⁶⁵ for n tracked keys, 10⁻¹⁰ at 65,536; the seed
// is not known outside the process, so a collision cannot be aimed at).
//
// The keys are spread over up to 64 shards by their hash, each with its own
// lock and a fixed share of maxKeys (fewer shards when maxKeys is below
// 4,096), so a shard can fill, and start evicting, before maxKeys keys are
// tracked in all.
//
// # Eviction
//
// A key that arrives at a full shard takes the place of another, chosen by
// the CLOCK algorithm: a hand sweeps the shard's records, evicting the first
// one whose two windows are over (its counts are zero: forgetting it loses
// nothing) or that was not used since the hand last passed it; a record used
// since then is spared once. A new key enters unused, so a flood of keys
// each seen once (spoofed addresses, random user IDs) mostly evicts its own
// kind, and a key in use, in particular one being refused because it keeps
// sending, survives as long as it sends at least once per turn of the hand:
// a turn takes as many new keys as the shard holds, about maxKeys new keys
// over all shards.
//
// A flood of new keys faster than that can evict any key. An evicted key
// that comes back starts afresh with zero counts: the limit fails open for
// it, which gets a fresh allowance of max requests (and a new First). No key
// is ever refused because of another's eviction.
//
// A Limiter is safe for concurrent use. Allow does not allocate for a key
// already tracked, nor for a new key once the Limiter is full.
package ratelimit
