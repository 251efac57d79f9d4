package events

import (
	"strconv"
	"testing"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/metrics"
)

// limiterAt gives the test an empty rate limiter whose clock reads *now
// (see FakeClock), until the test ends.
func limiterAt(t *testing.T, now *time.Time) (timers *[]func(), delays *[]time.Duration) {
	t.Helper()
	timers, delays, restore := FakeClock(func() time.Time { return *now })
	t.Cleanup(restore)
	return timers, delays
}

func TestRateLimit(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	now := t0
	timers, delays := limiterAt(t, &now)
	key := limitKey{"rule", "site", "blocked"}
	for i := 0; i < Burst; i++ {
		if ok, closed := admit(key, t0); !ok || closed != nil {
			t.Fatalf("event %d: ok %v, closed %v", i, ok, closed)
		}
	}
	for i := 0; i < 5; i++ {
		if ok, closed := admit(key, t0.Add(time.Second)); ok || closed != nil {
			t.Fatalf("event over the burst: ok %v, closed %v", ok, closed)
		}
	}
	if ok, _ := admit(limitKey{"other", "site", "blocked"}, t0.Add(time.Second)); !ok {
		t.Errorf("another key was limited")
	}
	if len(*timers) != 1 || (*delays)[0] != 59*time.Second {
		t.Errorf("timers armed with delays %v, want one of 59s (to the window's end)", *delays)
	}
	// An event of the window does not close it.
	if ok, closed := admit(limitKey{"third", "site", "blocked"}, t0.Add(Window-time.Nanosecond)); !ok || closed != nil {
		t.Errorf("event in the window: ok %v, closed %v", ok, closed)
	}
	limiter.Lock()
	first := limiter.gen
	limiter.Unlock()
	ok, closed := admit(key, t0.Add(61*time.Second))
	want := []suppression{{key: key, n: 5, start: t0, end: t0.Add(Window)}}
	if !ok || !equalSuppressions(closed, want) {
		t.Errorf("next window: ok %v, closed %+v, want %+v", ok, closed, want)
	}
	// The first window's timer finds it closed.
	if got := expireWindow(first); got != nil {
		t.Errorf("the closed window's timer summarised %+v", got)
	}
	if got := closeWindow(t0.Add(62 * time.Second)); got != nil {
		t.Errorf("a window without suppressions summarised %+v", got)
	}
}

func equalSuppressions(a, b []suppression) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].key != b[i].key || a[i].n != b[i].n || !a[i].start.Equal(b[i].start) || !a[i].end.Equal(b[i].end) {
			return false
		}
	}
	return true
}

// A window holding too many keys closes early, at the event that would add
// one more, and summarises what it suppressed until then.
func TestRateLimitKeyCap(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	now := t0
	limiterAt(t, &now)
	key := limitKey{"rule", "site", "detected"}
	for i := 0; i < Burst+2; i++ {
		admit(key, t0)
	}
	for i := 1; i < maxLimitKeys; i++ {
		if ok, closed := admit(limitKey{"rule", "site" + strconv.Itoa(i), "detected"}, t0); !ok || closed != nil {
			t.Fatalf("key %d: ok %v, closed %v", i, ok, closed)
		}
	}
	at := t0.Add(10 * time.Second)
	ok, closed := admit(limitKey{"rule", "one too many", "detected"}, at)
	if want := []suppression{{key: key, n: 2, start: t0, end: at}}; !ok || !equalSuppressions(closed, want) {
		t.Errorf("ok %v, closed %+v, want %+v", ok, closed, want)
	}
	if ok, _ := admit(key, at); !ok {
		t.Errorf("the key was still limited in the new window")
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	eventQueue.start.Do(func() {}) // no writer goroutine: nothing drains the queue
	old := eventQueue.queue
	eventQueue.queue = make(chan []byte, 2)
	defer func() { eventQueue.queue = old }()
	before := Dropped()
	for i := 0; i < 5; i++ {
		if _, err := (queueWriter{}).Write([]byte("{}\n")); err != nil {
			t.Fatal(err)
		}
	}
	if got := Dropped() - before; got != 3 {
		t.Errorf("dropped %d, want 3", got)
	}
	if metrics.Value(true, "rasp_events_dropped_total") < 3 {
		t.Errorf("rasp_events_dropped_total = %v", metrics.Value(true, "rasp_events_dropped_total"))
	}
}
