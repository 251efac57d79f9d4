package jwtclaims

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// hs256 is the JOSE header of most tokens in the wild.
const hs256 = `{"alg":"HS256","typ":"JWT"}`

// seg encodes s as a JWT segment: base64url without padding.
func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// jwt builds a compact JWS from a JOSE header and claims given as JSON
// text, with a signature-shaped third segment (it is never checked).
func jwt(header, claims string) string {
	return seg(header) + "." + seg(claims) + "." + seg("not a real signature, 32 bytes.")
}

// jwtOf builds a token whose claims are v marshalled by encoding/json.
func jwtOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return jwt(hs256, string(b))
}

// claim is one call of a StringClaims visit.
type claim struct{ name, value string }

func collect(tok Token) []claim {
	var got []claim
	tok.StringClaims(func(name, value string) { got = append(got, claim{name, value}) })
	return got
}

func TestTypicalToken(t *testing.T) {
	// The shape of jwt.io's example token.
	tok, ok := FromAuthorization("Bearer " + jwt(hs256, `{"sub":"1234567890","name":"John Doe","iat":1516239022}`))
	if !ok {
		t.Fatal("FromAuthorization: not a token")
	}
	if got := tok.Subject(); got != "1234567890" {
		t.Errorf("Subject() = %q, want 1234567890", got)
	}
	want := []claim{{"sub", "1234567890"}, {"name", "John Doe"}}
	if got := collect(tok); !reflect.DeepEqual(got, want) {
		t.Errorf("StringClaims visited %q, want %q", got, want)
	}
}

func TestScheme(t *testing.T) {
	token := jwt(hs256, `{"sub":"alice"}`)
	for _, h := range []string{
		"Bearer " + token,
		"bearer " + token,
		"BEARER " + token,
		"bEaReR " + token,
		"Bearer   " + token,
		"Bearer\t" + token,
		"Bearer " + token + " ",
		"Bearer " + token + "\t ",
	} {
		tok, ok := FromAuthorization(h)
		if !ok || tok.Subject() != "alice" {
			t.Errorf("FromAuthorization(%q) = %q, %v; want alice, true", h, tok.Subject(), ok)
		}
	}
	for _, h := range []string{
		token,                    // no scheme
		"Bearer" + token,         // no space
		"Bearer:" + token,        // not a space
		"Token " + token,         // another scheme
		"Bearerx " + token,       // another scheme
		" Bearer " + token,       // net/http trims the value; a caller that does not is wrong
		"Bearer " + token + "\n", // not OWS
		"Bearer " + token + " x", // two tokens
		"Bearer " + token + "," + token,
	} {
		if tok, ok := FromAuthorization(h); ok {
			t.Errorf("FromAuthorization(%q) = %+v, true; want false", h, tok)
		}
	}
}

