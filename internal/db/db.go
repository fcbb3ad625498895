// Package db opens the store's database — a SQLite file or a PostgreSQL
// server — and hides the few places where the two engines differ.
//
// SQL is written once, in the subset both engines share, with $1…$n
// placeholders; for SQLite they are rewritten to ?1…?n. Reads go to a pool
// of readers, writes and transactions to the writer (on SQLite a single
// connection, so writers queue in Go instead of spinning on SQLITE_BUSY).
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/apperr"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// ErrNotFound is returned by lookups that find no row; it is the same
// sentinel as apperr.ErrNotFound so the HTTP layer maps it to 404.
var ErrNotFound = apperr.ErrNotFound

// Options tune how a database is opened.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "FULL" (default) survives a
	// power cut with every acknowledged commit; "NORMAL" survives a crash of
	// the process but may lose the last commits to a power cut.
	Synchronous string
	// Readers is the size of the read pool (default: 4 × CPUs, at least 8):
	// reads are short and many requests read at once; too few connections
	// and requests queue for one while cores idle.
	Readers int
	// SkipMigrate opens the database without applying migrations.
	SkipMigrate bool
	// BusyTimeout is how long SQLite waits for a lock held by another
	// process before giving up (default 10 s).
	BusyTimeout time.Duration
}

// DB is an open store database.
type DB struct {
	dialect Dialect
	w       *sql.DB
	r       *sql.DB
	where   string // file path or redacted URL, for messages

	// SQLite only: the group-commit writer and the prepared statements.
	batch          *batcher
	wstmts, rstmts *stmtCache
}

// Open opens the database named by dsn: a postgres:// or postgresql:// URL
// means PostgreSQL, anything else a SQLite file path (file: prefix allowed).
// It applies pending migrations unless opts.SkipMigrate is set, and refuses a
// database whose schema is newer than this binary.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("database: empty DSN; give a SQLite file path such as ./storeops.db or a postgres:// URL")
	}
	var d *DB
	var err error
	if IsPostgresDSN(dsn) {
		d, err = openPostgres(ctx, dsn)
	} else {
		d, err = openSQLite(ctx, dsn, opts)
	}
	if err != nil {
		return nil, err
	}
	if !opts.SkipMigrate {
		if _, err := d.Migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// IsPostgresDSN reports whether dsn names a PostgreSQL server.
func IsPostgresDSN(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("database: malformed PostgreSQL URL (want postgres://user@host:5432/dbname): %s", redact(dsn))
	}
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("database: open %s: %w", redact(dsn), err)
	}
	// Enough connections that concurrent commits share PostgreSQL's WAL
	// flushes (its own group commit); each holds a transaction for a few
	// round trips.
	pool.SetMaxOpenConns(max(16, 8*runtime.GOMAXPROCS(0)))
	pool.SetMaxIdleConns(max(16, 8*runtime.GOMAXPROCS(0)))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: cannot reach PostgreSQL at %s: %w", redact(dsn), err)
	}
	return &DB{dialect: Postgres, w: pool, r: pool, where: redact(dsn)}, nil
}

func openSQLite(ctx context.Context, dsn string, opts Options) (*DB, error) {
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || path == ":memory:" {
		return nil, errors.New("database: SQLite needs a file path (an in-memory database cannot share its writer and readers)")
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("database: folder %q for the SQLite file does not exist", dir)
		}
	}
	sync := strings.ToUpper(opts.Synchronous)
	if sync == "" {
		sync = "FULL"
	}
	switch sync {
	case "FULL", "NORMAL", "EXTRA":
	default:
		return nil, fmt.Errorf("database: synchronous must be FULL, NORMAL or EXTRA, not %q", opts.Synchronous)
	}
	// busy_timeout comes first so that the pragmas after it wait for a lock
	// instead of failing at once.
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	base := "file:" + path + "?_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(" + sync + ")"
	// temp_store=MEMORY keeps the savepoint sub-journals of group commit
	// (internal/db/batch.go) in memory instead of a temporary file.
	// The writer's page cache is 64 MB instead of SQLite's 2 MB: every
	// write walks the indexes it touches, and with a store of millions of
	// rows (events, orders) a 2 MB cache rereads their pages from the OS
	// on every insert (measured: a B-tree insert into the events' indexes
	// costs twice as much). Pages are allocated as used, so a small store
	// does not pay for it.
	w, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=temp_store(2)&_pragma=cache_size(-"+strconv.Itoa(writerCacheKB)+")")
	if err != nil {
		return nil, fmt.Errorf("database: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := w.PingContext(pctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("database: open SQLite file %s: %w", path, sqliteHint(err))
	}
	// Take the write lock once: a file held by another process answers here,
	// with a message, rather than on the first order.
	if _, err := w.ExecContext(pctx, "BEGIN IMMEDIATE; COMMIT"); err != nil {
		w.Close()
		return nil, fmt.Errorf("database: SQLite file %s: %w", path, sqliteHint(err))
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("database: open readers for %s: %w", path, err)
	}
	n := opts.Readers
	if n <= 0 {
		n = max(8, 4*runtime.GOMAXPROCS(0))
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d := &DB{dialect: SQLite, w: w, r: r, where: path, wstmts: newStmtCache(w), rstmts: newStmtCache(r)}
	d.batch = newBatcher(d)
	return d, nil
}

// writerCacheKB is the SQLite writer's page cache, in KiB.
const writerCacheKB = 65536

func sqliteHint(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked"):
		return fmt.Errorf("the file is locked by another process (is another storeops running on it?): %w", err)
	case strings.Contains(msg, "SQLITE_NOTADB") || strings.Contains(msg, "not a database"):
		return fmt.Errorf("the file is not a SQLite database: %w", err)
	case strings.Contains(msg, "SQLITE_CANTOPEN") || strings.Contains(msg, "unable to open"):
		return fmt.Errorf("cannot open the file (check the path and permissions): %w", err)
	}
	return err
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}

