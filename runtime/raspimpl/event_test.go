package raspimpl

import (
	"context"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/rasp-instrument/rasp-instrument/runtime/event"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/callsite"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/events"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/eventstest"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/stdhook"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// TestStressFamiliesWhileReloading hits the SQL, command and file hooks and
// the entry points from many goroutines, inside and outside requests, while
// the policy flips between block and allowlist: run it with -race. Every
// call returns; none panics.
func TestStressFamiliesWhileReloading(t *testing.T) {
	eventstest.Discard(t)
	defer events.ResetLimiter()
	old := judge.CurrentPolicy()
	defer func() { judge.PutPolicy(old) }()
	block, _ := judge.CompilePolicy(policy.Policy{Mode: "block"}, "block")
	allow, _ := judge.CompilePolicy(policy.Policy{Mode: "detect", Allow: policy.Allow{Routes: []policy.RouteAllow{{Path: "/*"}}}}, "allow")
	sqlSite := &callsite.Site{Package: "example.com/app", File: "a.go", Line: 1, Sink: "database/sql.(*DB).Query", Family: event.FamilySQL,
		Tmpls: []Tmpl{T(0, false, "SELECT * FROM t WHERE a = '", "'")}}
	fileSite := &callsite.Site{Package: "example.com/app", File: "a.go", Line: 2, Sink: "os.Open", Family: event.FamilyFile,
		Tmpls: []Tmpl{T(0, false, "/srv/", "")}}
	execSite := &callsite.Site{Package: "example.com/app", File: "a.go", Line: 3, Sink: "os/exec.Command", Family: event.FamilyExec,
		Tmpls: []Tmpl{T(2, false, "echo ", "")}}
	req := reqctx.NewRequest("r", "GET", "/x", "127.0.0.1", reqctx.Fixed{{Source: "query", Name: "q", Value: "x' OR '1'='1"}})
	ctx := reqctx.WithRequest(context.Background(), req)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				payload := "plain"
				if i%2 == 0 {
					payload = "x' OR '1'='1"
				}
				judgeDBQuery(ctx, sqlSite, nil, 0, "SELECT * FROM t WHERE a = '"+payload+"'")
				judgeFileArg(fileSite, 0, "/srv/../etc/"+payload)
				judgeCmd(execSite, 0, exec.Command("sh", "-c", "echo "+payload))
				stdhook.EntrySQL(ctx, nil, "SELECT * FROM t WHERE a = '"+payload+"'")
				stdhook.EntryOpen("/srv/"+payload, 0)
			}
		}(g)
	}
	for i := 0; i < 300; i++ {
		if i%2 == 0 {
			judge.PutPolicy(block)
		} else {
			judge.PutPolicy(allow)
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
}
