module example.com/webshell

go 1.26.0

require (
	github.com/coder/websocket v1.8.14
	github.com/gorilla/websocket v1.5.3
	golang.org/x/net v0.62.0
)
