// Package attackwave detects attack waves: many findings (requests a
// detector flagged) or scanner probes (requests for paths such as /.env or
// /wp-login.php, see IsProbe) from one client address within a window, and
// optionally blocks the client for a while after one.
//
//	d := attackwave.New(attackwave.Config{Threshold: 20, Window: time.Minute, BlockFor: 10 * time.Minute})
//	// on every request:
//	if until, ok := d.Blocked(addr, now); ok {
//		// refuse the request (Retry-After: until − now)
//	}
//	if attackwave.IsProbe(r.URL.Path) {
//		if w := d.Note(addr, attackwave.Probe, now); w.Started {
//			// write one attack-wave event with w.Findings and w.Probes
//		}
//	}
//	// and d.Note(addr, attackwave.Finding, now) for each finding.
//
// The caller passes the time (time.Now() in production, a fake clock in
// tests); nothing in the package reads the clock or sleeps. Times are
// measured from the first one the Detector is given with time.Time.Sub, so
// with time.Now() the monotonic clock is used and a step of the wall clock
// changes nothing.
//
// # Windows and waves
//
// A client's window opens at its first Note, or at its first Note after
// its previous window closed, and lasts Config.Window; its counts of
// findings and probes start at zero with it. The Note that brings the
// window's total (findings plus probes) to Config.Threshold starts a wave:
// its Wave has Started set, once per window, so that the caller writes one
// event. A client that keeps going after its window closes starts a new
// wave in a later window when it reaches the threshold again. A window
// anchored at the client's first Note, rather than on a clock shared by all
// clients, counts a burst from a quiet client whole, whenever it starts.
//
// With Config.BlockFor > 0 a wave blocks the client for BlockFor from the
// Note that started it: Blocked reports it until then. Blocked is what the
// middleware asks on every request, so it is cheap: when no client is
// blocked it is one atomic load, and otherwise a shard lock and a map
// lookup; it never allocates.
//
// # Clients
//
// A client is its IP address as given: an IPv4-mapped IPv6 address is
// taken as the IPv4 address, and the zero (invalid) Addr is ignored (Note
// counts nothing, Blocked reports false) so that requests whose address is
// unknown are never lumped together into one client. The caller chooses
// the granularity: an IPv6 client controls at least a /64, so a caller
// wanting to count it whole passes the address masked to its /64.
//
// # Memory bound
//
// At most Config.MaxClients clients are tracked (DefaultMaxClients, 65,536,
// when 0), whatever addresses arrive: a client's state is a 64-byte record
// and 4-byte slots in an open-addressing index at most half full: 72 bytes
// a client (4.7 MB at 65,536 clients, as TestMemoryBounded measures).
// Records and slots are allocated as clients arrive, by doubling, never
// beyond the bound, and a full Detector allocates nothing more; the index
// is the package's own (linear probing, deletion without tombstones), so
// the bound does not depend on how a Go release's maps grow under churn.
// Only Note adds a client, so a flood of
// requests that are neither findings nor probes costs nothing. The clients
// are spread over up to 64 shards, each with its own lock and a fixed share
// of the bound, so a shard can fill, and start evicting, before MaxClients
// clients are tracked in all.
//
// # Eviction
//
// A client noted at a full shard takes the place of another, chosen by the
// CLOCK algorithm, except that blocked clients are spared: a hand sweeps the
// shard's records, evicting the first client that is not blocked and whose
// window is over (forgetting it loses nothing: its next Note would open a
// new window) or that was not noted since the hand last passed it; one
// noted since then is spared once. A new client enters unnoted, so a flood
// of addresses each seen once mostly evicts its own kind; a client in the
// middle of a wave, noted at least once per turn of the hand (as many new
// clients as its shard holds), is kept.
//
// A faster flood can evict a client that is not blocked: if it comes back
// it starts a new window from zero, so the wave is detected later (fails
// open) but never wrongly. A blocked client is evicted only when every
// client of its shard is blocked, and then it is unblocked: a flood of
// probes from more addresses than a shard holds, each reaching the
// threshold, can lift the oldest blocks early.
//
// A Detector is safe for concurrent use.
package attackwave
