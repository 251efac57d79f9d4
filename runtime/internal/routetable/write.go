package routetable

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// writeMu makes the writes of the file one at a time.
var writeMu sync.Mutex

// WriteFile writes the snapshot to the file name as indented JSON,
// atomically: to a temporary file in the same folder, synced, then renamed
// over name, so a reader sees the previous inventory or the new one, whole.
// The file's mode is 0600.
func WriteFile(name string) error {
	writeMu.Lock()
	defer writeMu.Unlock()
	return writeFile(name, Snapshot())
}

func writeFile(name string, inv Inventory) (err error) {
	data, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// StartWriter writes the inventory to the file name every interval (not
// at all when every is not positive), when a request was recorded since
// the last write, and returns stop, which ends the writing and writes the
// file once more, whether or not anything changed. stop may be called
// more than once and from any goroutine (the exit hook); it returns when
// the last write is done. A write that fails is reported on standard
// error ("rasp: RASP_ROUTES: ..."), once until a write succeeds again.
func StartWriter(name string, every time.Duration) (stop func()) {
	w := &writer{name: name, done: make(chan struct{}), finished: make(chan struct{})}
	go w.loop(every)
	var once sync.Once
	return func() {
		once.Do(func() {
			close(w.done)
			<-w.finished
			w.write(true)
		})
	}
}

// writer keeps a file up to date.
type writer struct {
	name     string
	done     chan struct{} // closed by stop
	finished chan struct{} // closed when loop returns
	mu       sync.Mutex
	written  bool   // a write succeeded
	last     uint64 // total() when it did
	failed   bool   // the last write failed, and said so
}

func (w *writer) loop(every time.Duration) {
	defer close(w.finished)
	if every <= 0 {
		<-w.done
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
			w.write(false)
		}
	}
}

// write writes the file, unless nothing changed since the last write and
// force is false.
func (w *writer) write(force bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	writeMu.Lock()
	defer writeMu.Unlock()
	n := total()
	if !force && w.written && n == w.last {
		return
	}
	if err := writeFile(w.name, Snapshot()); err != nil {
		if !w.failed {
			fmt.Fprintf(os.Stderr, "rasp: RASP_ROUTES: %v\n", err)
			w.failed = true
		}
		return
	}
	w.written, w.last, w.failed = true, n, false
}
