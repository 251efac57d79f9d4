package bots

import (
	"math/rand"
	"sort"
	"strings"
	"testing"
)

// User-Agents as real clients send them.
const (
	chromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	firefoxLinux  = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
	safariIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"
	edgeMac       = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67"
	chromeAndroid = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
	sqlmapUA      = "sqlmap/1.8.4#stable (https://sqlmap.org)"
	gptbotUA      = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.1; +https://openai.com/gptbot"
	googlebotUA   = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

func builtinMatcher(t testing.TB) *Matcher {
	t.Helper()
	m, err := New(Builtin())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMatchBuiltin(t *testing.T) {
	m := builtinMatcher(t)
	for _, c := range []struct{ ua, category, pattern string }{
		// Browsers: nothing.
		{chromeWindows, "", ""},
		{firefoxLinux, "", ""},
		{safariIPhone, "", ""},
		{edgeMac, "", ""},
		{chromeAndroid, "", ""},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "", ""},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "", ""},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0", "", ""},
		// Scanners.
		{sqlmapUA, "scanners", "sqlmap"},
		{"sqlmap/1.2.11#stable (http://sqlmap.org)", "scanners", "sqlmap"},
		{"Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)", "scanners", "Nikto"},
		{"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "scanners", "Nmap Scripting Engine"},
		{"masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "scanners", "masscan"},
		{"Mozilla/5.0 zgrab/0.x", "scanners", "zgrab"},
		{"WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)", "scanners", "WPScan"},
		{"Fuzz Faster U Fool v2.1.0-dev", "scanners", "Fuzz Faster U Fool"},
		{"gobuster/3.6", "scanners", "gobuster/"},
		{"feroxbuster/2.10.2", "scanners", "feroxbuster/"},
		{"Wfuzz/3.1.0", "scanners", "Wfuzz/"},
		{"Mozilla/5.0 [en] (X11, U; OpenVAS-VT 22.4.1)", "scanners", "OpenVAS"},
		{"Nuclei - Open-source project (github.com/projectdiscovery/nuclei)", "scanners", "Nuclei"},
		{"DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)", "scanners", "DirBuster"},
		{"commix/v3.9-stable (https://commixproject.com)", "scanners", "commix/"},
		{"Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; w3af.org)", "scanners", "w3af"},
		{"() { :; }; echo; curl http://x1b2c3.oast.fun", "scanners", ".oast."},
		{"Mozilla/5.0 cq5hbvx.oastify.com", "scanners", "oastify.com"},
		// A scanner's User-Agent that also reads like an HTTP library: a
		// scanner, as it says more.
		{"curl/8.5.0 sqlmap", "scanners", "sqlmap"},
		// AI crawlers.
		{gptbotUA, "ai_crawlers", "GPTBot"},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot", "ai_crawlers", "ChatGPT-User"},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot", "ai_crawlers", "OAI-SearchBot"},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)", "ai_crawlers", "ClaudeBot"},
		{"Claude-User (claude-code/2.0.5; +https://support.anthropic.com/)", "ai_crawlers", "Claude-User"},
		{"CCBot/2.0 (https://commoncrawl.org/faq/)", "ai_crawlers", "CCBot"},
		{"Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)", "ai_crawlers", "Bytespider"},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)", "ai_crawlers", "PerplexityBot"},
		{"meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)", "ai_crawlers", "meta-externalagent"},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot) Chrome/119.0.6045.214 Safari/537.36", "ai_crawlers", "Amazonbot"},
		// Search engines.
		{googlebotUA, "search_engines", "Googlebot"},
		{"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "search_engines", "Googlebot"},
		{"Googlebot-Image/1.0", "search_engines", "Googlebot"},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", "search_engines", "bingbot"},
		{"DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", "search_engines", "DuckDuckBot"},
		{"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "search_engines", "YandexBot"},
		{"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "search_engines", "Baiduspider"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", "search_engines", "Applebot"},
		// HTTP libraries.
		{"curl/8.5.0", "http_libraries", "curl/"},
		{"Wget/1.21.4 (linux-gnu)", "http_libraries", "Wget/"},
		{"python-requests/2.31.0", "http_libraries", "python-requests/"},
		{"Python-urllib/3.12", "http_libraries", "Python-urllib/"},
		{"python-httpx/0.27.0", "http_libraries", "python-httpx/"},
		{"Python/3.12 aiohttp/3.9.5", "http_libraries", "aiohttp/"},
		{"Go-http-client/1.1", "http_libraries", "Go-http-client/"},
		{"Go-http-client/2.0", "http_libraries", "Go-http-client/"},
		{"okhttp/4.12.0", "http_libraries", "okhttp/"},
		{"libwww-perl/6.72", "http_libraries", "libwww-perl/"},
		{"Apache-HttpClient/5.2.1 (Java/17.0.9)", "http_libraries", "Apache-HttpClient/"},
		{"Java/17.0.9", "http_libraries", "Java/"},
		{"axios/1.6.8", "http_libraries", "axios/"},
		// Near misses.
		{"curling-club-app/1.0", "", ""},
		{"Mozilla/5.0 (compatible; MyCrawler/1.0)", "", ""},
		{"Google-Extended", "", ""}, // a robots.txt token, never a User-Agent
		{"", "", ""},
		{"cu", "", ""},
	} {
		cat, pat, ok := m.Match(c.ua)
		if cat != c.category || pat != c.pattern || ok != (c.category != "") {
			t.Errorf("Match(%q) = %q, %q, %v; want %q, %q", c.ua, cat, pat, ok, c.category, c.pattern)
		}
	}
}

