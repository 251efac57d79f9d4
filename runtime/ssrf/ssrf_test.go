package ssrf

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/internal/corpustest"
)

// forms is the table of SSRF address forms: each must be found when the
// host is dynamic.
var forms = []struct {
	target string
	rule   string
}{
	{"http://127.0.0.1/", RuleInternal},
	{"http://127.1/", RuleInternal},
	{"http://127.0.1/", RuleInternal},
	{"http://2130706433/", RuleInternal},
	{"http://0177.0.0.1/", RuleInternal},
	{"http://0x7f.1/", RuleInternal},
	{"http://0x7f000001/", RuleInternal},
	{"http://017700000001/", RuleInternal},
	{"http://127.000.000.001/", RuleInternal},
	{"http://[::1]/", RuleInternal},
	{"http://[::]/", RuleInternal},
	{"http://[0:0:0:0:0:0:0:1]/", RuleInternal},
	{"http://[::ffff:127.0.0.1]/", RuleInternal},
	{"http://[::ffff:7f00:1]/", RuleInternal},
	{"http://[::127.0.0.1]/", RuleInternal},
	{"http://[64:ff9b::7f00:1]/", RuleInternal},
	{"http://[2002:7f00:1::]/", RuleInternal},
	{"http://[fe80::1%25eth0]/", RuleInternal},
	{"http://0.0.0.0/", RuleInternal},
	{"http://0/", RuleInternal},
	{"http://localhost/", RuleInternal},
	{"http://LOCALHOST./", RuleInternal},
	{"http://foo.localhost/", RuleInternal},
	{"http://127.0.0.1.:8080/", RuleInternal},
	{"http://10.0.0.1/", RuleInternal},
	{"http://172.16.5.4/", RuleInternal},
	{"http://192.168.1.1/", RuleInternal},
	{"http://100.64.0.1/", RuleInternal},
	{"http://[fd12:3456::1]/", RuleInternal},
	{"http://169.254.1.1/", RuleInternal},
	{"http://[fe80::1]/", RuleInternal},
	{"http://user@127.0.0.1/", RuleInternal},
	{"http://user:pass@127.0.0.1:80/", RuleInternal},
	{"http://evil.com@127.0.0.1/", RuleInternal},
	{"http://127.0.0.1#@evil.com/", RuleInternal},
	{"http://127.0.0.1?@evil.com/", RuleInternal},
	{"http://127.0.0.1/\\@evil.com", RuleInternal},
	{"http://１２７．０．０．１/", RuleInternal},
	{"http://127。0。0。1/", RuleInternal},
	{"HTTP://127.0.0.1/", RuleInternal},
	{"//127.0.0.1/x", RuleInternal},
	{"127.0.0.1:6379", RuleInternal},
	{"[::1]:22", RuleInternal},
	{"localhost:5432", RuleInternal},
	{"2130706433:80", RuleInternal},
	{"http://169.254.169.254/latest/meta-data/", RuleMetadata},
	{"http://[fd00:ec2::254]/", RuleMetadata},
	{"http://100.100.100.200/", RuleMetadata},
	{"http://168.63.129.16/", RuleMetadata},
	{"http://metadata.google.internal/computeMetadata/v1/", RuleMetadata},
	{"http://METADATA.google.internal./", RuleMetadata},
	{"http://2852039166/", RuleMetadata},
	{"http://0xa9fea9fe/", RuleMetadata},
	{"http://0251.0376.0251.0376/", RuleMetadata},
	{"http://169.254.43518/", RuleMetadata},
	{"http://[::ffff:169.254.169.254]/", RuleMetadata},
	{"http://[::ffff:a9fe:a9fe]/", RuleMetadata},
	{"169.254.169.254:80", RuleMetadata},
	{"file:///etc/passwd", RuleScheme},
	{"gopher://127.0.0.1:6379/_INFO", RuleScheme},
	{"dict://127.0.0.1:11211/stat", RuleScheme},
	{"FILE:///etc/passwd", RuleScheme},
}

var publicForms = []string{
	"https://example.com/",
	"https://api.github.com:443/repos?x=1#f",
	"http://8.8.8.8/",
	"http://[2001:4860:4860::8888]/",
	"http://user@example.com/",
	"https://xn--nxasmq6b.com/",
	"example.com:443",
	"8.8.8.8:53",
	"http://127.0.0.1.nip.io.example/",
	"mailto:root@localhost",
	"http://1.2.3.4.5/",
}

func TestForms(t *testing.T) {
	det := 0
	for _, f := range forms {
		got, bad := Check(f.target, true, nil)
		if !bad || got.Rule != f.rule {
			t.Errorf("Check(%q) = %+v,%v want %s", f.target, got, bad, f.rule)
		} else {
			det++
		}
		// Written in the code: not a finding.
		if _, bad := Check(f.target, false, nil); bad {
			t.Errorf("static %q flagged", f.target)
		}
	}
	fp := 0
	for _, p := range publicForms {
		if got, bad := Check(p, true, nil); bad {
			fp++
			t.Errorf("public %q flagged: %+v", p, got)
		}
	}
	t.Logf("SSRF address forms: %d/%d detected, %d public forms, FP %d", det, len(forms), len(publicForms), fp)
}

