package raspimpl

import (
	"context"
	"os/exec"
	"sync"
	"unsafe"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// judgedCmds remembers the commands already judged where they were built, so
// that starting them does not judge (and report) them twice. Entries leave
// when the command starts; the map is bounded.
var judgedCmds struct {
	sync.Mutex
	cmds map[*exec.Cmd]struct{}
}

const maxJudgedCmds = 4096

func noteCmdJudged(c *exec.Cmd) {
	judgedCmds.Lock()
	if judgedCmds.cmds == nil || len(judgedCmds.cmds) >= maxJudgedCmds {
		judgedCmds.cmds = make(map[*exec.Cmd]struct{})
	}
	judgedCmds.cmds[c] = struct{}{}
	judgedCmds.Unlock()
}

func takeCmdJudged(c *exec.Cmd) bool {
	judgedCmds.Lock()
	_, ok := judgedCmds.cmds[c]
	delete(judgedCmds.cmds, c)
	judgedCmds.Unlock()
	return ok
}

// judgeCmd judges c; argv[i] was the sink's parameter off+i (off < 0: the
// argv did not come from the call's arguments).
func judgeCmd(site *Site, off int, c *exec.Cmd) error {
	if c == nil {
		return nil
	}
	argv := c.Args
	if len(argv) == 0 {
		argv = []string{c.Path}
	}
	req := reqctx.CurrentRequest(nil)
	err := judge.JudgeCall(site, req, func() (judge.Finding, bool) { return detect.CheckCommand(site, off, argv, req) })
	if err == nil {
		reqctx.MarkEntryJudged(unsafe.Pointer(unsafe.SliceData(argv))) // for os.StartProcess
	}
	return err
}

// ExecCommand is the hook for exec.Command. A command judged an attack in
// block mode is returned with its Err set, so Start, Run, Output and
// CombinedOutput fail with the blocked error.
func ExecCommand(site *Site, name string, arg ...string) *exec.Cmd {
	c := exec.Command(name, arg...)
	guardCmd(site, 0, c)
	return c
}

// ExecCommandContext is the hook for exec.CommandContext.
func ExecCommandContext(site *Site, ctx context.Context, name string, arg ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, name, arg...)
	guardCmd(site, 1, c)
	return c
}

func guardCmd(site *Site, off int, c *exec.Cmd) {
	if judge.CurrentMode() == policy.ModeOff {
		return
	}
	if err := judgeCmd(site, off, c); err != nil {
		c.Err = err
		return
	}
	noteCmdJudged(c)
}

// judgeBeforeStart judges a command about to start, unless it was judged where it
// was built.
func judgeBeforeStart(site *Site, c *exec.Cmd) error {
	if takeCmdJudged(c) || c.Err != nil {
		return nil
	}
	return judgeCmd(site, -1<<20, c)
}

// CmdStart is the hook for (*exec.Cmd).Start; it also catches commands built
// as struct literals.
func CmdStart(site *Site, c *exec.Cmd) error {
	if err := judgeBeforeStart(site, c); err != nil {
		return err
	}
	return c.Start()
}

// CmdRun is the hook for (*exec.Cmd).Run.
func CmdRun(site *Site, c *exec.Cmd) error {
	if err := judgeBeforeStart(site, c); err != nil {
		return err
	}
	return c.Run()
}

// CmdOutput is the hook for (*exec.Cmd).Output.
func CmdOutput(site *Site, c *exec.Cmd) ([]byte, error) {
	if err := judgeBeforeStart(site, c); err != nil {
		return nil, err
	}
	return c.Output()
}

// CmdCombinedOutput is the hook for (*exec.Cmd).CombinedOutput.
func CmdCombinedOutput(site *Site, c *exec.Cmd) ([]byte, error) {
	if err := judgeBeforeStart(site, c); err != nil {
		return nil, err
	}
	return c.CombinedOutput()
}