func TestCase(t *testing.T) {
	m := builtinMatcher(t)
	for _, ua := range []string{"SQLMAP/1.8", "SqlMap/1.8", "sqlmap/1.8", "xx-sQlMaP", "Mozilla/5.0 (sqlMAP)"} {
		if cat, pat, ok := m.Match(ua); !ok || cat != "scanners" || pat != "sqlmap" {
			t.Errorf("Match(%q) = %q, %q, %v", ua, cat, pat, ok)
		}
	}
	for _, ua := range []string{"CURL/8.0", "Curl/8.0", "GO-HTTP-CLIENT/1.1", "go-http-client/1.1"} {
		if cat, _, ok := m.Match(ua); !ok || cat != "http_libraries" {
			t.Errorf("Match(%q) = %q, %v", ua, cat, ok)
		}
	}
	for _, ua := range []string{"gptbot", "GPTBOT", "gPtBoT"} {
		if cat, _, ok := m.Match(ua); !ok || cat != "ai_crawlers" {
			t.Errorf("Match(%q) = %q, %v", ua, cat, ok)
		}
	}
	// Only ASCII folds: "ſqlmap" (long s) and "ＳＱＬ" are not "sql".
	for _, ua := range []string{"ſqlmap/1.8", "ＳＱＬＭＡＰ"} {
		if cat, pat, ok := m.Match(ua); ok {
			t.Errorf("Match(%q) = %q, %q", ua, cat, pat)
		}
	}
}

func TestCustomCategories(t *testing.T) {
	cats := Builtin()
	cats["monitors"] = []string{"UptimeRobot/", "Pingdom.com_bot"}
	cats["internal"] = []string{"acme-sync (Go-http-client"}
	cats["search_engines"] = []string{"Googlebot"} // override: only Google
	delete(cats, "http_libraries")
	m, err := New(cats)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ua, category, pattern string }{
		{"Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", "monitors", "UptimeRobot/"},
		{"Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", "monitors", "Pingdom.com_bot"},
		// A category the policy adds wins over the built-in ones.
		{"acme-sync (Go-http-client/1.1)", "internal", "acme-sync (Go-http-client"},
		{googlebotUA, "search_engines", "Googlebot"},
		{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "", ""},
		{"curl/8.5.0", "", ""},
		{sqlmapUA, "scanners", "sqlmap"},
	} {
		cat, pat, ok := m.Match(c.ua)
		if cat != c.category || pat != c.pattern || ok != (c.category != "") {
			t.Errorf("Match(%q) = %q, %q, %v; want %q, %q", c.ua, cat, pat, ok, c.category, c.pattern)
		}
	}
	// Builtin is a fresh copy: the changes above did not reach it.
	b := Builtin()
	if len(b["search_engines"]) < 5 || b["http_libraries"] == nil || b["monitors"] != nil {
		t.Errorf("Builtin() changed by a caller: %v", b)
	}
	b["scanners"][0] = "changed"
	if Builtin()["scanners"][0] == "changed" {
		t.Error("Builtin() shares its slices")
	}
}

