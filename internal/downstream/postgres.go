package downstream

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// readerMark is in the text of every query the postgres reader runs, so
// that pg_stat_statements' count of them is left out.
const readerMark = "loadcheck downstream reader"

// Every query runs in the simple protocol: one statement, one transaction,
// no separate prepare, so the reader's own transactions are exactly its
// reads.
var (
	statementsQuery = `SELECT /* ` + readerMark + ` */ s.query, s.calls::float8
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = current_database() AND s.query NOT LIKE '%` + readerMark + `%'`
	// The reader's own transaction is flushed to the statistics as it
	// ends (PostgreSQL 15 and later), so that the next reading holds it
	// and can leave it out.
	transactionsQuery = `SELECT /* ` + readerMark + ` */ (xact_commit + xact_rollback)::float8%s
FROM pg_stat_database WHERE datname = current_database()`
)

// postgres counts the statements of one database, from pg_stat_statements
// when the extension is there, else its transactions from
// pg_stat_database.
type postgres struct {
	mu         sync.Mutex
	conn       *pgx.Conn
	statements *regexp.Regexp
	// source is SourceStatements or SourceTransaction, chosen at open and
	// kept for the run: the two do not count the same thing.
	source string
	flush  string // ", pg_stat_force_next_flush()" where the server has it
	reads  int    // transactions of this reader before the current read
}

func openPostgres(ctx context.Context, s scenario.PostgresSpec) (*postgres, error) {
	cfg, err := pgx.ParseConfig(s.DSN)
	if err != nil {
		return nil, fmt.Errorf("dsn: %v — write a postgresql:// URL such as postgresql://titan@127.0.0.1:5432/titan", redactDSN(err, s.DSN))
	}
	cfg.ConnectTimeout = readTimeout
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.RuntimeParams["application_name"] = "loadcheck downstream reader"
	cctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %v — start the database, or fix the dsn (user, password, host, port, database)",
			cfg.Host, redactDSN(err, s.DSN))
	}
	p := &postgres{conn: conn, statements: s.Statements, source: SourceStatements}
	if err := p.chooseSource(cctx); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return p, nil
}

// chooseSource tries pg_stat_statements and falls back to pg_stat_database
// when the extension is not created or not preloaded.
func (p *postgres) chooseSource(ctx context.Context) error {
	_, err := p.conn.Exec(ctx, statementsQuery+" LIMIT 0")
	p.reads++
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "55000"):
		// undefined_table: no extension; object_not_in_prerequisite_state:
		// not in shared_preload_libraries.
		if p.statements != nil {
			// Transactions cannot be filtered by statement: counting them
			// instead would answer another question than the file asks.
			return fmt.Errorf("statements: %q filters pg_stat_statements, which this database does not have (%s) — "+
				"set shared_preload_libraries = 'pg_stat_statements', restart, and CREATE EXTENSION pg_stat_statements; "+
				"or remove statements: to count transactions from pg_stat_database", p.statements, pe.Message)
		}
		p.source = SourceTransaction
	default:
		return fmt.Errorf("read pg_stat_statements: %v", err)
	}
	major, _, _ := strings.Cut(p.conn.PgConn().ParameterStatus("server_version"), ".")
	if n, err := strconv.Atoi(strings.TrimRightFunc(major, func(r rune) bool { return r < '0' || r > '9' })); err != nil || n < 15 {
		// Before 15 a session's statistics reach the view within
		// about half a second: close, not exact.
		return nil
	}
	p.flush = ", pg_stat_force_next_flush()::text"
	// Flush what this session did so far (connecting, the query above),
	// so that from the first reading on every one of its transactions is
	// in the statistics when the next reading is taken.
	if _, err := p.conn.Exec(ctx, "SELECT /* "+readerMark+" */ pg_stat_force_next_flush()"); err != nil {
		return fmt.Errorf("flush statistics: %v", err)
	}
	p.reads++
	return nil
}

// Source says which view the counts come from.
func (p *postgres) Source() string { return p.source }

func (p *postgres) Read(ctx context.Context) (Reading, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return Reading{}, errClosed
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	var r Reading
	var err error
	if p.source == SourceStatements {
		r, err = p.readStatements(ctx)
	} else {
		r, err = p.readTransactions(ctx)
	}
	p.reads++
	r.At, r.Source = time.Now(), p.source
	return r, err
}

func (p *postgres) readStatements(ctx context.Context) (Reading, error) {
	rows, err := p.conn.Query(ctx, statementsQuery)
	if err != nil {
		return Reading{}, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	r := Reading{By: map[string]float64{}}
	var text string
	var calls float64
	_, err = pgx.ForEachRow(rows, []any{&text, &calls}, func() error {
		if p.statements != nil && !p.statements.MatchString(text) {
			return nil
		}
		r.Total += calls
		r.By[truncKey(strings.Join(strings.Fields(text), " "))] += calls
		return nil
	})
	if err != nil {
		return Reading{}, fmt.Errorf("read pg_stat_statements: %w", err)
	}
	return r, nil
}

func (p *postgres) readTransactions(ctx context.Context) (Reading, error) {
	var total float64
	dest := []any{&total}
	if p.flush != "" {
		dest = append(dest, new(string))
	}
	if err := p.conn.QueryRow(ctx, fmt.Sprintf(transactionsQuery, p.flush)).Scan(dest...); err != nil {
		return Reading{}, fmt.Errorf("read pg_stat_database: %w", err)
	}
	// Every earlier read of this reader was one transaction.
	return Reading{Total: total - float64(p.reads)}, nil
}

func (p *postgres) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	err := p.conn.Close(ctx)
	p.conn = nil
	return err
}

// redactDSN replaces the dsn's password in err's text, which pgx may
// quote.
func redactDSN(err error, dsn string) string {
	msg := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}