func TestParseURLMatchesNetURL(t *testing.T) {
	for _, f := range forms {
		checkAgainstNetURL(t, f.target)
	}
	for _, p := range publicForms {
		checkAgainstNetURL(t, p)
	}
}

func checkAgainstNetURL(t *testing.T, raw string) {
	t.Helper()
	if !strings.Contains(raw, "://") && !strings.HasPrefix(raw, "//") {
		return
	}
	host, _, _, scheme, err := ParseURL(raw)
	u, uerr := url.Parse(raw)
	if (err == nil) != (uerr == nil) {
		t.Fatalf("ParseURL(%q) err %v, net/url err %v", raw, err, uerr)
	}
	if err != nil {
		return
	}
	if want := normalizeHost(u.Hostname()); host != want || scheme != u.Scheme {
		t.Fatalf("ParseURL(%q) = %q %q, net/url %q %q", raw, host, scheme, want, u.Scheme)
	}
}

func TestClassify(t *testing.T) {
	for s, want := range map[string]Class{
		"8.8.8.8": Public, "127.0.0.53": Loopback, "10.255.1.1": Private, "172.31.0.1": Private,
		"172.32.0.1": Public, "100.127.255.255": Private, "100.128.0.1": Public, "169.254.169.254": Metadata,
		"169.254.0.1": LinkLocal, "0.1.2.3": Unspecified, "224.0.0.1": Multicast, "255.255.255.255": Reserved,
		"::1": Loopback, "::": Unspecified, "fc00::1": Private, "fe80::1%eth0": LinkLocal, "ff02::1": Multicast,
		"::ffff:10.0.0.1": Private, "2001:db8::1": Public, "fd00:ec2::254": Metadata, "::ffff:168.63.129.16": Metadata,
	} {
		a := netip.MustParseAddr(s)
		if got := ClassifyAddr(a); got != want {
			t.Errorf("ClassifyAddr(%s) = %v want %v", s, got, want)
		}
		if got := ClassifyIP(net.ParseIP(strings.Split(s, "%")[0])); got != want && !strings.Contains(s, "%") {
			t.Errorf("ClassifyIP(%s) = %v want %v", s, got, want)
		}
	}
	if ClassifyAddr(netip.Addr{}) != Invalid || Metadata.String() != "metadata" {
		t.Error("invalid/string")
	}
}

