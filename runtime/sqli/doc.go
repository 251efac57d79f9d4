// Package sqli detects SQL injection in the queries a program sends to its
// database. It is linked into instrumented binaries, so it uses the standard
// library only and does not allocate on the hot path.
//
// Design:
//
//   - A hand-written tokenizer (Tokenizer) knows the lexical rules of
//     SQLite, PostgreSQL, MySQL/MariaDB and SQL Server; the dialect comes
//     from the driver (DialectForDriver), and Generic reads a query with the
//     union of the rules, so that whatever some dialect would execute as
//     code is seen as code.
//
//   - The primary signal is structural and needs no guessing: the
//     instrumented program knows which byte ranges of the query came from
//     variables (Span). A range that stays inside one literal or one
//     identifier token is data; a range that closes a quote, adds an
//     operator, keyword, comment or statement is an injection
//     (rule "sqli-dynamic"). An unterminated quote or comment opened by a
//     range is an injection.
//
//   - Without known ranges, named context-free rules look for the shapes
//     attacks take that applications do not write on purpose: tautologies
//     after OR, UNION SELECT appended at statement level after a literal,
//     stacked statements after a data query, a trailing comment cutting off
//     the rest of a query, time probes, file and command access, and
//     error-based extractors. Queries with bind placeholders and no dynamic
//     part are parameterised and take a fast path with no finding.
//
//   - Findings carry a rule name and a token span; Redact gives the query
//     with literals replaced by ? so events never leak data.
//
// With the value from a variable shown in brackets:
//
//	SELECT * FROM t WHERE name='[O''Brien]'          data: one string token
//	SELECT * FROM t WHERE name='[' OR '1'='1]'       injection: four tokens
//
// All scanning is linear in the length of the query, and the tokenizer
// accepts any byte string (invalid UTF-8, NUL bytes, unterminated strings
// and comments) without panicking.
package sqli
