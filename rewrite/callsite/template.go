package callsite

import (
	"golang.org/x/tools/go/types/typeutil"

	"github.com/rasp-instrument/rasp-instrument/rewrite/spec"

	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"path"
	"strconv"
	"strings"
)

// argTemplate is what the build knows about how one argument of a sink call
// is built: static segments written by the programmer around dynamic holes
// (len(Segs) = holes + 1). A template whose static segments are all empty
// says nothing and is not Known: the call site is opaque for that argument.
type argTemplate struct {
	Arg   int      // index of the argument among the sink's parameters
	Known bool     // the construction is known
	Segs  []string // static text around the holes
	Join  bool     // built by filepath.Join or path.Join: the result was cleaned
	// Num[i] tells that hole i only ever holds a number (or a boolean): a
	// %d or %x verb, strconv.Itoa, a %v of an integer. Such a part cannot
	// carry a quote, a separator or a "..". Nil when no hole does.
	Num []bool
}

// numMask returns Num as a bit mask (bit i: hole i), for the runtime's Tn;
// holes past 64 are never numeric there.
func (t argTemplate) numMask() uint64 {
	var m uint64
	for i, n := range t.Num {
		if n && i < 64 {
			m |= 1 << i
		}
	}
	return m
}

// String renders the template for people: SELECT ... WHERE name='{dyn}'.
func (t argTemplate) String() string {
	if !t.Known {
		return "{opaque}"
	}
	var b strings.Builder
	for i, seg := range t.Segs {
		if i > 0 {
			if i-1 < len(t.Num) && t.Num[i-1] {
				b.WriteString("{num}")
			} else {
				b.WriteString("{dyn}")
			}
		}
		b.WriteString(seg)
	}
	s := b.String()
	if t.Join {
		s = "join(" + s + ")"
	}
	return s
}

// holes is a template under construction: len(num) = len(segs)-1.
type holes struct {
	segs []string
	num  []bool // num[i]: hole i only ever holds a number
	ok   bool
}

func static(s string) holes { return holes{segs: []string{s}, ok: true} }
func hole() holes           { return holes{segs: []string{"", ""}, num: []bool{false}, ok: true} }
func numHole() holes        { return holes{segs: []string{"", ""}, num: []bool{true}, ok: true} }
func opaque() holes         { return holes{} }

func (a holes) cat(b holes) holes {
	if !a.ok || !b.ok {
		return opaque()
	}
	segs := append(append([]string(nil), a.segs[:len(a.segs)-1]...), a.segs[len(a.segs)-1]+b.segs[0])
	num := append(append([]bool(nil), a.num...), b.num...)
	return holes{segs: append(segs, b.segs[1:]...), num: num, ok: true}
}

// isNumeric reports whether t is an integer, float or boolean type, whose
// values print as numbers (or true and false).
func isNumeric(t types.Type) bool {
	if t == nil {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsInteger|types.IsFloat|types.IsBoolean) != 0
}

// inferrer infers templates in one function body.
type inferrer struct {
	info   *types.Info
	body   *ast.BlockStmt // innermost function body around the call; nil at package level
	depth  int
	blocks []*ast.BlockStmt // the blocks of body, listed once by blockList
}

// blockList returns every block of the function body, outermost first.
func (in *inferrer) blockList() []*ast.BlockStmt {
	if in.blocks == nil && in.body != nil {
		ast.Inspect(in.body, func(n ast.Node) bool {
			if b, ok := n.(*ast.BlockStmt); ok {
				in.blocks = append(in.blocks, b)
			}
			return true
		})
	}
	return in.blocks
}

const maxInferDepth = 8

func (in *inferrer) template(arg int, e ast.Expr, use token.Pos) argTemplate {
	h, join := in.infer(e, use)
	t := argTemplate{Arg: arg}
	if !h.ok {
		return t
	}
	for _, s := range h.segs {
		if s != "" {
			t.Known = true
		}
	}
	if t.Known {
		t.Segs, t.Join = h.segs, join
		for _, n := range h.num {
			if n {
				t.Num = h.num
				break
			}
		}
	}
	return t
}

