package bots

// The built-in categories' names, in the order Match tries them after
// the categories a policy adds.
const (
	catScanners      = "scanners"
	catAICrawlers    = "ai_crawlers"
	catSearchEngines = "search_engines"
	catHTTPLibraries = "http_libraries"
)

// builtinOrder is the order of the built-in categories in a Matcher.
var builtinOrder = []string{catScanners, catAICrawlers, catSearchEngines, catHTTPLibraries}

// Each list below was written for this package from what the tools'
// authors and the crawlers' operators publish (their documentation, or
// the tool's own source where its default User-Agent is set); the comment
// on a pattern gives the User-Agent it is meant to match, its version
// numbers examples.

// scanners are vulnerability scanners, fuzzers, content-discovery and
// attack tools, in their default configuration, and the out-of-band
// interaction domains the common scanners write into request headers.
//
// Left out, on purpose:
//   - "httpx": ProjectDiscovery's httpx sends a random browser User-Agent
//     by default, so the name would match only the Python library HTTPX
//     ("python-httpx/", an HTTP library, listed there);
//   - "jaeles": it sends a random browser's or Googlebot's User-Agent,
//     never its name;
//   - Burp Suite: its scanner sends a browser's User-Agent; what betrays
//     it is the Collaborator domain of its out-of-band payloads, listed;
//   - nuclei is listed though it too has sent a random browser User-Agent
//     by default since v2.x: older versions, and runs configured with
//     its own name, still send it; its interactsh payloads are listed.
var scanners = []string{
	"sqlmap",                // sqlmap/1.8#stable (https://sqlmap.org): lib/core/settings.py DEFAULT_USER_AGENT
	"Nikto",                 // Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:...): nikto.conf USERAGENT
	"Nuclei",                // Nuclei - Open-source project (github.com/projectdiscovery/nuclei)
	"masscan",               // masscan/1.3 (https://github.com/robertdavidgraham/masscan)
	"zgrab",                 // Mozilla/5.0 zgrab/0.x: ZGrab 2, Censys's application-layer scanner
	"Nmap Scripting Engine", // Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html): nselib/http.lua
	"WPScan",                // WPScan v3.8 (https://wpscan.com/wordpress-security-scanner)
	"Nessus",                // Tenable Nessus; Emerging Threats' rule 2002664, "ET SCAN Nessus User Agent", keys on the name
	"OpenVAS",               // Mozilla/5.0 [en] (X11, U; OpenVAS-VT 22.4): Greenbone's scanner
	"Acunetix",              // Acunetix (Invicti) where a scan names it; by default it sends a browser's, and its name in other headers (Acunetix-Product)
	"Netsparker",            // Netsparker (now Invicti): likewise, where a scan names it
	"DirBuster",             // DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)
	"gobuster/",             // gobuster/3.6: its --useragent default
	"feroxbuster/",          // feroxbuster/2.10: its --user-agent default
	"Fuzz Faster U Fool",    // Fuzz Faster U Fool v2.1.0: ffuf's default
	"Wfuzz/",                // Wfuzz/3.1
	"w3af",                  // ...; w3af.org): w3af's default
	"commix/",               // commix/v3.9 (https://commixproject.com)
	"Arachni/",              // Arachni/v1.6
	"WhatWeb/",              // WhatWeb/0.5.5
	"burpcollaborator.net",  // Burp Scanner's out-of-band payloads, written into headers
	"oastify.com",           // the same, Burp Collaborator's current domain
	".oast.",                // interactsh's public servers (oast.pro, oast.live, oast.site, oast.online, oast.fun, oast.me), used by nuclei
	"interact.sh",           // interactsh's first domain
}

// aiCrawlers are the crawlers and fetchers of AI companies, as their
// operators document them, whether they crawl for training, index for an
// assistant's search, or fetch a page a user asked about.
//
// Left out, on purpose: "Google-Extended" and "Applebot-Extended". Both
// are product tokens for robots.txt only: Google and Apple document that
// neither sends requests of its own (the crawling is Googlebot's and
// Applebot's, under their own names), so neither can appear in a
// User-Agent.
var aiCrawlers = []string{
	// OpenAI, https://platform.openai.com/docs/bots
	"GPTBot",        // Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.1; +https://openai.com/gptbot
	"ChatGPT-User",  // ...; compatible; ChatGPT-User/1.0; +https://openai.com/bot
	"OAI-SearchBot", // ...; compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot
	// Anthropic, https://support.anthropic.com/en/articles/8896518
	"ClaudeBot",        // Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)
	"Claude-User",      // fetches for a user's question
	"Claude-SearchBot", // indexes for Claude's search
	"Claude-Web",       // an earlier name, retired; still sent by some clients
	"anthropic-ai",     // likewise
	// Common Crawl, https://commoncrawl.org/ccbot: its archive is the
	// usual training corpus.
	"CCBot", // CCBot/2.0 (https://commoncrawl.org/faq/)
	// ByteDance.
	"Bytespider", // Mozilla/5.0 (Linux; Android 5.0) ... (compatible; Bytespider; spider-feedback@bytedance.com)
	// Perplexity, https://docs.perplexity.ai/guides/bots
	"PerplexityBot",   // Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)
	"Perplexity-User", // fetches for a user's question
	// Meta, https://developers.facebook.com/docs/sharing/webmasters/web-crawlers
	"meta-externalagent",   // meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)
	"meta-externalfetcher", // fetches for a user's request
	// Amazon, https://developer.amazon.com/amazonbot
	"Amazonbot", // Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot)
	// Cohere.
	"cohere-ai",
	// Diffbot, https://docs.diffbot.com
	"Diffbot", // Mozilla/5.0 (compatible; Diffbot/0.1; +http://www.diffbot.com)
	// Mistral AI, https://docs.mistral.ai/robots
	"MistralAI-User", // Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; MistralAI-User/1.0; +https://docs.mistral.ai/robots)
}

