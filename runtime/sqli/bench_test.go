package sqli

import (
	"strings"
	"testing"
)

var (
	q60  = "SELECT id, name FROM users WHERE email = 'a@b.c' AND id = 42"
	q250 = "SELECT u.id, u.name, u.email, o.total, o.created_at FROM users AS u " +
		"JOIN orders AS o ON o.user_id = u.id WHERE u.email = 'someone@example.com' " +
		"AND o.status IN ('paid', 'shipped') AND o.total > 100.50 " +
		"ORDER BY o.created_at DESC LIMIT 20 OFFSET 40"
	q4k = buildLong(4096)
)

func buildLong(n int) string {
	var b strings.Builder
	b.WriteString("SELECT * FROM events WHERE tenant_id = 7")
	for i := 0; b.Len() < n-40; i++ {
		b.WriteString(" AND (kind = 'click' OR kind <> 'view') AND score >= 3.5")
	}
	return b.String()
}

func dynSpan(q, v string) []Span {
	i := strings.Index(q, v)
	return []Span{{Start: i, End: i + len(v)}}
}

func benchCheck(b *testing.B, q string, dyn []Span) { benchCheckIn(b, q, dyn, Generic) }

func benchCheckIn(b *testing.B, q string, dyn []Span, d Dialect) {
	b.ReportAllocs()
	b.SetBytes(int64(len(q)))
	for i := 0; i < b.N; i++ {
		if _, ok := Check(q, dyn, d); ok {
			b.Fatal("flagged")
		}
	}
}

func BenchmarkCheckRules60(b *testing.B)   { benchCheck(b, q60, nil) }
func BenchmarkCheckRules250(b *testing.B)  { benchCheck(b, q250, nil) }
func BenchmarkCheckRules4K(b *testing.B)   { benchCheck(b, q4k, nil) }
func BenchmarkCheckDynamic60(b *testing.B) { benchCheck(b, q60, dynSpan(q60, "a@b.c")) }
func BenchmarkCheckDynamic250(b *testing.B) {
	benchCheck(b, q250, dynSpan(q250, "someone@example.com"))
}
func BenchmarkCheckDynamic4K(b *testing.B) {
	i := strings.LastIndex(q4k, "'click'") + 1
	benchCheck(b, q4k, []Span{{Start: i, End: i + 5}})
}

func BenchmarkTokenize250(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(q250)))
	for i := 0; i < b.N; i++ {
		tz := NewTokenizer(q250, Generic)
		for tz.Next().Kind != KindEOF {
		}
	}
}

func BenchmarkRedact250(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = Redact(q250, Generic)
	}
}

func TestBenchQueriesSizes(t *testing.T) {
	if len(q60) != 60 || len(q250) < 240 || len(q250) > 260 || len(q4k) < 4000 || len(q4k) > 4096 {
		t.Fatalf("sizes %d %d %d", len(q60), len(q250), len(q4k))
	}
}

func TestZeroAllocs(t *testing.T) {
	dyn := dynSpan(q250, "someone@example.com")
	for _, c := range []struct {
		q   string
		dyn []Span
	}{{q250, nil}, {q250, dyn}, {"SELECT * FROM u WHERE id=1 OR 1=1 UNION SELECT 1,2 -- x", nil}} {
		n := testing.AllocsPerRun(100, func() { Check(c.q, c.dyn, Generic) })
		if n != 0 {
			t.Errorf("%d allocs for %q", int(n), c.q)
		}
	}
}

// ORM-sized queries: a 2 KiB INSERT ... RETURNING as gorm writes it for a
// wide model (placeholders in the dialect's style), and an IN list of 200
// placeholders. Parameterised: the fast path, per dialect.
var (
	ormInsertPG    = ormInsert(func(i int) string { return "$" + itoa(i) }, `"`)
	ormInsertMySQL = ormInsert(func(int) string { return "?" }, "`")
	inList200PG    = inList(func(i int) string { return "$" + itoa(i) })
	inList200MySQL = inList(func(int) string { return "?" })
)

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func ormInsert(ph func(int) string, q string) string {
	var cols, vals []string
	for i := 1; len(strings.Join(cols, ",")) < 1700; i++ {
		cols = append(cols, q+"attribute_number_"+itoa(i)+q)
		vals = append(vals, ph(i))
	}
	return "INSERT INTO " + q + "customer_profiles" + q + " (" + strings.Join(cols, ",") + ") VALUES (" +
		strings.Join(vals, ",") + ") RETURNING " + q + "id" + q + "," + q + "created_at" + q
}

func inList(ph func(int) string) string {
	var vals []string
	for i := 1; i <= 200; i++ {
		vals = append(vals, ph(i))
	}
	return "SELECT * FROM " + "products WHERE id IN (" + strings.Join(vals, ",") + ") AND deleted_at IS NULL"
}

func BenchmarkORMInsertPostgres(b *testing.B) { benchCheckIn(b, ormInsertPG, nil, Postgres) }
func BenchmarkORMInsertMySQL(b *testing.B)    { benchCheckIn(b, ormInsertMySQL, nil, MySQL) }
func BenchmarkORMInsertGeneric(b *testing.B)  { benchCheckIn(b, ormInsertPG, nil, Generic) }
func BenchmarkInList200Postgres(b *testing.B) { benchCheckIn(b, inList200PG, nil, Postgres) }
func BenchmarkInList200MySQL(b *testing.B)    { benchCheckIn(b, inList200MySQL, nil, MySQL) }
func BenchmarkInList200Generic(b *testing.B)  { benchCheckIn(b, inList200MySQL, nil, Generic) }