func (in *inferrer) infer(e ast.Expr, use token.Pos) (h holes, join bool) {
	if in.depth > maxInferDepth {
		return opaque(), false
	}
	in.depth++
	defer func() { in.depth-- }()
	if tv, ok := in.info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
		return static(constant.StringVal(tv.Value)), false
	}
	switch e := e.(type) {
	case *ast.ParenExpr:
		return in.infer(e.X, use)
	case *ast.BinaryExpr:
		if e.Op != token.ADD || !isString(in.info.TypeOf(e)) {
			return hole(), false
		}
		x, _ := in.infer(e.X, use)
		y, _ := in.infer(e.Y, use)
		return x.cat(y), false
	case *ast.Ident:
		return in.local(e, use), false
	case *ast.CallExpr:
		fn := typeutil.StaticCallee(in.info, e)
		if fn == nil {
			return hole(), false
		}
		switch spec.KeyOf(fn) {
		case "fmt.Sprintf":
			return in.sprintf(e, use), false
		case "(*strings.Builder).String", "(*bytes.Buffer).String", "strings.(*Builder).String", "bytes.(*Buffer).String":
			return in.builder(e, use), false
		case "strings.Join":
			return in.stringsJoin(e, use), false
		case "path/filepath.Join", "path.Join":
			return in.pathJoin(e, use), true
		case "strconv.Itoa", "strconv.FormatInt", "strconv.FormatUint", "strconv.FormatFloat", "strconv.FormatBool":
			return numHole(), false
		}
	}
	return hole(), false
}

func isString(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

// sprintf reads a constant format: its text is static, every verb a hole.
// Arguments of %s and %v that are constant strings are static too.
func (in *inferrer) sprintf(call *ast.CallExpr, use token.Pos) holes {
	if len(call.Args) == 0 || call.Ellipsis.IsValid() {
		return hole()
	}
	tv, ok := in.info.Types[call.Args[0]]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return hole()
	}
	format := constant.StringVal(tv.Value)
	args := call.Args[1:]
	out := static("")
	var lit strings.Builder
	argNum := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		plain := true
		for i < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[i]) >= 0 {
			if format[i] == '[' {
				j := strings.IndexByte(format[i:], ']')
				if j < 0 {
					return hole()
				}
				n, err := strconv.Atoi(format[i+1 : i+j])
				if err != nil {
					return hole()
				}
				argNum = n - 1
				i += j
			} else {
				plain = false
			}
			i++
		}
		if i >= len(format) {
			return hole()
		}
		verb := format[i]
		out = out.cat(static(lit.String()))
		lit.Reset()
		if plain && (verb == 's' || verb == 'v') && argNum < len(args) {
			if a := in.info.Types[args[argNum]]; a.Value != nil && a.Value.Kind() == constant.String {
				out = out.cat(static(constant.StringVal(a.Value)))
				argNum++
				continue
			}
		}
		if numericVerb(verb, args, argNum, in.info) {
			out = out.cat(numHole())
			argNum++
			continue
		}
		out = out.cat(hole())
		argNum++
	}
	return out.cat(static(lit.String()))
}

// numericVerb reports whether a fmt verb prints only a number (or a
// boolean): %d, %x and the like always do (%x of a string prints hex
// digits), %v of a numeric argument does.
func numericVerb(verb byte, args []ast.Expr, argNum int, info *types.Info) bool {
	switch verb {
	case 'd', 'x', 'X', 'o', 'O', 'b', 'e', 'E', 'f', 'F', 'g', 'G', 't':
		return argNum < len(args) && isNumeric(info.TypeOf(args[argNum])) || verb == 'x' || verb == 'X'
	case 'v':
		// Only a predeclared type: %v of a named one calls its String
		// method, which may print anything.
		if argNum >= len(args) {
			return false
		}
		b, ok := info.TypeOf(args[argNum]).(*types.Basic)
		return ok && isNumeric(b)
	}
	return false
}

