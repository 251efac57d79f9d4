// Command natsapp is a user directory and report service whose API is NATS,
// not HTTP, with the shape of the NATS-fronted database managers found in
// public repositories (saied74/toychat's dbmgr: a subscriber that runs the
// database request a message carries and answers through the message's
// reply subject), plus a JetStream work queue. It starts its own
// nats-server (embedded, loopback, random port), so its tests need no
// other process.
//
//	natsapp serve -db FILE -files DIR   start the server and the service; prints "listening on nats://..."
//	natsapp call -addr URL [-H K=V]... SUBJECT DATA   a request; the reply's data on stdout, its headers on stderr
//	natsapp job -addr URL DATA [SUBJECT] publish a job (jobs.report, else audit.check) to JetStream
//	natsapp jobs -addr URL -want N      wait until N jobs were handled (the table), print them and the consumer's counts
//
// Subjects (request-reply):
//
//	users.find       {"name": ...}  VULNERABLE: the name is concatenated into SQL (QueueSubscribe)
//	users.find.safe  {"name": ...}  the same, with a parameter
//	files.get        the file name, as text: VULNERABLE: joined to the files directory unchecked (Subscribe)
//	files.get.safe   the same, cleaned and kept under the directory
//	jobs.list        the jobs handled so far
//
// Work queue: jobs.report {"title": ...} on the stream JOBS, consumed with
// the jetstream package's Consume: VULNERABLE: the title goes into a shell
// command. The handler acks every job it handled, failed or not. Audit
// queue: audit.check (a user name) on the stream AUDIT, consumed with the
// legacy js.Subscribe, which acks when the handler returns: VULNERABLE:
// the name is concatenated into SQL.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	_ "modernc.org/sqlite"
)

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal("usage: natsapp serve|call|job|jobs ...")
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "call":
		call(os.Args[2:])
	case "job":
		job(os.Args[2:])
	case "jobs":
		jobs(os.Args[2:])
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}

type app struct {
	db    *sql.DB
	files string
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dbPath := fs.String("db", "natsapp.db", "SQLite database")
	files := fs.String("files", "files", "directory of the files served by files.get")
	fs.Parse(args)

	store, err := os.MkdirTemp("", "natsapp-js")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(store)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: store, NoSigs: true})
	if err != nil {
		log.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		log.Fatal("nats-server not ready")
	}
	defer ns.Shutdown()

	db, err := sql.Open("sqlite", *dbPath)
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`DROP TABLE IF EXISTS users`,
		`CREATE TABLE users (name TEXT, email TEXT, role TEXT)`,
		`INSERT INTO users VALUES ('alice','alice@example.com','user'), ('bob','bob@example.com','user'), ('root','root@example.com','admin')`,
		`DROP TABLE IF EXISTS jobs`,
		`CREATE TABLE jobs (seq INTEGER, delivery INTEGER, result TEXT)`,
	} {
		if _, err := db.Exec(q); err != nil {
			log.Fatal(err)
		}
	}
	a := &app{db: db, files: *files}

	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	must := func(_ *nats.Subscription, err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	must(nc.QueueSubscribe("users.find", "users", a.findUser))
	must(nc.QueueSubscribe("users.find.safe", "users", a.findUserSafe))
	must(nc.Subscribe("files.get", a.getFile))
	must(nc.Subscribe("files.get.safe", a.getFileSafe))
	must(nc.Subscribe("jobs.list", a.listJobs))

	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "JOBS", Subjects: []string{"jobs.report"}}); err != nil {
		log.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, "JOBS", jetstream.ConsumerConfig{
		Durable: "reports", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Second, MaxDeliver: 2,
	})
	if err != nil {
		log.Fatal(err)
	}
	cc, err := cons.Consume(a.report)
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Stop()
	// The audit queue, with the legacy JetStream API: js.Subscribe acks
	// each message when the handler returns.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "AUDIT", Subjects: []string{"audit.check"}}); err != nil {
		log.Fatal(err)
	}
	legacy, err := nc.JetStream()
	if err != nil {
		log.Fatal(err)
	}
	must(legacy.Subscribe("audit.check", a.audit, nats.Durable("audit"), nats.AckWait(time.Second), nats.MaxDeliver(2), nats.DeliverAll()))
	if err := nc.Flush(); err != nil {
		log.Fatal(err)
	}

	fmt.Println("listening on " + ns.ClientURL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

type userQuery struct {
	Name string `json:"name"`
}

// reply answers a request; an error is the reply's text, "error: ...".
func reply(m *nats.Msg, v any, err error) {
	if err != nil {
		log.Printf("%s: %v", m.Subject, err)
		m.Respond([]byte("error: " + err.Error()))
		return
	}
	b, _ := json.Marshal(v)
	m.Respond(b)
}

func (a *app) users(query string, args ...any) ([]string, error) {
	rows, err := a.db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, email string
		if err := rows.Scan(&name, &email); err != nil {
			return nil, err
		}
		out = append(out, name+" "+email)
	}
	return out, rows.Err()
}