func TestOrder(t *testing.T) {
	cats := map[string][]string{
		"http_libraries": {"agent"},
		"scanners":       {"agent"},
		"zeta":           {"agent"},
		"alpha":          {"nothing", "agent"},
		"ai_crawlers":    {"agent"},
	}
	m, err := New(cats)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.cats, " "); got != "alpha zeta scanners ai_crawlers http_libraries" {
		t.Errorf("order %s", got)
	}
	if cat, pat, _ := m.Match("my agent"); cat != "alpha" || pat != "agent" {
		t.Errorf("Match = %q, %q; want alpha, agent", cat, pat)
	}
	// Within a category, the first pattern of the list wins, wherever it
	// is in the User-Agent.
	m, err = New(map[string][]string{"c": {"second", "first", "*irs*"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, pat, _ := m.Match("first second"); pat != "second" {
		t.Errorf("Match = %q, want second", pat)
	}
	if _, pat, _ := m.Match("x first"); pat != "first" {
		t.Errorf("Match = %q, want first", pat)
	}
	// The order does not depend on the map's iteration order.
	for i := 0; i < 20; i++ {
		m, _ := New(map[string][]string{"b": {"xyz"}, "a": {"xyz"}, "c": {"xyz"}, "scanners": {"xyz"}})
		if cat, _, _ := m.Match("xyz"); cat != "a" {
			t.Fatalf("Match = %q, want a", cat)
		}
	}
}

func TestWildcard(t *testing.T) {
	m, err := New(map[string][]string{
		"w": {"mozilla*zgrab", "*leading", "trailing*", "one**two", "abc*def*ghi"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ua, pattern string
	}{
		{"Mozilla/5.0 zgrab/0.x", "mozilla*zgrab"},
		{"MOZILLAZGRAB", "mozilla*zgrab"},
		{"zgrab Mozilla", ""},
		{"x leading y", "*leading"},
		{"x trailing", "trailing*"},
		{"one two", "one**two"},
		{"onetwo", "one**two"},
		{"twoone", ""},
		{"abcdefghi", "abc*def*ghi"},
		{"ghi def abc def ghi", "abc*def*ghi"},
		{"abc ghi def", ""},
		{"abcdefgh", ""},
		{"abcdef", ""},
	} {
		_, pat, ok := m.Match(c.ua)
		if pat != c.pattern || ok != (c.pattern != "") {
			t.Errorf("Match(%q) = %q, %v; want %q", c.ua, pat, ok, c.pattern)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		cats map[string][]string
		want string
	}{
		{map[string][]string{"x": {"good", ""}}, `category "x", pattern 1 (""): empty pattern`},
		{map[string][]string{"x": {"ab"}}, `category "x", pattern 0 ("ab"): shorter than 3 bytes`},
		{map[string][]string{"scanners": {"sqlmap", "nikto", "go"}}, `category "scanners", pattern 2 ("go")`},
		{map[string][]string{"x": {"*"}}, `pattern 0 ("*"): no text besides '*'`},
		{map[string][]string{"x": {"***"}}, `no text besides '*'`},
		{map[string][]string{"x": {"abc*de"}}, `pattern 0 ("abc*de"): "de", between '*'s, is shorter than 3 bytes`},
		{map[string][]string{"x": {"*a*"}}, `"a", between '*'s`},
		{map[string][]string{"": {"abc"}}, `empty name`},
	} {
		m, err := New(c.cats)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%q) = %v, %v; want an error with %q", c.cats, m, err, c.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "bots: ") {
			t.Errorf("error %q lacks the package's prefix", err)
		}
	}
	// No categories, or empty ones: a Matcher that matches nothing.
	for _, cats := range []map[string][]string{nil, {}, {"x": nil}} {
		m, err := New(cats)
		if err != nil {
			t.Fatal(err)
		}
		if cat, pat, ok := m.Match(sqlmapUA); ok {
			t.Errorf("New(%v).Match = %q, %q", cats, cat, pat)
		}
	}
	var nilM *Matcher
	if _, _, ok := nilM.Match(sqlmapUA); ok {
		t.Error("nil Matcher matched")
	}
}

func TestBuiltinLists(t *testing.T) {
	b := Builtin()
	names := make([]string, 0, len(b))
	total := 0
	for name, pats := range b {
		names = append(names, name)
		total += len(pats)
		seen := map[string]bool{}
		for _, p := range pats {
			lp := strings.ToLower(p)
			if seen[lp] {
				t.Errorf("%s lists %q twice", name, p)
			}
			seen[lp] = true
			if strings.Contains(p, "*") {
				t.Errorf("%s: built-in pattern %q has a '*'", name, p)
			}
		}
	}
	sort.Strings(names)
	if got := strings.Join(names, " "); got != "ai_crawlers http_libraries scanners search_engines" {
		t.Errorf("Builtin categories: %s", got)
	}
	if total < 40 || total > 100 {
		t.Errorf("%d built-in patterns", total)
	}
	// Each pattern is matched, in its own category, when it stands alone
	// (no pattern of an earlier category or earlier in the list hides it)
	// and in any case.
	m := builtinMatcher(t)
	for _, name := range builtinOrder {
		for _, p := range b[name] {
			for _, ua := range []string{p, strings.ToUpper(p), "Mozilla/5.0 (compatible; " + strings.ToLower(p) + "1.0)"} {
				cat, pat, ok := m.Match(ua)
				if !ok || cat != name || pat != p {
					t.Errorf("Match(%q) = %q, %q, %v; want %q, %q", ua, cat, pat, ok, name, p)
				}
			}
		}
	}
	// No built-in pattern matches a browser.
	for _, ua := range []string{chromeWindows, firefoxLinux, safariIPhone, edgeMac, chromeAndroid} {
		if cat, pat, ok := m.Match(ua); ok {
			t.Errorf("browser %q matches %s %q", ua, cat, pat)
		}
	}
}

// naive is Match written the plain way, for the differential tests.
func naive(cats []string, lists map[string][]string, ua string) (string, string, bool) {
	lua := strings.ToLower(ua) // only ASCII in the tests' patterns and UAs
	for _, c := range cats {
		for _, p := range lists[c] {
			s, ok := lua, true
			for _, piece := range strings.Split(strings.ToLower(p), "*") {
				i := strings.Index(s, piece)
				if i < 0 {
					ok = false
					break
				}
				s = s[i+len(piece):]
			}
			if ok {
				return c, p, true
			}
		}
	}
	return "", "", false
}

func TestDifferential(t *testing.T) {
	lists := Builtin()
	lists["custom"] = []string{"abc*xyz", "Mozilla*Gecko)*zgrab", "aab", "abxy", "y/ab", "-zb", "a-b-c", "xyzzy"}
	m, err := New(lists)
	if err != nil {
		t.Fatal(err)
	}
	// User-Agents spliced from browsers' and bots' pieces, and random
	// bytes from a small alphabet to make near misses common.
	parts := []string{chromeWindows, sqlmapUA, gptbotUA, googlebotUA, "curl/", "CURL", "abc", "xyz", "aab", "aa",
		"zgrab", "Gecko)", "Mozilla", "Go-http-client/", "Java", "/", " ", "GPT", "Bot", ".oast", ".", "Claude-", "User"}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		if i%2 == 0 {
			for n := rng.Intn(6); n >= 0; n-- {
				b.WriteString(parts[rng.Intn(len(parts))])
			}
		} else {
			for n := rng.Intn(40); n >= 0; n-- {
				b.WriteByte("abcxyzABXYZ/ -"[rng.Intn(14)])
			}
		}
		ua := b.String()
		gc, gp, gok := m.Match(ua)
		wc, wp, wok := naive(m.cats, lists, ua)
		if gc != wc || gp != wp || gok != wok {
			t.Fatalf("Match(%q) = %q, %q, %v; want %q, %q, %v", ua, gc, gp, gok, wc, wp, wok)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{chromeWindows, sqlmapUA, gptbotUA, googlebotUA, "curl/8", "abcxyz", ""} {
		f.Add(s)
	}
	lists := Builtin()
	lists["custom"] = []string{"abc*xyz", "Mozilla*Gecko)*zgrab", "aab", "abxy", "y/ab", "-zb"}
	m, err := New(lists)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		gc, gp, gok := m.Match(ua)
		// The naive version folds with strings.ToLower, which also folds
		// non-ASCII letters: compare only ASCII User-Agents.
		for i := 0; i < len(ua); i++ {
			if ua[i] >= 0x80 {
				return
			}
		}
		wc, wp, wok := naive(m.cats, lists, ua)
		if gc != wc || gp != wp || gok != wok {
			t.Fatalf("Match(%q) = %q, %q, %v; want %q, %q, %v", ua, gc, gp, gok, wc, wp, wok)
		}
	})
}

func TestMatchAllocs(t *testing.T) {
	m := builtinMatcher(t)
	for _, ua := range []string{"", chromeWindows, sqlmapUA, googlebotUA} {
		if n := testing.AllocsPerRun(100, func() { m.Match(ua) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times", ua, n)
		}
	}
}

func BenchmarkMatchBrowser(b *testing.B) {
	m := builtinMatcher(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, ok := m.Match(chromeWindows); ok {
			b.Fatal("browser matched")
		}
	}
}

func BenchmarkMatchScanner(b *testing.B) {
	m := builtinMatcher(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, ok := m.Match(sqlmapUA); !ok {
			b.Fatal("sqlmap not matched")
		}
	}
}

func BenchmarkMatchEmpty(b *testing.B) {
	m := builtinMatcher(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.Match("")
	}
}

func BenchmarkNew(b *testing.B) {
	cats := Builtin()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := New(cats); err != nil {
			b.Fatal(err)
		}
	}
}
