package sqli

// kw identifies the words the detector cares about.
type kw uint8

const (
	kwNone kw = iota
	kwOr
	kwXor
	kwAnd
	kwNot
	kwUnion
	kwAll
	kwDistinct
	kwSelect
	kwFrom
	kwInto
	kwOutfile
	kwDumpfile
	kwWaitfor
	kwDelay
	kwTime
	kwCopy
	kwProgram
	kwStdin
	kwStdout
	kwLoad
	kwData
	kwLocal
	kwInfile
	kwNull
	kwTrue
	kwFalse
	kwLike
	kwIs
	kwAsc
	kwDesc
	kwDefault
	kwInsert
	kwUpdate
	kwDelete
	kwReplace
	kwWith
	kwValues
	kwMerge
	kwUpsert
	kwTo
	kwInformationSchema
	// functions
	fnSleep
	fnBenchmark
	fnPgSleep
	fnRandomblob
	fnLoadFile
	fnPgReadFile
	fnLoImport
	fnExtractvalue
	fnUpdatexml
	fnNameConst
	fnGtid
	fnXpCmdshell
	fnSysExec
	fnReceiveMessage
	// other structural keywords (any word the grammar treats as syntax)
	kwStructural
)

type kwEntry struct {
	word string // upper case
	id   kw
}

// kwTable buckets the words by length and first letter so a lookup
// compares against at most a handful of candidates.
var kwTable [32][27][]kwEntry

// ruleTable holds the same words minus the plain structural ones: the
// context-free rules look every word up, and most words are not triggers.
var ruleTable [32][27][]kwEntry

// ruleLens has bit n of entry [f][l] set when some rule word of length n
// starts with letter f and ends with letter l: most words stop there.
var ruleLens [27][27]uint32

func init() {
	add := func(id kw, words ...string) {
		for _, w := range words {
			b := bucket(w)
			kwTable[len(w)][b] = append(kwTable[len(w)][b], kwEntry{w, id})
			if id != kwStructural {
				ruleTable[len(w)][b] = append(ruleTable[len(w)][b], kwEntry{w, id})
				ruleLens[b][bucket(w[len(w)-1:])] |= 1 << uint(len(w))
			}
		}
	}
	add(kwOr, "OR")
	add(kwXor, "XOR")
	add(kwAnd, "AND")
	add(kwNot, "NOT")
	add(kwUnion, "UNION")
	add(kwAll, "ALL")
	add(kwDistinct, "DISTINCT")
	add(kwSelect, "SELECT")
	add(kwFrom, "FROM")
	add(kwInto, "INTO")
	add(kwOutfile, "OUTFILE")
	add(kwDumpfile, "DUMPFILE")
	add(kwWaitfor, "WAITFOR")
	add(kwDelay, "DELAY")
	add(kwTime, "TIME")
	add(kwCopy, "COPY")
	add(kwProgram, "PROGRAM")
	add(kwStdin, "STDIN")
	add(kwStdout, "STDOUT")
	add(kwLoad, "LOAD")
	add(kwData, "DATA")
	add(kwLocal, "LOCAL")
	add(kwInfile, "INFILE")
	add(kwNull, "NULL")
	add(kwTrue, "TRUE")
	add(kwFalse, "FALSE")
	add(kwLike, "LIKE")
	add(kwIs, "IS")
	add(kwAsc, "ASC")
	add(kwDesc, "DESC")
	add(kwDefault, "DEFAULT")
	add(kwInsert, "INSERT")
	add(kwUpdate, "UPDATE")
	add(kwDelete, "DELETE")
	add(kwReplace, "REPLACE")
	add(kwWith, "WITH")
	add(kwValues, "VALUES")
	add(kwMerge, "MERGE")
	add(kwUpsert, "UPSERT")
	add(kwTo, "TO")
	add(kwInformationSchema, "INFORMATION_SCHEMA")
	add(fnSleep, "SLEEP")
	add(fnBenchmark, "BENCHMARK")
	add(fnPgSleep, "PG_SLEEP", "PG_SLEEP_FOR", "PG_SLEEP_UNTIL")
	add(fnRandomblob, "RANDOMBLOB")
	add(fnLoadFile, "LOAD_FILE")
	add(fnPgReadFile, "PG_READ_FILE", "PG_READ_BINARY_FILE", "PG_LS_DIR", "PG_STAT_FILE")
	add(fnLoImport, "LO_IMPORT", "LO_EXPORT")
	add(fnExtractvalue, "EXTRACTVALUE")
	add(fnUpdatexml, "UPDATEXML")
	add(fnNameConst, "NAME_CONST")
	add(fnGtid, "GTID_SUBSET", "GTID_SUBTRACT")
	add(fnXpCmdshell, "XP_CMDSHELL", "SP_OACREATE", "SP_OAMETHOD", "XP_REGREAD", "XP_REGWRITE",
		"XP_DIRTREE", "XP_FILEEXIST", "SP_EXECUTE_EXTERNAL_SCRIPT")
	add(fnSysExec, "SYS_EXEC", "SYS_EVAL")
	add(fnReceiveMessage, "RECEIVE_MESSAGE")
	add(kwStructural, "AS", "BY", "IN", "ON", "IF", "DIV", "MOD", "RLIKE", "REGEXP", "GLOB", "MATCH",
		"BETWEEN", "EXISTS", "DROP", "WHERE", "HAVING", "GROUP", "ORDER", "LIMIT", "OFFSET",
		"EXEC", "EXECUTE", "DECLARE", "CASE", "WHEN", "THEN", "ELSE", "END", "JOIN", "INNER",
		"OUTER", "LEFT", "RIGHT", "CROSS", "SET", "TABLE", "CREATE", "ALTER", "TRUNCATE", "SHUTDOWN",
		"GRANT", "REVOKE", "INTERSECT", "EXCEPT", "PROCEDURE", "COLLATE", "ESCAPE", "SOUNDS",
		"RETURNING", "BEGIN", "COMMIT", "ROLLBACK", "CALL", "PREPARE", "DEALLOCATE", "HANDLER",
		"RENAME", "USE", "SHOW", "DESCRIBE", "EXPLAIN", "PRAGMA", "ATTACH", "DETACH", "VACUUM",
		"ANALYZE", "OPTION", "FOR", "GOTO", "PRINT", "RAISERROR", "OPENROWSET", "OPENQUERY",
		"OPENDATASOURCE", "BULK", "RECONFIGURE", "KILL", "DBCC", "BACKUP", "RESTORE", "NOTIFY",
		"LISTEN", "DO", "LATERAL", "WINDOW", "OVER", "PARTITION", "USING", "NATURAL", "INTERVAL",
		"BINARY", "CAST", "CONVERT", "ANY", "SOME", "ESCAPED", "TERMINATED", "FIELDS", "LINES", "SIMILAR")
}