// searchEngines are the crawlers of web search engines. A policy usually
// lets them in; they are here so that it can name them (and, again,
// verify them by address: their names are the ones most often forged).
var searchEngines = []string{
	// https://developers.google.com/search/docs/crawling-indexing/google-common-crawlers;
	// also matches Googlebot-Image, Googlebot-News, Googlebot-Video.
	"Googlebot", // Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)
	// https://www.bing.com/webmasters/help/which-crawlers-does-bing-use-8c184ec0
	"bingbot", // Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)
	// https://duckduckgo.com/duckduckgo-help-pages/results/duckduckbot
	"DuckDuckBot", // DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)
	// https://yandex.com/support/webmaster/robot-workings/check-yandex-robots.html
	"YandexBot", // Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)
	// https://www.baidu.com/search/spider.html
	"Baiduspider", // Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)
	// https://support.apple.com/en-us/119829
	"Applebot", // ... (Applebot/0.1; +http://www.apple.com/go/applebot)
	// Yahoo.
	"Yahoo! Slurp", // Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)
	// Seznam, https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/
	"SeznamBot", // Mozilla/5.0 (compatible; SeznamBot/4.0; +https://o-seznam.cz/napoveda/vyhledavani/en/seznambot-crawler/)
	// Huawei's Petal Search, https://aspiegel.com/petalbot
	"PetalBot", // Mozilla/5.0 (compatible; PetalBot; +https://webmaster.petalsearch.com/site/petalbot)
	// Mojeek, https://www.mojeek.com/bot.html
	"MojeekBot", // Mozilla/5.0 (compatible; MojeekBot/0.11; +https://www.mojeek.com/bot.html)
}

// httpLibraries are the default User-Agents of HTTP clients and command
// line tools: a program, not a person with a browser. Most API clients
// are one of these, so a policy rarely blocks them; it may watch them.
var httpLibraries = []string{
	"curl/",              // curl/8.5.0: curl's default
	"Wget/",              // Wget/1.21.4 (linux-gnu): GNU Wget's default
	"python-requests/",   // python-requests/2.31.0: requests.utils.default_user_agent
	"Python-urllib/",     // Python-urllib/3.12: urllib.request's default
	"python-httpx/",      // python-httpx/0.27.0: HTTPX's default
	"aiohttp/",           // Python/3.12 aiohttp/3.9.5: aiohttp's default
	"Go-http-client/",    // Go-http-client/1.1 and /2.0: net/http's default
	"okhttp/",            // okhttp/4.12.0: OkHttp's default
	"libwww-perl/",       // libwww-perl/6.72: LWP's default
	"Apache-HttpClient/", // Apache-HttpClient/5.2.1 (Java/17.0.9): listed before Java/, which it contains
	"Java-http-client/",  // Java-http-client/21.0.1: java.net.http.HttpClient's default
	"Java/",              // Java/17.0.9: HttpURLConnection's default
	"axios/",             // axios/1.6.8: axios's default in Node.js
	"node-fetch/",        // node-fetch/1.0 (+https://github.com/bitinn/node-fetch)
	"GuzzleHttp/",        // GuzzleHttp/7: PHP Guzzle's default
	"HTTPie/",            // HTTPie/3.2.2
}

// Builtin returns the built-in categories: "scanners", "ai_crawlers",
// "search_engines" and "http_libraries", each with its patterns. The map
// and its slices are a fresh copy on every call: a caller may change
// them, for instance to add a pattern or a category or to replace a
// list, and pass the result to New.
func Builtin() map[string][]string {
	return map[string][]string{
		catScanners:      append([]string(nil), scanners...),
		catAICrawlers:    append([]string(nil), aiCrawlers...),
		catSearchEngines: append([]string(nil), searchEngines...),
		catHTTPLibraries: append([]string(nil), httpLibraries...),
	}
}