func TestNotAToken(t *testing.T) {
	good := jwt(hs256, `{"sub":"alice"}`)
	parts := strings.Split(good, ".")
	for _, h := range []string{
		"",
		"Bearer",
		"Bearer ",
		"Bearer e30.e30",
		"Basic dXNlcjpwYXNzd29yZA==",
		"Basic " + good,
		"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"x\"",
		// Opaque bearer tokens: RFC 6749's example, a GitHub-shaped one,
		// a UUID.
		"Bearer 2YotnFZFEjr1zCsicMWpAA",
		"Bearer ghp_0123456789abcdefghijABCDEFGHIJ012345",
		"Bearer 3fa85f64-5717-4562-b3fc-2c963f66afa6",
		// Dotted, but not base64 JSON.
		"Bearer a.b.c",
		"Bearer abcd.abcd.abcd",
		"Bearer ...",
		"Bearer .e30.",
		"Bearer e30..",
		// Two segments, four, five (JWE).
		"Bearer " + parts[0] + "." + parts[1],
		"Bearer " + good + ".x",
		"Bearer " + parts[0] + ".aaaa.bbbb.cccc.dddd",
		// Standard base64 alphabet, white space or a newline inside.
		"Bearer " + parts[0] + "." + parts[1] + "+/." + parts[2],
		"Bearer " + parts[0] + "." + parts[1][:4] + " " + parts[1][4:] + "." + parts[2],
		"Bearer " + parts[0] + "." + parts[1][:4] + "\n" + parts[1][4:] + "." + parts[2],
		"Bearer " + parts[0] + "." + parts[1] + "." + parts[2] + "+",
		// A segment length no base64 text has.
		"Bearer " + parts[0] + "." + parts[1] + "A." + parts[2],
		// Too much padding, padding inside.
		"Bearer " + parts[0] + "." + parts[1] + "===." + parts[2],
		"Bearer " + parts[0] + "=." + parts[1] + "." + parts[2] + "=x",
		// The header is not JSON, or not an object.
		"Bearer " + seg("alg=HS256") + "." + parts[1] + "." + parts[2],
		"Bearer " + seg(`["HS256"]`) + "." + parts[1] + "." + parts[2],
		"Bearer " + seg(`{"alg":"HS256"`) + "." + parts[1] + "." + parts[2],
	} {
		if tok, ok := FromAuthorization(h); ok {
			t.Errorf("FromAuthorization(%q) = %+v, true; want false", h, tok)
		}
	}
}

