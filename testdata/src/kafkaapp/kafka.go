package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func broker(args []string) error {
	fs := flag.NewFlagSet("broker", flag.ExitOnError)
	topics := fs.String("topics", "orders", "topics to create, comma-separated")
	fs.Parse(args)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, strings.Split(*topics, ",")...), kfake.AllowAutoTopicCreation())
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Println("listening on", c.ListenAddrs()[0])
	select {}
}

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ",") }
func (h *headers) Set(s string) error { *h = append(*h, s); return nil }

func produce(args []string) error {
	fs := flag.NewFlagSet("produce", flag.ExitOnError)
	brokers := fs.String("brokers", "", "seed brokers")
	topic := fs.String("topic", "orders", "topic")
	key := fs.String("key", "", "record key")
	var hs headers
	fs.Var(&hs, "H", "header name=value (repeatable)")
	fs.Parse(args)
	cl, err := kgo.NewClient(kgo.SeedBrokers(*brokers), kgo.DefaultProduceTopic(*topic))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, v := range fs.Args() {
		r := &kgo.Record{Value: []byte(v)}
		if *key != "" {
			r.Key = []byte(*key)
		}
		for _, h := range hs {
			k, val, _ := strings.Cut(h, "=")
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(val)})
		}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			return err
		}
	}
	return nil
}

func consume(args []string) error {
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	brokers := fs.String("brokers", "", "seed brokers")
	topic := fs.String("topic", "orders", "topic")
	group := fs.String("group", "orders-svc", "consumer group")
	client := fs.String("client", "kgo", "kgo (franz-go) or kafkago (segmentio/kafka-go)")
	loop := fs.String("loop", "", "kgo: each (the default), iter, range, partition or slice; kafkago: read (the default) or fetch")
	n := fs.Int("n", 1, "records to handle before exiting")
	dbPath := fs.String("db", "orders.db", "SQLite database")
	docs := fs.String("docs", "docs", "directory of documents")
	fs.Parse(args)

	svc, err := newService(*dbPath, *docs)
	if err != nil {
		return err
	}
	defer svc.db.Close()

	switch *client {
	case "kgo":
		if *loop == "" {
			*loop = "each"
		}
	case "kafkago":
		if *loop == "" {
			*loop = "read"
		}
		return consumeKafkaGo(*brokers, *topic, *group, *loop, *n, svc)
	default:
		return fmt.Errorf("unknown -client %q", *client)
	}

	cl, err := kgo.NewClient(
		kgo.SeedBrokers(*brokers),
		kgo.ConsumerGroup(*group),
		kgo.ConsumeTopics(*topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		return err
	}
	defer cl.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	handled := 0
	handle := func(r *kgo.Record) {
		handled++
		out, err := svc.handle(ctx, r.Value)
		pos := fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset)
		if err != nil {
			// A refused sink call's error matches rasp.ErrBlocked: this
			// consumer logs it and moves on (the offset is committed).
			fmt.Printf("%s: error: %v\n", pos, err)
			return
		}
		fmt.Printf("%s: %s\n", pos, out)
	}
	for handled < *n {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("handled %d of %d records: %w", handled, *n, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return fmt.Errorf("fetch: %v", errs)
		}
		switch *loop {
		case "each":
			fetches.EachRecord(handle)
		case "iter":
			it := fetches.RecordIter()
			for !it.Done() {
				handle(it.Next())
			}
		case "range":
			for r := range fetches.RecordsAll() {
				handle(r)
			}
		case "partition":
			fetches.EachPartition(func(p kgo.FetchTopicPartition) {
				p.EachRecord(handle)
			})
		case "slice":
			// By hand over the slice Records returns: kgo's iteration is
			// not used, and the runtime knows no message.
			for _, r := range fetches.Records() {
				handle(r)
			}
		default:
			return fmt.Errorf("unknown -loop %q", *loop)
		}
	}
	return cl.CommitUncommittedOffsets(ctx)
}