func (a *app) findUser(m *nats.Msg) {
	var q userQuery
	if err := json.Unmarshal(m.Data, &q); err != nil {
		reply(m, nil, err)
		return
	}
	users, err := a.users("SELECT name, email FROM users WHERE role = 'user' AND name = '" + q.Name + "'")
	reply(m, users, err)
}

func (a *app) findUserSafe(m *nats.Msg) {
	var q userQuery
	if err := json.Unmarshal(m.Data, &q); err != nil {
		reply(m, nil, err)
		return
	}
	users, err := a.users("SELECT name, email FROM users WHERE role = 'user' AND name = ?", q.Name)
	reply(m, users, err)
}

func (a *app) getFile(m *nats.Msg) {
	b, err := os.ReadFile(a.files + "/" + string(m.Data))
	reply(m, string(b), err)
}

func (a *app) getFileSafe(m *nats.Msg) {
	name := filepath.Join("/", string(m.Data))
	b, err := os.ReadFile(filepath.Join(a.files, name))
	reply(m, string(b), err)
}

func (a *app) listJobs(m *nats.Msg) {
	rows, err := a.db.Query(`SELECT seq, delivery, result FROM jobs ORDER BY rowid`)
	if err != nil {
		reply(m, nil, err)
		return
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var seq, delivery int
		var result string
		rows.Scan(&seq, &delivery, &result)
		out = append(out, fmt.Sprintf("seq=%d delivery=%d %s", seq, delivery, result))
	}
	reply(m, out, rows.Err())
}

// report runs a report job: the title goes into a shell command. The job
// is acked whatever happened, so a failed job is not retried.
func (a *app) report(m jetstream.Msg) {
	md, _ := m.Metadata()
	var job struct {
		Title string `json:"title"`
	}
	var result string
	if err := json.Unmarshal(m.Data(), &job); err != nil {
		result = "error: " + err.Error()
	} else if out, err := exec.Command("sh", "-c", "echo report: "+job.Title).CombinedOutput(); err != nil {
		result = "error: " + err.Error()
	} else {
		result = strings.TrimSpace(string(out))
	}
	var seq, delivery uint64
	if md != nil {
		seq, delivery = md.Sequence.Stream, md.NumDelivered
	}
	// The table records the attempt with a constant query.
	if _, err := a.db.Exec(`INSERT INTO jobs VALUES (?, ?, ?)`, seq, delivery, result); err != nil {
		log.Printf("job %d: %v", seq, err)
	}
	if err := m.Ack(); err != nil {
		log.Printf("job %d: ack: %v", seq, err)
	}
}

