//go:build rasp_decls

// Declarations added to package github.com/twmb/franz-go/pkg/kgo: every
// record a consumer handles through the library's iteration (EachRecord of
// a Fetches, FetchTopic, FetchPartition or FetchTopicPartition; the Go
// iterator RecordsAll; a RecordIter's Next) is a message the runtime knows
// while the program handles it, its key, headers and value (JSON fields by
// path) the inputs of source kafka, its position topic/partition@offset.
// kgo has no error path for a record: a sink call refused while handling
// it returns its error (rasp.ErrBlocked) to the program, which decides.

package kgo

import (
	"iter"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	__rasp_httphook "github.com/rasp-instrument/rasp-instrument/runtime/httphook"
)

// __rasp_message is the message a RecordIter's last Next began (the type
// of its field).
type __rasp_message = __rasp_httphook.Message

// __rasp_begin makes the record the calling goroutine's request; nil in
// mode off.
func __rasp_begin(r *Record) *__rasp_httphook.Message {
	if r == nil {
		return nil
	}
	pos := r.Topic + "/" + strconv.FormatInt(int64(r.Partition), 10) + "@" + strconv.FormatInt(r.Offset, 10)
	return __rasp_httphook.BeginMessage(r.Context, "kafka", pos, "", func() __rasp_httphook.MessageInput {
		var attrs map[string][]string
		if len(r.Headers) > 0 {
			attrs = make(map[string][]string, len(r.Headers))
			for _, h := range r.Headers {
				attrs[h.Key] = append(attrs[h.Key], string(h.Value))
			}
		}
		return __rasp_httphook.MessageInput{Source: "kafka", Key: string(r.Key), Body: r.Value, Attrs: attrs}
	})
}

// __rasp_handle runs fn for the record inside the record's message, ended
// when fn returns or panics. A refusal has no road back through kgo: the
// refused sink call's error went to fn, which handled it.
func __rasp_handle(fn func(*Record), r *Record) {
	if m := __rasp_begin(r); m != nil {
		defer m.End()
	}
	fn(r)
}

// __rasp_each wraps the callback of an EachRecord.
func __rasp_each(fn func(*Record)) func(*Record) {
	if fn == nil || __rasp_own(fn) {
		return fn
	}
	return func(r *Record) { __rasp_handle(fn, r) }
}

// __rasp_own tells a callback of kgo's own (a share group's bookkeeping
// iterates the records it polled) from the program's: kgo's handles no
// message.
func __rasp_own(fn func(*Record)) bool {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	return f != nil && strings.HasPrefix(f.Name(), "github.com/twmb/franz-go/pkg/kgo.")
}

// __rasp_eachRecord is Fetches.EachRecord, in RecordIter's order, with no
// RecordIter (whose Next begins messages of its own).
func __rasp_eachRecord(fs Fetches, fn func(*Record)) {
	if __rasp_own(fn) {
		for _, f := range fs {
			for _, t := range f.Topics {
				for _, p := range t.Partitions {
					for _, r := range p.Records {
						fn(r)
					}
				}
			}
		}
		return
	}
	for fi := range fs {
		for ti := range fs[fi].Topics {
			t := &fs[fi].Topics[ti]
			for pi := range t.Partitions {
				for _, r := range t.Partitions[pi].Records {
					__rasp_handle(fn, r)
				}
			}
		}
	}
}

// __rasp_recordsAll is Fetches.RecordsAll: the loop's body (yield) runs
// inside the record's message.
func __rasp_recordsAll(fs Fetches) iter.Seq[*Record] {
	return func(yield func(*Record) bool) {
		for fi := range fs {
			for ti := range fs[fi].Topics {
				t := &fs[fi].Topics[ti]
				for pi := range t.Partitions {
					for _, r := range t.Partitions[pi].Records {
						if !__rasp_yield(yield, r) {
							return
						}
					}
				}
			}
		}
	}
}

func __rasp_yield(yield func(*Record) bool, r *Record) bool {
	if m := __rasp_begin(r); m != nil {
		defer m.End()
	}
	return yield(r)
}

// __rasp_next is RecordIter's Next: the record returned is the goroutine's
// request until the iterator's next Next, or its Done reporting the end.
func (i *FetchesRecordIter) __rasp_next() *Record {
	i.__rasp_end()
	next := i.fetches[0].Topics[i.ti].Partitions[i.pi].Records[i.ri]
	i.ri++
	i.prepareNext()
	i.__rasp_m = __rasp_begin(next)
	return next
}

// __rasp_end ends the message the iterator's last Next began, if any.
func (i *FetchesRecordIter) __rasp_end() {
	if m := i.__rasp_m; m != nil {
		i.__rasp_m = nil
		m.End()
	}
}