func bucket(w string) int {
	c := w[0] | 0x20
	if c >= 'a' && c <= 'z' {
		return int(c - 'a')
	}
	return 26
}

// lookupKw returns the id of word, kwNone for ordinary identifiers.
func lookupKw(w string) kw {
	if len(w) < 2 || len(w) >= len(kwTable) {
		return kwNone
	}
	for _, e := range kwTable[len(w)][bucket(w)] {
		if eqFold(w, e.word) {
			return e.id
		}
	}
	return kwNone
}

// lookupRuleKw is lookupKw restricted to the words the rules act on; it
// returns kwNone for structural keywords.
func lookupRuleKw(w string) kw {
	if len(w) < 2 || len(w) >= len(ruleTable) {
		return kwNone
	}
	b := bucket(w)
	if ruleLens[b][bucket(w[len(w)-1:])]&(1<<uint(len(w))) == 0 {
		return kwNone
	}
	for _, e := range ruleTable[len(w)][b] {
		if eqFold(w, e.word) {
			return e.id
		}
	}
	return kwNone
}

// eqFold compares s with the upper-case ASCII word u, ignoring ASCII case.
func eqFold(s, u string) bool {
	if len(s) != len(u) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 32
		}
		if c != u[i] {
			return false
		}
	}
	return true
}

// structural reports whether a keyword is SQL syntax (as opposed to a value
// keyword like NULL, TRUE, ASC or an ordinary function name).
func structural(k kw) bool {
	switch k {
	case kwNone, kwNull, kwTrue, kwFalse, kwAsc, kwDesc, kwDefault, kwData, kwLocal, kwTime,
		kwDelay, kwStdin, kwStdout, kwProgram, kwInformationSchema:
		return false
	}
	return k < fnSleep || k == kwStructural
}