// stringsJoin reads strings.Join([]string{...}, sep) with a constant sep.
func (in *inferrer) stringsJoin(call *ast.CallExpr, use token.Pos) holes {
	if len(call.Args) != 2 {
		return hole()
	}
	lit, ok := ast.Unparen(call.Args[0]).(*ast.CompositeLit)
	sep := in.info.Types[call.Args[1]]
	if !ok || sep.Value == nil || sep.Value.Kind() != constant.String {
		return hole()
	}
	out := static("")
	for i, el := range lit.Elts {
		if _, kv := el.(*ast.KeyValueExpr); kv {
			return hole()
		}
		if i > 0 {
			out = out.cat(static(constant.StringVal(sep.Value)))
		}
		h, _ := in.infer(el, use)
		if !h.ok {
			h = hole()
		}
		out = out.cat(h)
	}
	return out
}

// pathJoin reads filepath.Join and path.Join: the leading constant elements
// make the static directory prefix, the rest is dynamic (Join cleans the
// result, so only the prefix is worth knowing).
func (in *inferrer) pathJoin(call *ast.CallExpr, use token.Pos) holes {
	if call.Ellipsis.IsValid() {
		return hole()
	}
	var prefix []string
	for _, a := range call.Args {
		tv := in.info.Types[a]
		if tv.Value == nil || tv.Value.Kind() != constant.String {
			break
		}
		prefix = append(prefix, constant.StringVal(tv.Value))
	}
	if len(prefix) == len(call.Args) {
		return static(path.Join(prefix...))
	}
	if len(prefix) == 0 {
		return hole()
	}
	p := path.Join(prefix...)
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return static(p).cat(hole())
}

// local follows a local variable to the expression that built it: a single
// assignment, or a first assignment followed by += in the same block, all
// before the use. Anything else (a reassignment in a branch or a loop, an
// address taken, a parameter) is opaque.
func (in *inferrer) local(id *ast.Ident, use token.Pos) holes {
	v, ok := in.info.Uses[id].(*types.Var)
	if !ok || in.body == nil || v.Pkg() == nil || v.Parent() == v.Pkg().Scope() {
		return hole()
	}
	type assign struct {
		stmt  ast.Stmt
		rhs   ast.Expr
		op    token.Token
		block *ast.BlockStmt
	}
	var assigns []assign
	escaped := false
	blocks := in.blockList()
	ast.Inspect(in.body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.UnaryExpr:
			if x, ok := ast.Unparen(n.X).(*ast.Ident); ok && n.Op == token.AND && in.obj(x) == v {
				escaped = true
			}
		case *ast.IncDecStmt:
			if x, ok := ast.Unparen(n.X).(*ast.Ident); ok && in.obj(x) == v {
				escaped = true
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if x, ok := e.(*ast.Ident); ok && in.obj(x) == v {
					escaped = true
				}
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				x, ok := ast.Unparen(l).(*ast.Ident)
				if !ok || in.obj(x) != v {
					continue
				}
				if len(n.Lhs) != len(n.Rhs) {
					escaped = true // v, err := f()
					continue
				}
				assigns = append(assigns, assign{stmt: n, rhs: n.Rhs[i], op: n.Tok, block: innermost(blocks, n.Pos())})
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if in.info.Defs[name] == v {
					if len(n.Values) != len(n.Names) {
						if len(n.Values) == 0 {
							assigns = append(assigns, assign{rhs: nil, op: token.DEFINE, block: innermost(blocks, n.Pos())})
						} else {
							escaped = true
						}
						continue
					}
					assigns = append(assigns, assign{rhs: n.Values[i], op: token.DEFINE, block: innermost(blocks, n.Pos())})
				}
			}
		}
		return true
	})
	if escaped || len(assigns) == 0 {
		return hole()
	}
	useBlock := innermost(blocks, use)
	out := opaque()
	for i, a := range assigns {
		if a.stmt != nil && a.stmt.Pos() > use {
			return hole() // assigned after the use: a loop could bring it back
		}
		if i > 0 && (a.op != token.ADD_ASSIGN || a.block != assigns[0].block || a.block != useBlock) {
			return hole()
		}
		if i == 0 {
			if a.op != token.DEFINE && a.op != token.ASSIGN {
				return hole()
			}
			if len(assigns) > 1 && a.block != useBlock {
				return hole()
			}
			if a.rhs == nil {
				out = static("")
				continue
			}
		}
		h, _ := in.infer(a.rhs, use)
		if i == 0 {
			out = h
		} else {
			out = out.cat(h)
		}
	}
	if !out.ok {
		return hole()
	}
	return out
}

