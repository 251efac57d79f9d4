// Command lambdaapp is an AWS Lambda function on aws-lambda-go, shaped like
// the public examples of the library (wmouton/go-lambda-aws: a typed
// events handler given to lambda.Start), with an orders database in
// SQLite. LAMBDA_HANDLER picks the handler: "api" serves API Gateway REST
// (v1) proxy events, "sqs" handles SQS events. Each has a vulnerable and a
// safe twin of every operation: this is a test program for rasp-instrument.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	_ "modernc.org/sqlite"
)

var (
	db   *sql.DB
	docs string
)

func main() {
	var err error
	db, err = sql.Open("sqlite", os.Getenv("ORDERS_DB"))
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS orders (owner TEXT, item TEXT)`,
		`DELETE FROM orders`,
		`INSERT INTO orders VALUES ('alice','apple'),('bob','banana'),('carol','cherry')`,
	} {
		if _, err := db.Exec(q); err != nil {
			log.Fatal(err)
		}
	}
	docs = os.Getenv("DOCS_DIR")
	switch os.Getenv("LAMBDA_HANDLER") {
	case "sqs":
		lambda.Start(handleSQS)
	default:
		lambda.StartWithOptions(handleAPI, lambda.WithContext(context.Background()))
	}
}

func reply(status int, body string) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{StatusCode: status, Body: body, Headers: map[string]string{"Content-Type": "text/plain"}}
}

// handleAPI serves the routes of a REST API.
func handleAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	switch req.Path {
	case "/orders":
		// Vulnerable: the owner is spliced into the query.
		return listOrders(ctx, "SELECT item FROM orders WHERE owner = '"+req.QueryStringParameters["owner"]+"'")
	case "/orders-safe":
		return listOrders(ctx, "SELECT item FROM orders WHERE owner = ?", req.QueryStringParameters["owner"])
	case "/docs":
		// Vulnerable: the name may climb out of the docs directory.
		b, err := os.ReadFile(filepath.Join(docs, req.QueryStringParameters["name"]))
		if err != nil {
			return reply(404, "no such doc\n"), nil
		}
		return reply(200, string(b)), nil
	case "/docs-safe":
		b, err := os.ReadFile(filepath.Join(docs, filepath.Base(req.QueryStringParameters["name"])))
		if err != nil {
			return reply(404, "no such doc\n"), nil
		}
		return reply(200, string(b)), nil
	}
	return reply(404, "not found\n"), nil
}

func listOrders(ctx context.Context, query string, args ...any) (events.APIGatewayProxyResponse, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return reply(500, "query failed: "+err.Error()+"\n"), nil
	}
	defer rows.Close()
	var items []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		items = append(items, s)
	}
	return reply(200, "items: "+strings.Join(items, ",")+"\n"), nil
}

// report is the body of an SQS message.
type report struct {
	Action string `json:"action"`
	Owner  string `json:"owner"`
	Label  string `json:"label"`
}

// handleSQS handles each record of a batch; an error makes SQS deliver the
// batch again (or dead-letter it).
func handleSQS(ctx context.Context, ev events.SQSEvent) error {
	lc, _ := lambdacontext.FromContext(ctx)
	for _, rec := range ev.Records {
		var r report
		if err := json.Unmarshal([]byte(rec.Body), &r); err != nil {
			return err
		}
		switch r.Action {
		case "count":
			// Vulnerable.
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM orders WHERE owner = '"+r.Owner+"'").Scan(&n); err != nil {
				return fmt.Errorf("count: %w", err)
			}
			log.Printf("request %s: %d orders of %s", lc.AwsRequestID, n, r.Owner)
		case "count-safe":
			var n int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM orders WHERE owner = ?", r.Owner).Scan(&n); err != nil {
				return fmt.Errorf("count: %w", err)
			}
			log.Printf("request %s: %d orders of %s", lc.AwsRequestID, n, r.Owner)
		case "label":
			// Vulnerable: the label goes through a shell.
			out, err := exec.CommandContext(ctx, "sh", "-c", "echo label: "+r.Label).CombinedOutput()
			if err != nil {
				return fmt.Errorf("label: %w", err)
			}
			log.Printf("request %s: %s", lc.AwsRequestID, strings.TrimSpace(string(out)))
		}
	}
	return nil
}