// Dialect is the engine behind d.
func (d *DB) Dialect() Dialect { return d.dialect }

// Where names the database for messages (PostgreSQL passwords redacted).
func (d *DB) Where() string { return d.where }

// Close closes every pool.
func (d *DB) Close() error {
	if d.batch != nil {
		d.batch.close()
		d.wstmts.close()
		d.rstmts.close()
	}
	err := d.w.Close()
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	return err
}

// Ping checks that the database answers, for readiness probes.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.w.PingContext(ctx); err != nil {
		return err
	}
	return d.r.PingContext(ctx)
}

// Queryer is what both a DB and a Tx offer, so that a service function can
// run inside or outside a transaction.
type Queryer interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// Exec runs a statement on the writer, in a transaction of its own.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if d.batch != nil {
		// Through the writer goroutine, so that it shares a commit with
		// whatever else is waiting.
		var res sql.Result
		err := d.batch.run(ctx, kindStmt, func(tx *Tx) error {
			var err error
			res, err = tx.Exec(ctx, query, args...)
			return err
		})
		return res, err
	}
	return d.w.ExecContext(ctx, d.rebind(query), args...)
}

// Query reads from the reader pool.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q := d.rebind(query)
	if st := d.readStmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.r.QueryContext(ctx, q, args...)
}

// QueryRow reads one row from the reader pool.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	q := d.rebind(query)
	if st := d.readStmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.r.QueryRowContext(ctx, q, args...)
}

func (d *DB) readStmt(ctx context.Context, q string) *sql.Stmt {
	if d.rstmts == nil {
		return nil
	}
	if st := d.rstmts.get(q); st != nil {
		return st
	}
	return d.rstmts.prepare(ctx, q)
}

// prepareQueued prepares the statements transactions ran as text.
func (d *DB) prepareQueued() {
	if d.wstmts != nil {
		d.wstmts.prepareQueued()
	}
}

// Tx is a write transaction.
type Tx struct {
	tx      *sql.Tx
	d       *DB
	batched bool // in a group commit: statements ignore cancellation
	// wrote says whether a statement that may write ran since the batch
	// last cleared it: a rerunnable fn that fails before writing needs no
	// replay of its batch.
	wrote bool
}

// mayWrite reports whether a query may change the database: any Exec, and
// a query that starts with INSERT, UPDATE, DELETE or WITH (… RETURNING).
func mayWrite(q string) bool {
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case ' ', '\t', '\n', '\r':
			continue
		default:
			switch c | 0x20 { // lower case
			case 'i', 'u', 'd', 'w', 'r': // INSERT UPDATE DELETE WITH REPLACE
				return true
			}
			return false
		}
	}
	return false
}

func (t *Tx) Dialect() Dialect { return t.d.dialect }

// DB is the database the transaction runs on.
func (t *Tx) DB() *DB { return t.d }

func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.wrote = true
	if t.batched {
		ctx = context.Background()
	}
	q := t.d.rebind(query)
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.wrote = t.wrote || mayWrite(query)
	if t.batched {
		ctx = context.Background()
	}
	q := t.d.rebind(query)
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	t.wrote = t.wrote || mayWrite(query)
	if t.batched {
		ctx = context.Background()
	}
	q := t.d.rebind(query)
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// stmt is the writer's prepared statement for q bound to this
// transaction, or nil (q is queued to be prepared after the batch).
func (t *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	c := t.d.wstmts
	if c == nil {
		return nil
	}
	if st := c.get(q); st != nil {
		return t.tx.StmtContext(ctx, st)
	}
	c.queue(q)
	return nil
}

// Prepare prepares a statement inside the transaction, for bulk loads.
func (t *Tx) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.d.rebind(query))
}

// InTx runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise. On PostgreSQL a serialization failure or deadlock
// is retried a few times, since the whole of fn can simply run again.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if d.batch != nil {
		return d.batch.run(ctx, kindGuarded, fn)
	}
	const attempts = 5
	var err error
	for i := range attempts {
		err = d.inTxOnce(ctx, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}

// InTxRerun is InTx for a fn that only reads and writes the database and
// may therefore run more than once: whatever it does besides its
// statements (setting its caller's variables) must come out the same when
// it runs again. It never calls out of the process (a payment provider, a
// webhook) and never appends to a slice it does not reset. On SQLite such
// a fn shares its commit without a savepoint (see batch.go).
func (d *DB) InTxRerun(ctx context.Context, fn func(tx *Tx) error) error {
	if d.batch != nil {
		return d.batch.run(ctx, kindRerun, fn)
	}
	return d.InTx(ctx, fn)
}

func (d *DB) inTxOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: sqlTx, d: d}
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	msg := err.Error()
	// 40001 serialization_failure, 40P01 deadlock_detected.
	return strings.Contains(msg, "SQLSTATE 40001") || strings.Contains(msg, "SQLSTATE 40P01")
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 23505") || strings.Contains(msg, "UNIQUE constraint failed")
}

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 23503") || strings.Contains(msg, "FOREIGN KEY constraint failed")
}

// IsCheckViolation reports whether err is a CHECK-constraint violation.
func IsCheckViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 23514") || strings.Contains(msg, "CHECK constraint failed")
}

// IsNoRows reports whether err says a query returned no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