func (in *inferrer) obj(id *ast.Ident) types.Object {
	if o := in.info.Uses[id]; o != nil {
		return o
	}
	return in.info.Defs[id]
}

// innermost returns the innermost of blocks (listed outermost first, as
// ast.Inspect visits them) that contains pos.
func innermost(blocks []*ast.BlockStmt, pos token.Pos) *ast.BlockStmt {
	var best *ast.BlockStmt
	for _, b := range blocks {
		if b.Pos() <= pos && pos < b.End() && (best == nil || b.Pos() >= best.Pos()) {
			best = b
		}
	}
	return best
}

// builder reads b.String() of a local strings.Builder or bytes.Buffer
// written in straight-line code: the writes in the block of the use, before
// it (WriteString, WriteByte and WriteRune of any value, fmt.Fprintf with a
// constant format, Reset and Grow). Any other use of b makes it opaque.
func (in *inferrer) builder(call *ast.CallExpr, use token.Pos) holes {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || in.body == nil {
		return hole()
	}
	id, ok := ast.Unparen(sel.X).(*ast.Ident)
	if !ok {
		return hole()
	}
	v, ok := in.info.Uses[id].(*types.Var)
	if !ok || v.Pkg() == nil || v.Parent() == v.Pkg().Scope() {
		return hole()
	}
	if _, isPtr := v.Type().(*types.Pointer); isPtr {
		return hole() // may be shared with other code
	}
	block := innermost(in.blockList(), use)
	if block == nil {
		return hole()
	}
	// Every mention of v must be one of the straight-line statements read
	// below, or the use itself.
	allowed := map[*ast.Ident]bool{id: true}
	out := static("")
	for _, st := range block.List {
		if st.Pos() >= use {
			break
		}
		if ds, ok := st.(*ast.DeclStmt); ok {
			if gd, ok := ds.Decl.(*ast.GenDecl); ok && len(gd.Specs) == 1 {
				if vs, ok := gd.Specs[0].(*ast.ValueSpec); ok && len(vs.Names) == 1 && in.info.Defs[vs.Names[0]] == v && len(vs.Values) == 0 {
					continue
				}
			}
		}
		es, ok := st.(*ast.ExprStmt)
		if !ok {
			continue
		}
		c, ok := es.X.(*ast.CallExpr)
		if !ok {
			continue
		}
		if m, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr); ok {
			if x, ok := ast.Unparen(m.X).(*ast.Ident); ok && in.info.Uses[x] == v {
				allowed[x] = true
				switch m.Sel.Name {
				case "WriteString", "WriteByte", "WriteRune":
					if len(c.Args) != 1 {
						return hole()
					}
					h, _ := in.infer(c.Args[0], use)
					if tv := in.info.Types[c.Args[0]]; tv.Value != nil && tv.Value.Kind() == constant.Int {
						r, _ := constant.Int64Val(tv.Value)
						h = static(string(rune(r)))
					}
					out = out.cat(h)
				case "Reset":
					out = static("")
				case "Grow":
				default:
					out = out.cat(hole())
				}
				continue
			}
		}
		if fn := typeutil.StaticCallee(in.info, c); fn != nil && spec.KeyOf(fn) == "fmt.Fprintf" && len(c.Args) >= 2 {
			if u, ok := c.Args[0].(*ast.UnaryExpr); ok && u.Op == token.AND {
				if x, ok := ast.Unparen(u.X).(*ast.Ident); ok && in.info.Uses[x] == v {
					allowed[x] = true
					fake := &ast.CallExpr{Fun: c.Fun, Args: c.Args[1:], Ellipsis: c.Ellipsis}
					out = out.cat(in.sprintf(fake, use))
				}
			}
		}
	}
	clean := true
	ast.Inspect(in.body, func(n ast.Node) bool {
		if x, ok := n.(*ast.Ident); ok && in.info.Uses[x] == v && !allowed[x] {
			clean = false
		}
		return clean
	})
	if !clean || !out.ok {
		return hole()
	}
	return out
}
