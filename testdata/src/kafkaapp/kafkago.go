package main

import (
	"context"
	"fmt"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

// consumeKafkaGo is consume written with segmentio/kafka-go: a Reader in a
// consumer group, each message read in turn by ReadMessage (-loop read,
// which commits the offset before the message is handled) or
// FetchMessage then CommitMessages once handled (-loop fetch).
func consumeKafkaGo(brokers, topic, group, loop string, n int, svc *service) error {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        []string{brokers},
		GroupID:        group,
		Topic:          topic,
		StartOffset:    kafka.FirstOffset,
		MaxWait:        200 * time.Millisecond,
		CommitInterval: 0,
	})
	defer r.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for handled := 0; handled < n; handled++ {
		var m kafka.Message
		var err error
		switch loop {
		case "read":
			m, err = r.ReadMessage(ctx)
		case "fetch":
			m, err = r.FetchMessage(ctx)
		default:
			return fmt.Errorf("unknown -loop %q for kafka-go", loop)
		}
		if err != nil {
			return fmt.Errorf("handled %d of %d messages: %w", handled, n, err)
		}
		out, err := svc.handle(ctx, m.Value)
		pos := fmt.Sprintf("%s/%d@%d", m.Topic, m.Partition, m.Offset)
		if err != nil {
			// A refused sink call's error matches rasp.ErrBlocked: this
			// consumer logs it and moves on (the offset is committed).
			fmt.Printf("%s: error: %v\n", pos, err)
		} else {
			fmt.Printf("%s: %s\n", pos, out)
		}
		if loop == "fetch" {
			if err := r.CommitMessages(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}