func TestCheckResolved(t *testing.T) {
	md := netip.MustParseAddr("169.254.169.254")
	lo := netip.MustParseAddr("127.0.0.1")
	pub := netip.MustParseAddr("93.184.216.34")
	allow, err := NewAllowlist([]string{"10.0.0.0/8", "internal.svc", "*.corp.example", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		a       netip.Addr
		host    string
		dynamic bool
		rule    string
	}{
		{pub, "example.com", true, ""},
		{lo, "rebind.attacker.com", true, RuleInternal},
		{lo, "localhost", false, ""},
		{md, "rebind.attacker.com", false, RuleMetadata},
		{md, "metadata.google.internal", false, ""},
		{md, "169.254.169.254", false, ""},
		{md, "x.example", true, RuleMetadata},
		{netip.MustParseAddr("10.1.2.3"), "db", true, ""},
		{netip.MustParseAddr("192.168.1.1"), "internal.svc.", true, ""},
		{netip.MustParseAddr("192.168.1.1"), "a.corp.example", true, ""},
		{netip.MustParseAddr("192.168.1.1"), "corp.example", true, RuleInternal},
		{netip.MustParseAddr("::ffff:10.9.9.9"), "x", true, ""},
		{netip.MustParseAddr("::1"), "x", true, ""},
	}
	for _, c := range cases {
		f, bad := CheckResolved(c.a, c.host, c.dynamic, allow)
		if (c.rule == "") == bad || (bad && f.Rule != c.rule) {
			t.Errorf("CheckResolved(%v, %q, %v) = %+v,%v want %q", c.a, c.host, c.dynamic, f, bad, c.rule)
		}
	}
	if _, bad := Check("http://10.2.3.4/", true, allow); bad {
		t.Error("allowlisted CIDR flagged")
	}
	if _, bad := Check("http://a.corp.example/", true, allow); bad {
		t.Error("allowlisted host flagged")
	}
	if _, err := NewAllowlist([]string{"10.0.0.0/33"}); err == nil {
		t.Error("want error")
	}
	if len(Rules()) != 3 {
		t.Error("rules")
	}
}

// blnsInternal are lines of the big list of naughty strings that, used as a
// host, name an internal address by the numeric forms resolvers accept.
var blnsInternal = map[string]string{
	"0":          "inet_aton: 0.0.0.0, the local host",
	"1":          "inet_aton: 0.0.0.1, in 0.0.0.0/8",
	"0.0":        "inet_aton: 0.0.0.0",
	"0.0.0":      "inet_aton: 0.0.0.0",
	"0.00":       "inet_aton: 0.0.0.0",
	"0/0":        "host 0 (0.0.0.0) then path /0",
	"0.0/0":      "host 0.0 (0.0.0.0) then path",
	"0.0/0.0":    "host 0.0 (0.0.0.0) then path",
	"01000":      "inet_aton octal: 0.0.2.0, in 0.0.0.0/8",
	"0x0":        "inet_aton hex: 0.0.0.0",
	"0xffffffff": "inet_aton hex: 255.255.255.255, limited broadcast",
	"1#IND":      "host 1 (0.0.0.1) then fragment",
	"1#INF":      "host 1 (0.0.0.1) then fragment",
	"1#QNAN":     "host 1 (0.0.0.1) then fragment",
	"1#SNAN":     "host 1 (0.0.0.1) then fragment",
	"1/0":        "host 1 (0.0.0.1) then path",
	"1/2":        "host 1 (0.0.0.1) then path",
	"１２３":        "IDNA maps full-width digits: host 123 is 0.0.0.123",
	"File:///":   "a file: URL (ssrf-scheme), here in host:port position",
}

func TestBenignBLNS(t *testing.T) {
	var n, fp, excluded int
	for _, v := range corpustest.Lines(t, "benign/blns.txt") {
		if v == "" || strings.HasPrefix(v, "#") {
			continue
		}
		n++
		for _, target := range []string{"https://" + v + "/api", v + ":443", "https://api.example.com/" + v, "https://api.example.com/?next=" + v} {
			got, bad := Check(target, true, nil)
			if !bad {
				continue
			}
			if reason := blnsInternal[v]; reason != "" {
				excluded++
				continue
			}
			fp++
			t.Errorf("FP %q: %+v", target, got)
		}
	}
	t.Logf("blns as hosts/paths: %d lines x 4 targets, FP %d, excluded (reviewed internal numeric hosts) %d", n, fp, excluded)
}

func TestZeroAlloc(t *testing.T) {
	allow, _ := NewAllowlist([]string{"10.0.0.0/8", "*.corp.example"})
	a := netip.MustParseAddr("93.184.216.34")
	n := testing.AllocsPerRun(100, func() {
		Check("https://api.example.com:8443/v1/items?id=3#top", true, allow)
		Check("api.example.com:443", true, allow)
		CheckResolved(a, "api.example.com", true, allow)
	})
	if n != 0 {
		t.Errorf("allocs = %v", n)
	}
}

func BenchmarkCheckURL(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check("https://api.example.com:8443/v1/items?id=3#top", true, nil)
	}
}

func BenchmarkCheckHostPort(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Check("db.example.com:5432", true, nil)
	}
}

func BenchmarkCheckResolved(b *testing.B) {
	allow, _ := NewAllowlist([]string{"10.0.0.0/8", "*.corp.example"})
	a := netip.MustParseAddr("93.184.216.34")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		CheckResolved(a, "api.example.com", true, allow)
	}
}

func BenchmarkClassifyAddr(b *testing.B) {
	a := netip.MustParseAddr("2001:4860:4860::8888")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ClassifyAddr(a)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, x := range forms {
		f.Add(x.target)
	}
	for _, p := range publicForms {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		host, addr, lit, scheme, err := ParseURL(raw)
		u, uerr := url.Parse(raw)
		if (err == nil) != (uerr == nil) {
			t.Fatalf("ParseURL(%q) err %v, net/url err %v", raw, err, uerr)
		}
		if err == nil {
			if want := normalizeHost(u.Hostname()); host != want || scheme != u.Scheme {
				t.Fatalf("ParseURL(%q) = %q %q, net/url %q %q", raw, host, scheme, want, u.Scheme)
			}
			if a, perr := netip.ParseAddr(trimDot(host)); perr == nil && (!lit || a != addr) {
				t.Fatalf("literal %q not recognised", host)
			}
		}
		Check(raw, true, nil)
	})
}

func FuzzParseHostPort(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "[::1]:22", "0x7f.1:80", "2130706433", "[fe80::1%eth0]:80", "a:b:c", "１２７．０．０．１:80", "0177.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, hp string) {
		host, addr, lit, err := ParseHostPort(hp)
		if h, _, serr := net.SplitHostPort(hp); serr == nil && err == nil && !strings.ContainsRune(h, 0xff0e) {
			if normalizeHost(h) != host {
				t.Fatalf("ParseHostPort(%q) host %q, net.SplitHostPort %q", hp, host, h)
			}
		}
		if err == nil {
			if a, perr := netip.ParseAddr(trimDot(host)); perr == nil && (!lit || a != addr) {
				t.Fatalf("literal %q not recognised", host)
			}
			if lit && !addr.IsValid() {
				t.Fatal("invalid literal")
			}
		}
		ClassifyAddr(addr)
	})
}