func TestPayloadNotAnObject(t *testing.T) {
	for _, claims := range []string{
		`[{"sub":"alice"}]`, `"alice"`, `1234567890`, `true`, `null`, ``, ` `,
		`{"sub":"alice"`, `{"sub":"alice"}}`, `{"sub":"alice"} {}`, `{"sub":"alice"},`,
		`{"sub":'alice'}`, `{sub:"alice"}`, `{"sub":"alice",}`, `{"a":[1,]}`, `{"a":01}`,
		`{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":+1}`, `{"a":-}`, `{"a":tru}`, `{"a":nul}`,
		`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}",
		`{"a":"unterminated}`, `{"a" "b"}`, `{"a":"b" "c":"d"}`, `{"a":["b" "c"]}`,
		`{"a":NaN}`, `{"a":Infinity}`, "\xef\xbb\xbf{}", // a byte order mark is not white space
	} {
		if tok, ok := FromAuthorization("Bearer " + jwt(hs256, claims)); ok {
			t.Errorf("claims %q: got %+v, true; want false", claims, tok)
		}
	}
	// What JSON allows.
	for _, claims := range []string{
		`{}`, ` { } `, "\t\r\n{\"a\" : [ ] , \"b\" : { } }\n", `{"a":-0.5e+10,"b":0,"c":1E-2,"d":-12}`,
		`{"a":true,"b":false,"c":null}`, `{"a":"\"\\\/\b\f\n\r\t\u00e9"}`,
	} {
		if _, ok := FromAuthorization("Bearer " + jwt(hs256, claims)); !ok {
			t.Errorf("claims %q: not a token", claims)
		}
	}
}

func TestAlgNone(t *testing.T) {
	// An unsecured JWT (RFC 7519, section 6): the signature is empty. The
	// claims read the same: nothing here is verified anyway.
	h := "Bearer " + seg(`{"alg":"none"}`) + "." + seg(`{"sub":"mallory","admin":true}`) + "."
	tok, ok := FromAuthorization(h)
	if !ok || tok.Subject() != "mallory" {
		t.Fatalf("FromAuthorization(alg none) = %q, %v; want mallory, true", tok.Subject(), ok)
	}
}

func TestPadding(t *testing.T) {
	pad := func(s string) string {
		for len(s)%4 != 0 {
			s += "="
		}
		return s
	}
	// Claims whose encodings have 0, 1 and 2 bytes of padding.
	for _, claims := range []string{`{"sub":"ab"}`, `{"sub":"abc"}`, `{"sub":"abcd"}`} {
		h, p := seg(hs256), seg(claims)
		for _, v := range []string{
			h + "." + p + ".sig",
			pad(h) + "." + pad(p) + ".sig",
			pad(h) + "." + pad(p) + "." + pad("sig"),
			base64.URLEncoding.EncodeToString([]byte(hs256)) + "." + base64.URLEncoding.EncodeToString([]byte(claims)) + ".",
		} {
			tok, ok := FromAuthorization("Bearer " + v)
			if !ok || tok.Subject() == "" {
				t.Errorf("%q (%s): %q, %v", v, claims, tok.Subject(), ok)
			}
		}
	}
}

func TestNested(t *testing.T) {
	// The shapes of Keycloak's and Auth0's access tokens.
	claims := `{
		"sub": "f:1b2c:alice",
		"exp": 1700000000,
		"email_verified": true,
		"user": {"name": "Alice", "emails": ["a@example.com", "alice@example.org"], "age": 30, "address": {"city": "Paris"}},
		"realm_access": {"roles": ["admin", "offline_access"]},
		"orgs": [{"id": "o1", "name": "Acme"}, {"id": "o2"}],
		"matrix": [["x", 1, "y"], [], [["z"]]],
		"empty": {},
		"nothing": null,
		"https://example.com/tenant": "t1"
	}`
	tok, ok := FromAuthorization("Bearer " + jwt(`{"alg":"RS256","typ":"JWT","kid":"k1"}`, claims))
	if !ok {
		t.Fatal("not a token")
	}
	want := []claim{
		{"sub", "f:1b2c:alice"},
		{"user.name", "Alice"},
		{"user.emails[0]", "a@example.com"},
		{"user.emails[1]", "alice@example.org"},
		{"user.address.city", "Paris"},
		{"realm_access.roles[0]", "admin"},
		{"realm_access.roles[1]", "offline_access"},
		{"orgs[0].id", "o1"},
		{"orgs[0].name", "Acme"},
		{"orgs[1].id", "o2"},
		{"matrix[0][0]", "x"},
		{"matrix[0][2]", "y"},
		{"matrix[2][0][0]", "z"},
		{"https://example.com/tenant", "t1"},
	}
	if got := collect(tok); !reflect.DeepEqual(got, want) {
		t.Errorf("StringClaims:\n got %q\nwant %q", got, want)
	}
}

func TestSubject(t *testing.T) {
	for _, c := range []struct{ claims, want string }{
		{`{"name":"x"}`, ""},
		{`{"sub":42}`, ""},
		{`{"sub":null}`, ""},
		{`{"sub":{"id":"x"}}`, ""},
		{`{"sub":["x"]}`, ""},
		{`{"sub":""}`, ""},
		{`{"Sub":"x","SUB":"y"}`, ""},
		{`{"user":{"sub":"nested"}}`, ""},
		{`{"sub":"first","sub":"last"}`, "last"},
		{`{"sub":"first","sub":1}`, ""},
		{`{"\u0073ub":"escaped name"}`, "escaped name"},
		{`{"sub":"a\"b\\c\u0041"}`, `a"b\cA`},
		{`{"a":{"sub":"no"},"sub":"yes","b":[{"sub":"no"}]}`, "yes"},
	} {
		tok, ok := FromAuthorization("Bearer " + jwt(hs256, c.claims))
		if !ok {
			t.Errorf("%s: not a token", c.claims)
			continue
		}
		if got := tok.Subject(); got != c.want {
			t.Errorf("%s: Subject() = %q, want %q", c.claims, got, c.want)
		}
	}
}

func TestUnicode(t *testing.T) {
	claims := `{"sub":"用户-42","name":"Zoë Ørsted","esc":"Zo\u00eb \u7528\u6237","emoji":"😀 \ud83d\ude00",` +
		`"lone":"\ud800x\udc00","ünï":{"çödé":"ok"},"\u00e9t\u00e9":"summer"}`
	tok, ok := FromAuthorization("Bearer " + jwt(hs256, claims))
	if !ok {
		t.Fatal("not a token")
	}
	if tok.Subject() != "用户-42" {
		t.Errorf("Subject() = %q", tok.Subject())
	}
	want := []claim{
		{"sub", "用户-42"},
		{"name", "Zoë Ørsted"},
		{"esc", "Zoë 用户"},
		{"emoji", "😀 😀"},
		{"lone", "\uFFFDx\uFFFD"},
		{"ünï.çödé", "ok"},
		{"été", "summer"},
	}
	if got := collect(tok); !reflect.DeepEqual(got, want) {
		t.Errorf("StringClaims:\n got %q\nwant %q", got, want)
	}
	// encoding/json reads the escapes the same way.
	var ref map[string]any
	if err := json.Unmarshal([]byte(claims), &ref); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"esc", "emoji", "lone", "été"} {
		for _, c := range want {
			if c.name == k && ref[k] != c.value {
				t.Errorf("%s: encoding/json reads %q, StringClaims %q", k, ref[k], c.value)
			}
		}
	}
}