// audit counts the users of a name, for the audit queue: VULNERABLE: the
// name is concatenated into SQL. js.Subscribe acks it when it returns.
func (a *app) audit(m *nats.Msg) {
	var n int
	result := ""
	if err := a.db.QueryRow("SELECT count(*) FROM users WHERE name = '" + string(m.Data) + "'").Scan(&n); err != nil {
		result = "audit error: " + err.Error()
	} else {
		result = fmt.Sprintf("audit: %d users", n)
	}
	var seq, delivery uint64
	if md, err := m.Metadata(); err == nil {
		seq, delivery = md.Sequence.Stream, md.NumDelivered
	}
	if _, err := a.db.Exec(`INSERT INTO jobs VALUES (?, ?, ?)`, seq, delivery, result); err != nil {
		log.Printf("audit %d: %v", seq, err)
	}
}

func connect(fs *flag.FlagSet, args []string) *nats.Conn {
	addr := fs.String("addr", "", "the server's URL")
	fs.Parse(args)
	nc, err := nats.Connect(*addr)
	if err != nil {
		log.Fatal(err)
	}
	return nc
}

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ",") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func call(args []string) {
	fs := flag.NewFlagSet("call", flag.ExitOnError)
	var hs headers
	fs.Var(&hs, "H", "a header K=V of the request")
	nc := connect(fs, args)
	defer nc.Close()
	if fs.NArg() != 2 {
		log.Fatal("usage: call -addr URL [-H K=V]... SUBJECT DATA")
	}
	req := nats.NewMsg(fs.Arg(0))
	req.Data = []byte(fs.Arg(1))
	for _, h := range hs {
		k, v, _ := strings.Cut(h, "=")
		req.Header.Add(k, v)
	}
	resp, err := nc.RequestMsg(req, 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			fmt.Fprintf(os.Stderr, "%s: %s\n", k, v)
		}
	}
	fmt.Println(string(resp.Data))
	if resp.Header.Get("Nats-Service-Error") != "" {
		os.Exit(1)
	}
}

func job(args []string) {
	fs := flag.NewFlagSet("job", flag.ExitOnError)
	nc := connect(fs, args)
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	subject := "jobs.report"
	if fs.NArg() > 1 {
		subject = fs.Arg(1)
	}
	ack, err := js.Publish(context.Background(), subject, []byte(fs.Arg(0)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("published seq=%d\n", ack.Sequence)
}

// jobs waits until the table holds want attempts and the consumer has no
// job waiting for its ack, then prints the attempts and the consumer's
// counts.
func jobs(args []string) {
	fs := flag.NewFlagSet("jobs", flag.ExitOnError)
	want := fs.Int("want", 1, "the attempts to wait for")
	nc := connect(fs, args)
	defer nc.Close()
	// ConsumerInfo of the legacy API reads pull and push consumers alike.
	js, err := nc.JetStream()
	if err != nil {
		log.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list []string
		resp, err := nc.Request("jobs.list", nil, 5*time.Second)
		if err == nil {
			json.Unmarshal(resp.Data, &list)
		}
		var infos []*nats.ConsumerInfo
		var cerr error
		for _, sc := range [][2]string{{"JOBS", "reports"}, {"AUDIT", "audit"}} {
			info, err := js.ConsumerInfo(sc[0], sc[1])
			if err != nil {
				cerr = err
				break
			}
			if info.NumAckPending > 0 || info.NumPending > 0 {
				cerr = fmt.Errorf("%s: %d pending, %d waiting for an ack", sc[1], info.NumPending, info.NumAckPending)
				break
			}
			infos = append(infos, info)
		}
		if len(list) >= *want && cerr == nil {
			for _, l := range list {
				fmt.Println(l)
			}
			for _, info := range infos {
				fmt.Printf("consumer %s: delivered=%d redelivered=%d\n", info.Name, info.Delivered.Stream, info.NumRedelivered)
			}
			return
		}
		if time.Now().After(deadline) {
			log.Fatal(errors.Join(fmt.Errorf("timed out: %d attempts, %v", len(list), list), err, cerr))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
