package downstream_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/downstream/dbtest"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

func pgDownstream(name, dsn string, statements *regexp.Regexp) scenario.Downstream {
	return scenario.Downstream{Name: name, Kind: scenario.DownstreamPostgres, Where: "target.yaml:7:5",
		Postgres: &scenario.PostgresSpec{DSN: dsn, Statements: statements}}
}

func mustRead(t *testing.T, c downstream.Counter) downstream.Reading {
	t.Helper()
	r, err := c.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// connect opens a client of the database, as a target would.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// One statement, one transaction: the fallback counts transactions.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func run(t *testing.T, conn *pgx.Conn, n int, sql string) {
	t.Helper()
	for i := range n {
		if _, err := conn.Exec(context.Background(), sql, i); err != nil {
			t.Fatal(err)
		}
	}
}

// truthCalls is the calls pg_stat_statements holds for the statements
// matching like, read by psql: the truth the reader is held to.
func truthCalls(t *testing.T, pg *dbtest.Postgres, like string) float64 {
	t.Helper()
	out := pg.Psql(t, "titan", "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "+
		"WHERE d.datname = 'titan' AND query LIKE '"+like+"'")
	v, err := strconv.ParseFloat(out, 64)
	if err != nil {
		t.Fatalf("psql: %q: %v", out, err)
	}
	return v
}

func TestPostgres(t *testing.T) {
	pg := dbtest.StartPostgres(t)
	pg.Psql(t, "titan", "CREATE TABLE items (id int, price int); INSERT INTO items SELECT g, g FROM generate_series(1, 100) g")
	pg.Psql(t, "plain", "CREATE TABLE items (id int)")
	conn := connect(t, pg.DSN("titan"))

	t.Run("statements", func(t *testing.T) { testStatements(t, pg, conn) })
	t.Run("statements filtered", func(t *testing.T) { testFiltered(t, pg, conn) })
	t.Run("transactions without the extension", func(t *testing.T) { testTransactions(t, pg) })
	t.Run("filter without the extension", func(t *testing.T) { testFilterNeedsExtension(t, pg) })
	t.Run("dsn that does not connect", func(t *testing.T) { testNoConnect(t, pg) })
}

// testStatements counts the statements a client runs, as psql reads them
// from pg_stat_statements, and not its own reading queries.
func testStatements(t *testing.T, pg *dbtest.Postgres, conn *pgx.Conn) {
	c, err := downstream.Open(context.Background(), pgDownstream("postgres", pg.DSN("titan"), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const k = 37
	truth0, r0 := truthCalls(t, pg, "%FROM items WHERE id <%"), mustRead(t, c)
	run(t, conn, k, "SELECT count(*) FROM items WHERE id < $1")
	r1 := mustRead(t, c)
	// Its own reading queries are not calls of the target.
	if r2 := mustRead(t, c); r2.Total != r1.Total {
		t.Errorf("a reading with no statement in between moved the counter from %.0f to %.0f", r1.Total, r2.Total)
	}
	truth := truthCalls(t, pg, "%FROM items WHERE id <%") - truth0
	got := r1.Total - r0.Total
	t.Logf("statements: truth (psql on pg_stat_statements) %.0f, executed %d, counter %.0f", truth, k, got)
	if got != k || truth != k {
		t.Errorf("counted %.0f statements, psql %.0f, want %d", got, truth, k)
	}
	if r1.Source != downstream.SourceStatements {
		t.Errorf("source %q, want %q", r1.Source, downstream.SourceStatements)
	}
	key := "SELECT count(*) FROM items WHERE id < $1"
	if n := r1.By[key] - r0.By[key]; n != k {
		t.Errorf("By[%q] grew by %.0f, want %d (By: %v)", key, n, k, r1.By)
	}
}

// testFiltered counts only the statements the regex matches.
func testFiltered(t *testing.T, pg *dbtest.Postgres, conn *pgx.Conn) {
	c, err := downstream.Open(context.Background(), pgDownstream("postgres", pg.DSN("titan"), regexp.MustCompile(`(?i)count\(`)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r0 := mustRead(t, c)
	run(t, conn, 11, "SELECT count(*) FROM items WHERE price > $1")
	run(t, conn, 23, "SELECT sum(price) FROM items WHERE id > $1")
	r1 := mustRead(t, c)
	t.Logf("filtered: executed 11 COUNT and 23 SUM, counter %.0f", r1.Total-r0.Total)
	if got := r1.Total - r0.Total; got != 11 {
		t.Errorf("counted %.0f statements matching count(, want 11", got)
	}
	for k := range r1.By {
		if !strings.Contains(strings.ToLower(k), "count(") {
			t.Errorf("By holds %q, which the filter does not match", k)
		}
	}
}

// testTransactions counts transactions from pg_stat_database where the
// database has no pg_stat_statements, leaving its own reads out.
func testTransactions(t *testing.T, pg *dbtest.Postgres) {
	c, err := downstream.Open(context.Background(), pgDownstream("postgres", pg.DSN("plain"), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	worker := connect(t, pg.DSN("plain"))
	run(t, worker, 1, "SELECT pg_stat_force_next_flush(), $1::int")
	r0 := mustRead(t, c)
	if r0.Source != downstream.SourceTransaction {
		t.Fatalf("source %q without pg_stat_statements, want %q", r0.Source, downstream.SourceTransaction)
	}
	const k = 29
	run(t, worker, k, "SELECT count(*) FROM items WHERE id < $1")
	// A session's statistics reach pg_stat_database by the time it ends.
	worker.Close(context.Background())
	var got float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got = mustRead(t, c).Total - r0.Total; got >= k {
			break
		}
	}
	time.Sleep(200 * time.Millisecond)
	again := mustRead(t, c).Total - r0.Total
	t.Logf("transactions: executed %d, counter %.0f, read again %.0f", k, got, again)
	if got != k || again != k {
		t.Errorf("counted %.0f transactions, then %.0f, want %d", got, again, k)
	}
}

// testFilterNeedsExtension refuses a statements: filter on a database
// without pg_stat_statements, before any load, rather than counting every
// transaction under a filter that was never applied.
func testFilterNeedsExtension(t *testing.T, pg *dbtest.Postgres) {
	c, err := downstream.Open(context.Background(), pgDownstream("postgres", pg.DSN("plain"), regexp.MustCompile("COUNT")))
	if err == nil {
		c.Close()
		t.Fatal("Open with statements: on a database without pg_stat_statements = nil error")
	}
	for _, want := range []string{`downstream "postgres" (target.yaml:7:5)`, "statements:", "CREATE EXTENSION pg_stat_statements", "remove statements:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// testNoConnect refuses a dsn nothing answers, naming the downstream,
// where it is written and the fix.
func testNoConnect(t *testing.T, pg *dbtest.Postgres) {
	dsn := strings.Replace(pg.DSN("titan"), strconv.Itoa(pg.Port), "1", 1)
	_, err := downstream.Open(context.Background(), pgDownstream("orders", dsn, nil))
	if err == nil {
		t.Fatal("Open of a dsn nothing listens on = nil error")
	}
	for _, want := range []string{`downstream "orders" (target.yaml:7:5)`, "cannot connect to 127.0.0.1", "start the database, or fix the dsn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
