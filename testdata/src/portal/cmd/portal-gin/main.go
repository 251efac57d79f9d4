// Command portal-gin serves the portal with gin, which starts the server
// itself (Engine.RunListener calls http.Serve inside gin's package).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"

	"github.com/gin-gonic/gin"

	"example.com/portal/app"
	"example.com/portal/internal/store"
)

func main() {
	docs := flag.String("docs", ".", "documents directory")
	flag.Parse()
	st, err := store.Open()
	if err != nil {
		log.Fatal(err)
	}
	a := &app.App{Store: st, DocsDir: *docs}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/api/item", gin.WrapF(a.Item))
	r.GET("/api/owner", gin.WrapF(a.Owner))
	r.GET("/api/doc", func(c *gin.Context) { a.Doc(c.Writer, c.Request) })
	r.GET("/api/greet", gin.WrapF(a.Greet))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(r.RunListener(ln))
}