func TestInjectionShapedClaims(t *testing.T) {
	// What the runtime judges: strings a client chose, whatever they hold.
	tok, ok := FromAuthorization("Bearer " + jwtOf(t, map[string]any{
		"sub":  "1' OR '1'='1",
		"team": map[string]any{"dir": "../../etc/passwd"},
		"cmds": []any{"ls; rm -rf /", 7},
	}))
	if !ok {
		t.Fatal("not a token")
	}
	got := map[string]string{}
	tok.StringClaims(func(n, v string) { got[n] = v })
	want := map[string]string{"sub": "1' OR '1'='1", "team.dir": "../../etc/passwd", "cmds[0]": "ls; rm -rf /"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSizeLimits(t *testing.T) {
	big := func(n int) string {
		return "Bearer " + jwt(hs256, `{"sub":"alice","pad":"`+strings.Repeat("x", n)+`"}`)
	}
	// A token of about 1 MB is refused before it is read.
	if tok, ok := FromAuthorization(big(1 << 20)); ok {
		t.Errorf("1 MB token accepted: %q", tok.Subject())
	}
	// Just under the cap: accepted, though it does not fit the stack buffer.
	h := big(maxTokenLen*3/4 - 200)
	if n := len(h) - len("Bearer "); n > maxTokenLen || n < maxTokenLen-400 {
		t.Fatalf("test token is %d bytes, want just under %d", n, maxTokenLen)
	}
	if tok, ok := FromAuthorization(h); !ok || tok.Subject() != "alice" {
		t.Errorf("token of %d bytes refused", len(h))
	}
	// Just over.
	if _, ok := FromAuthorization(big(maxTokenLen*3/4 + 10)); ok {
		t.Errorf("token over %d bytes accepted", maxTokenLen)
	}
}

func TestDepthLimit(t *testing.T) {
	nest := func(depth int) string {
		// depth levels in all, the claims object included.
		return strings.Repeat(`{"a":`, depth-1) + `{"b":"deep"}` + strings.Repeat("}", depth-1)
	}
	tok, ok := FromAuthorization("Bearer " + jwt(hs256, nest(maxDepth)))
	if !ok {
		t.Fatalf("claims %d deep refused", maxDepth)
	}
	want := strings.Repeat("a.", maxDepth-1) + "b"
	if got := collect(tok); len(got) != 1 || got[0] != (claim{want, "deep"}) {
		t.Errorf("StringClaims = %q, want [%s deep]", got, want)
	}
	if _, ok := FromAuthorization("Bearer " + jwt(hs256, nest(maxDepth+1))); ok {
		t.Errorf("claims %d deep accepted", maxDepth+1)
	}
	// Arrays count as levels too.
	arr := `{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`
	if _, ok := FromAuthorization("Bearer " + jwt(hs256, arr)); ok {
		t.Errorf("arrays %d deep accepted", maxDepth+1)
	}
	// The header too.
	if _, ok := FromAuthorization("Bearer " + jwt(`{"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`, `{}`)); ok {
		t.Errorf("header nested 41 deep accepted")
	}
}

func TestClaimsLimit(t *testing.T) {
	// 300 string claims: the walk stops after 256 values.
	var b strings.Builder
	b.WriteString(`{"sub":"alice"`)
	for i := 1; i < 300; i++ {
		fmt.Fprintf(&b, `,"c%d":"v%d"`, i, i)
	}
	b.WriteString("}")
	tok, ok := FromAuthorization("Bearer " + jwt(hs256, b.String()))
	if !ok {
		t.Fatal("not a token")
	}
	got := collect(tok)
	if len(got) != maxClaims || got[0] != (claim{"sub", "alice"}) || got[maxClaims-1] != (claim{"c255", "v255"}) {
		t.Errorf("visited %d claims (first %v, last %v); want %d", len(got), got[0], got[len(got)-1], maxClaims)
	}
	// Containers and skipped values count: an array of 1000 numbers
	// before the strings leaves nothing to visit.
	b.Reset()
	b.WriteString(`{"n":[0`)
	for i := 1; i < 1000; i++ {
		b.WriteString(",0")
	}
	b.WriteString(`],"s":"late"}`)
	tok, ok = FromAuthorization("Bearer " + jwt(hs256, b.String()))
	if !ok {
		t.Fatal("not a token")
	}
	if got := collect(tok); len(got) != 0 {
		t.Errorf("visited %q after 1000 numbers", got)
	}
	// The subject does not depend on the walk.
	claims := strings.TrimSuffix(b.String(), "}") + `,"sub":"bob"}`
	if tok, ok := FromAuthorization("Bearer " + jwt(hs256, claims)); !ok || tok.Subject() != "bob" {
		t.Errorf("Subject() = %q, %v after 1000 numbers; want bob", tok.Subject(), ok)
	}
}

func TestZeroToken(t *testing.T) {
	var tok Token
	if tok.Subject() != "" {
		t.Error("zero Token has a subject")
	}
	tok.StringClaims(func(n, v string) { t.Errorf("zero Token visited %q=%q", n, v) })
	tok, _ = FromAuthorization("Bearer " + jwt(hs256, `{"sub":"x"}`))
	tok.StringClaims(nil) // no panic
}

func TestNoAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { FromAuthorization("") }); n != 0 {
		t.Errorf(`FromAuthorization("") allocates %v times`, n)
	}
	basic := "Basic dXNlcjpwYXNzd29yZA=="
	if n := testing.AllocsPerRun(100, func() { FromAuthorization(basic) }); n != 0 {
		t.Errorf(`FromAuthorization(Basic) allocates %v times`, n)
	}
	h := "Bearer " + jwt(hs256, `{"sub":"1234567890","name":"John Doe","iat":1516239022}`)
	if n := testing.AllocsPerRun(100, func() { FromAuthorization(h) }); n > 1 {
		t.Errorf("FromAuthorization(typical) allocates %v times, want 1", n)
	}
	tok, _ := FromAuthorization(h)
	if n := testing.AllocsPerRun(100, func() { tok.StringClaims(func(string, string) {}) }); n != 0 {
		t.Errorf("StringClaims(flat claims) allocates %v times, want 0", n)
	}
}

func BenchmarkFromAuthorization(b *testing.B) {
	h := "Bearer " + jwt(hs256, `{"sub":"1234567890","name":"John Doe","iat":1516239022}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(h)))
	for i := 0; i < b.N; i++ {
		tok, ok := FromAuthorization(h)
		if !ok || tok.Subject() == "" {
			b.Fatal("not a token")
		}
	}
}

func BenchmarkNoHeader(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := FromAuthorization(""); ok {
			b.Fatal("empty header read as a token")
		}
	}
}

func BenchmarkStringClaims(b *testing.B) {
	tok, ok := FromAuthorization("Bearer " + jwt(hs256,
		`{"sub":"1234567890","name":"John Doe","iat":1516239022,"realm_access":{"roles":["admin","user"]}}`))
	if !ok {
		b.Fatal("not a token")
	}
	n := 0
	visit := func(name, value string) { n += len(name) + len(value) }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tok.StringClaims(visit)
	}
}
