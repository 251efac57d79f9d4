// Command portal-gin serves the portal with gin, which starts the server
// itself (Engine.RunListener calls http.Serve inside gin's package).
package main

import (
	"log"

	"github.com/gin-gonic/gin"

	"example.com/portal/app"
)

func main() {
	a, ln := app.Setup()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/api/item", gin.WrapF(a.Item))
	r.GET("/api/owner", gin.WrapF(a.Owner))
	r.GET("/api/doc", func(c *gin.Context) { a.Doc(c.Writer, c.Request) })
	r.GET("/api/greet", gin.WrapF(a.Greet))
	log.Fatal(r.RunListener(ln))
}
