// Package bots sorts a request's User-Agent into categories of clients:
// security scanners, AI crawlers, search engines, HTTP libraries, and the
// categories a policy adds.
//
// A category is a name and a list of patterns. Builtin returns the
// built-in ones, New compiles a set of categories into a Matcher, and
// Matcher.Match tells the first category whose pattern the User-Agent
// contains.
//
// # What a match means
//
// The User-Agent is what the client says it is: anyone can send
// "Googlebot" (some scanners do, to be let in) or a browser's string (most
// scanners can, and several do by default). A match names what the
// client claims to be, which is worth an event or a policy's decision
// about unwanted traffic; it proves nothing, and a client that matches
// nothing is not thereby a browser. A policy that lets search engines in
// past other rules should verify them by their addresses (the vendors
// publish their ranges and reverse DNS names), not by this name alone.
//
// # Patterns
//
// A pattern is a substring to look for in the User-Agent, compared
// ignoring ASCII case ("sqlmap" matches "SQLMap/1.8"); other bytes
// compare exactly. A '*' in a pattern stands for any run of bytes,
// possibly empty, so "mozilla*zgrab" matches a User-Agent containing
// "mozilla" and, later, "zgrab"; a '*' at either end changes nothing, as
// a pattern matches anywhere already. There is no other special
// character: '?', '.', '[' and '\' are themselves.
//
// Each run of text between '*'s (the whole pattern when it has none) must
// be at least 3 bytes long: shorter ones match far too much ("go", "ai")
// and are an error of New, as is an empty pattern or category name.
// Built-in patterns end in '/' where the product is followed by its
// version ("curl/", "Go-http-client/"), so that a word that merely
// contains the name does not match.
//
// # Order
//
// When a User-Agent matches patterns of several categories, Match
// reports one, in this order: first the categories the built-in set
// does not name, in lexical order of their names (a policy that adds a
// category means it to win over the generic built-in ones), then the
// built-in names in the order scanners, ai_crawlers, search_engines,
// http_libraries (the most specific claim first: a scanner that reads
// like an HTTP library is reported as a scanner). Within a category, the
// pattern reported is the first of its list that matches.
//
// # Cost
//
// Match allocates nothing, and returns at once for a User-Agent shorter
// than 3 bytes. It reads the User-Agent once, two bytes at a time,
// looking up the three bytes at each even position in a filter of the
// patterns' first trigrams; it compares patterns only where the filter
// lets a trigram through, which for a browser's User-Agent and the
// built-in patterns is a few times (a browser's User-Agent costs a
// hundred nanoseconds or so). Patterns of exactly 3 bytes and patterns
// with a '*' (none is built in) are searched for one by one, each in
// time linear in the length of the User-Agent. New does the indexing:
// build a Matcher once and share it.
package bots
