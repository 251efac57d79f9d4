// Command webshell is the web shell of a small web file manager, in the
// shape of the public Go ones: a terminal page sends command lines over a
// WebSocket, the server splits each line into words and runs it in the
// user's folder, streaming the output back; the file view reads a file of
// that folder. One endpoint per WebSocket library:
//
//	/shell  github.com/gorilla/websocket: a line as text, or {"cmd": line}
//	/term   github.com/coder/websocket: {"cmd": line} (wsjson)
//	/run    golang.org/x/net/websocket: a line as text (Message)
//	/job    golang.org/x/net/websocket: {"cmd": line} (JSON)
//	/tty    golang.org/x/net/websocket: lines read from the connection as
//	        a stream (a terminal's input)
//	/view   github.com/gorilla/websocket: {"path": name}, the file's content
//
// Only the programs of the user's command list (-allow) run, each by the
// name the server knows it by. After each command the server sends the
// prompt "$ ". It trusts the arguments of the line: the test script
// exploits them.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	coder "github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/gorilla/websocket"
	xws "golang.org/x/net/websocket"
)

const prompt = "$ "

var (
	root    string
	allowed []string
)

// command is what the terminal page sends as JSON.
type command struct {
	Cmd string `json:"cmd"`
}

// programs are the programs a user's command list may name.
var programs = map[string]string{"ls": "ls", "cat": "cat", "echo": "echo", "pwd": "pwd", "wc": "wc"}

// run runs a command line in the user's folder and returns its output, or
// the error the terminal shows.
func run(line string) string {
	words := strings.Fields(line)
	if len(words) == 0 {
		return ""
	}
	prog, ok := programs[words[0]]
	if !ok || !slices.Contains(allowed, words[0]) {
		return "error: command not allowed: " + words[0] + "\n"
	}
	cmd := exec.Command(prog, words[1:]...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out) + "error: " + err.Error() + "\n"
	}
	return string(out)
}

// lineOf returns the command line of a message: its "cmd" field when it
// is JSON, else the text.
func lineOf(msg []byte) string {
	if len(msg) > 0 && msg[0] == '{' {
		var c command
		if err := json.Unmarshal(msg, &c); err == nil {
			return c.Cmd
		}
	}
	return string(msg)
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func shell(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if out := run(lineOf(msg)); out != "" {
			if conn.WriteMessage(websocket.TextMessage, []byte(out)) != nil {
				return
			}
		}
		if conn.WriteMessage(websocket.TextMessage, []byte(prompt)) != nil {
			return
		}
	}
}

func term(w http.ResponseWriter, r *http.Request) {
	conn, err := coder.Accept(w, r, &coder.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := context.Background()
	for {
		var c command
		if err := wsjson.Read(ctx, conn, &c); err != nil {
			return
		}
		if out := run(c.Cmd); out != "" {
			if conn.Write(ctx, coder.MessageText, []byte(out)) != nil {
				return
			}
		}
		if conn.Write(ctx, coder.MessageText, []byte(prompt)) != nil {
			return
		}
	}
}

func runWS(conn *xws.Conn) {
	defer conn.Close()
	for {
		var line string
		if err := xws.Message.Receive(conn, &line); err != nil {
			return
		}
		if out := run(line); out != "" {
			if xws.Message.Send(conn, out) != nil {
				return
			}
		}
		if xws.Message.Send(conn, prompt) != nil {
			return
		}
	}
}

func job(conn *xws.Conn) {
	defer conn.Close()
	for {
		var c command
		if err := xws.JSON.Receive(conn, &c); err != nil {
			return
		}
		if out := run(c.Cmd); out != "" {
			if xws.Message.Send(conn, out) != nil {
				return
			}
		}
		if xws.Message.Send(conn, prompt) != nil {
			return
		}
	}
}

func tty(conn *xws.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if out := run(sc.Text()); out != "" {
			if xws.Message.Send(conn, out) != nil {
				return
			}
		}
		if xws.Message.Send(conn, prompt) != nil {
			return
		}
	}
}

func view(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	for {
		var req struct {
			Path string `json:"path"`
		}
		if err := conn.ReadJSON(&req); err != nil {
			return
		}
		b, err := os.ReadFile(filepath.Join(root, req.Path))
		if err != nil {
			b = []byte("error: " + err.Error() + "\n")
		}
		if conn.WriteMessage(websocket.TextMessage, b) != nil {
			return
		}
		if conn.WriteMessage(websocket.TextMessage, []byte(prompt)) != nil {
			return
		}
	}
}

func main() {
	dir := flag.String("root", ".", "the user's folder")
	allow := flag.String("allow", "ls,cat,echo", "the user's command list, comma-separated")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	root, allowed = *dir, strings.Split(*allow, ",")

	mux := http.NewServeMux()
	mux.HandleFunc("/shell", shell)
	mux.HandleFunc("/term", term)
	mux.Handle("/run", xws.Server{Handler: runWS})
	mux.Handle("/job", xws.Server{Handler: job})
	mux.Handle("/tty", xws.Server{Handler: tty})
	mux.HandleFunc("/view", view)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
