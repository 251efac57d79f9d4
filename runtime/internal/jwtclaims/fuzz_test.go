package jwtclaims

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// refWalk reads claims with encoding/json's streaming decoder and returns
// what StringClaims should visit, the subject, whether encoding/json
// takes claims for an object, and how deep they nest.
func refWalk(claims string) (visits []claim, sub string, isObject bool, depth int) {
	dec := json.NewDecoder(strings.NewReader(claims))
	dec.UseNumber()
	walked := 0
	var value func(name string, tok json.Token, level int) error
	value = func(name string, tok json.Token, level int) error {
		if level > depth {
			depth = level
		}
		switch v := tok.(type) {
		case json.Delim:
			for n := 0; dec.More(); n++ {
				child := name + "[" + strconv.Itoa(n) + "]"
				if v == '{' {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					child = k.(string)
					if level > 1 {
						child = name + "." + child
					}
				}
				t, err := dec.Token()
				if err != nil {
					return err
				}
				walked++
				if level == 1 && child == "sub" {
					sub, _ = t.(string)
				}
				if err := value(child, t, level+1); err != nil {
					return err
				}
			}
			_, err := dec.Token() // the closing delimiter
			return err
		case string:
			if walked <= maxClaims {
				visits = append(visits, claim{name, v})
			}
		}
		return nil
	}
	if !json.Valid([]byte(claims)) {
		return nil, "", false, 0
	}
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, "", false, 0
	}
	if err := value("", tok, 1); err != nil {
		panic(err) // json.Valid said it was valid
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		panic(err)
	}
	return visits, sub, true, depth
}

// FuzzClaims checks FromAuthorization and StringClaims against
// encoding/json on arbitrary claims.
func FuzzClaims(f *testing.F) {
	for _, s := range []string{
		`{"sub":"1234567890","name":"John Doe","iat":1516239022}`,
		`{"a":{"b":["c",{"d":"e"}]},"f":[[["g"]]],"":{"":""}}`,
		`{"\u0073ub":"x","k\"ey":"v\\","e":"\ud83d\ude00\ud800"}`,
		`{"a":-0.5e+10,"b":true,"c":null,"d":[],"e":{}}`,
		`[1]`, `{"a":01}`, `{"a":"` + "\x01" + `"}`, `{"a" :1 , "b":2}`,
		`{"sub":"a","sub":2}`, "{\"a\":\"\xff\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, claims string) {
		tok, ok := FromAuthorization("Bearer " + jwt(hs256, claims))
		want, wantSub, isObject, depth := refWalk(claims)
		if len(claims) > maxTokenLen*3/4-64 {
			return // may be over the cap
		}
		if wantOK := isObject && depth <= maxDepth; ok != wantOK {
			t.Fatalf("FromAuthorization(%q) = %v; encoding/json: object %v, depth %d", claims, ok, isObject, depth)
		}
		if !ok || !utf8.ValidString(claims) {
			return // encoding/json replaces invalid UTF-8; StringClaims does not
		}
		if tok.Subject() != wantSub {
			t.Errorf("Subject() = %q, want %q", tok.Subject(), wantSub)
		}
		if got := collect(tok); !reflect.DeepEqual(got, want) {
			t.Errorf("StringClaims(%q):\n got %q\nwant %q", claims, got, want)
		}
	})
}

// FuzzFromAuthorization feeds arbitrary header values: no panic, and a
// token accepted has claims that are an object.
func FuzzFromAuthorization(f *testing.F) {
	for _, s := range []string{
		"", "Bearer e30.e30.", "Basic dXNlcjpwYXNz", "bearer " + jwt(hs256, `{"sub":"x"}`),
		"Bearer " + jwt(`{"alg":"none"}`, `{"a":[1,{"b":"c"}]}`), "Bearer a.b.c", "Bearer ====.====.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := FromAuthorization(h)
		if !ok {
			if tok != (Token{}) {
				t.Errorf("refused header gave a non-zero Token %+v", tok)
			}
			return
		}
		if _, _, isObject, _ := refWalk(tok.payload); !isObject {
			t.Errorf("accepted claims %q are not an object", tok.payload)
		}
		tok.StringClaims(func(string, string) {})
	})
}
