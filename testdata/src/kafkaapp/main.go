// Command kafkaapp is a small order-event consumer over Kafka, written
// with franz-go (kgo) the way public consumers are (modelled on the
// consumer of Guizzs26/kafka_log_aggregator, cmd/consumer/main.go: a
// client in a consumer group, a PollFetches loop, each record handled in
// turn), with the mistakes rasp-instrument exists to stop: a SQL query
// built by concatenation from a record's field, and a file path taken from
// a record. Each has a safe twin. It also runs its own Kafka broker,
// franz-go's in-process kfake, on loopback, and produces records.
//
//	kafkaapp broker [-topics T,...]
//	kafkaapp produce -brokers ADDR -topic T [-key K] [-H name=value]... VALUE...
//	kafkaapp consume -brokers ADDR -topic T [-group G] [-client kgo|kafkago] [-loop LOOP] -n N -db FILE -docs DIR
//
// broker prints "listening on ADDR" and serves until it is killed.
// consume handles records until it has handled n, printing one line a
// record ("topic/partition@offset: RESULT", or "...: error: ERR"), then
// commits and exits. A record's value is JSON: {"op":"find","owner":...}
// (vulnerable), {"op":"findsafe","owner":...}, {"op":"doc","name":...}
// (vulnerable), {"op":"docsafe","name":...}. -loop picks how the program
// iterates a poll's records: Fetches.EachRecord, a RecordIter, a range over
// RecordsAll, EachPartition then FetchTopicPartition.EachRecord, or a
// range over the slice Records returns (which the runtime does not see).
// -client kafkago consumes with segmentio/kafka-go's Reader instead, -loop
// read (ReadMessage, which commits each offset before the message is
// handled) or fetch (FetchMessage, then CommitMessages once handled).
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "broker":
		err = broker(os.Args[2:])
	case "produce":
		err = produce(os.Args[2:])
	case "consume":
		err = consume(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kafkaapp:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kafkaapp broker | produce -brokers ADDR -topic T VALUE... | consume -brokers ADDR -topic T -n N -db FILE -docs DIR")
	os.Exit(2)
}
