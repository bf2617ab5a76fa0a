// Package store is hubprofiles' persistence: an append-only, linear history of
// revisions and an append-only log of publications, in SQLite (the default, a
// file on the hub's volume) or PostgreSQL. All of hubprofiles' SQL lives here.
//
// Nothing is ever updated or deleted. The database itself refuses it: triggers
// abort UPDATE and DELETE (and TRUNCATE on PostgreSQL) on both tables, so a
// bug elsewhere, or an admin at a SQL prompt, cannot rewrite history without
// first dropping a trigger, which Verify reports. Every revision carries a
// SHA-256 of its content and a hash chained over its parent's, and one chain
// of links runs over every write, revisions and publications in commit order
// (chain.go), so Verify can also tell when a row was changed, added or
// removed behind the triggers' back; the chain head, logged after each write
// (WithLogger), lets it tell when the newest rows were removed.
//
// Writes are optimistic: Append names the head it was based on and fails with
// a *ConflictError when the head has moved, never overwriting a concurrent
// change. The database guarantees it: a revision's id is its parent's id plus
// one and is the primary key, so of two writers on the same base exactly one
// can insert.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned, wrapped, when a revision or publication does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is what a *ConflictError is: errors.Is(err, ErrConflict).
var ErrConflict = errors.New("conflict")

// ConflictError says that a write was based on a revision that is no longer
// the head: someone else wrote in between. Nothing was written.
type ConflictError struct {
	Base int64 // the head the writer saw
	Head int64 // the head now
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflict: the change was based on revision %d but the head is now revision %d", e.Base, e.Head)
}

// Is makes errors.Is(err, ErrConflict) true for a *ConflictError.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Dialects, as Dialect returns them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// SQLite connection settings; see sqliteDSN for why.
const sqliteBusyTimeout = 5 * time.Second

// Store is a handle on the database. It is safe for concurrent use.
type Store struct {
	db      *gorm.DB
	dialect string
	// writeSlot serialises this process's SQLite write transactions (a
	// semaphore of one, so a waiter can give up when its ctx ends). SQLite
	// allows one writer at a time anyway; queueing here instead of in
	// SQLite's busy handler, which polls with growing sleeps, keeps waits
	// short and fair. Other processes are still serialised by BEGIN IMMEDIATE
	// and busy_timeout. Nil for PostgreSQL.
	writeSlot chan struct{}
	// bases caches the newest base revision that others are compressed
	// against (content.go).
	bases baseCache
	// log receives the chain head after every write (WithLogger); nil
	// logs nothing.
	log *slog.Logger
}

// Option changes how Open sets up a Store.
type Option func(*Store)

// WithLogger makes the store log the history chain's head, at Info, when it
// opens and after every write it commits: "history chain head" with
// chain_head=SEQ:HASH. Kept outside the database (the pod's log collector),
// these lines are the witnesses that verify --expect checks: the database
// alone cannot prove that its newest entries were not deleted.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Open connects to the database at url and brings its schema up to date.
//
// A url starting with postgres:// or postgresql:// is a PostgreSQL connection
// URL (libpq syntax, as pgx reads it). Anything else is a SQLite file path,
// optionally prefixed with sqlite: or sqlite://; the file is created if
// missing, its directory is not.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	s, err := Connect(url, opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Connect returns a store on url without reaching the database: connections
// are made on first use, and again after the database comes back. The server
// uses it to start while the database is down; Migrate must succeed before
// the store is used. Only a malformed url is an error here.
func Connect(url string, opts ...Option) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard, // errors are returned, and logged once by whoever handles them
		SkipDefaultTransaction: true,           // the store opens its own transactions
		NowFunc:                now,
		DisableAutomaticPing:   true, // Migrate (or the first query) is where an unreachable database shows
	}
	var (
		s    = &Store{}
		dia  gorm.Dialector
		pool *sqlitePool
	)
	for _, o := range opts {
		o(s)
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		s.dialect = DialectPostgres
		dia = postgres.Open(url)
	} else {
		s.dialect = DialectSQLite
		dsn, err := sqliteDSN(url)
		if err != nil {
			return nil, err
		}
		if pool, err = newSQLitePool(dsn); err != nil {
			return nil, err
		}
		dia = &sqlite.Dialector{DSN: dsn, Conn: pool}
		s.writeSlot = make(chan struct{}, 1)
	}
	db, err := gorm.Open(dia, cfg)
	if pool != nil {
		pool.memory.Close()
		pool.memory = nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s database: %w", s.dialect, err)
	}
	s.db = db
	return s, nil
}

// Migrate brings the schema up to date (Open does it; a store from Connect
// needs it once the database answers), then logs the history chain head (see
// WithLogger). It is safe to run again.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if s.log != nil {
		head, err := s.ChainHead(ctx)
		if err != nil {
			return err
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "history chain head", slog.String("chain_head", head.String()), slog.String("at", "open"))
	}
	return nil
}

// Ping checks that the database answers a query. On SQLite the query reads
// the file (its schema), so that a locked or unreadable file fails it.
func (s *Store) Ping(ctx context.Context) error {
	q := "SELECT 1"
	if s.dialect == DialectSQLite {
		q = "SELECT count(*) FROM sqlite_master"
	}
	if err := s.db.WithContext(ctx).Exec(q).Error; err != nil {
		return fmt.Errorf("store: %s database: %w", s.dialect, err)
	}
	return nil
}

// sqlitePool is the SQLite connection pool. gorm's SQLite dialector asks
// the library's version when it opens, which opens the file; with the file
// unreadable or locked, that would fail the start. The version is the
// linked library's, the same for every file, so an in-memory database
// answers that one question and the file is opened on first use.
type sqlitePool struct {
	*sql.DB
	memory *sql.DB // answers sqlite_version() during gorm.Open only
}

func newSQLitePool(dsn string) (*sqlitePool, error) {
	db, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite database: %w", err)
	}
	mem, err := sql.Open(sqlite.DriverName, ":memory:")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite database: %w", err)
	}
	return &sqlitePool{DB: db, memory: mem}, nil
}

func (p *sqlitePool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if p.memory != nil && query == "select sqlite_version()" {
		return p.memory.QueryRowContext(ctx, query)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// GetDBConn lets gorm's DB() (and so Close) reach the real pool.
func (p *sqlitePool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// ChainHead is the newest link of the history chain; Seq 0 when nothing was
// ever written.
func (s *Store) ChainHead(ctx context.Context) (ChainHead, error) {
	h, err := chainHead(s.db.WithContext(ctx))
	if err != nil {
		return ChainHead{}, fmt.Errorf("store: %w", err)
	}
	return h, nil
}

// logHead logs the chain head a write committed (see WithLogger).
func (s *Store) logHead(ctx context.Context, head ChainHead, revisionID, publicationID int64) {
	if s.log == nil {
		return
	}
	attrs := []slog.Attr{slog.String("chain_head", head.String()), slog.Int64("revision", revisionID)}
	if publicationID != 0 {
		attrs = append(attrs, slog.Int64("publication", publicationID))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "history chain head", attrs...)
}

// sqliteDSN turns a SQLite path into glebarez/go-sqlite's DSN with the
// settings every connection needs (pragmas are per connection, so they go in
// the DSN, not in a one-off statement):
//
//   - busy_timeout(5000): a writer from another process waits up to 5 s for
//     the write lock instead of failing with SQLITE_BUSY at once.
//   - journal_mode(WAL): readers never block the writer nor the writer them.
//   - synchronous(FULL): WAL is fsynced at every commit. With NORMAL, a
//     committed transaction survives the process being killed (SIGKILL, OOM:
//     the WAL frames are in the OS page cache, which outlives the process,
//     and the next open replays them) but the last ones can be lost if the
//     node loses power or the kernel panics. Revisions are written by people
//     a few times an hour, one fsync per commit costs about a millisecond, and
//     an acknowledged edit that vanishes is exactly what this service is for
//     preventing, so FULL.
//   - foreign_keys(1): SQLite does not enforce REFERENCES without it.
//   - _txlock=immediate: write transactions start with BEGIN IMMEDIATE,
//     taking the write lock up front (waiting per busy_timeout). With the
//     default BEGIN DEFERRED, a transaction that read first and then tries to
//     write fails with SQLITE_BUSY immediately, without waiting, whenever
//     another connection wrote meanwhile. Read-only transactions
//     (sql.TxOptions.ReadOnly) still use plain BEGIN.
func sqliteDSN(raw string) (string, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite://"), "sqlite:")
	if path == "" {
		return "", errors.New("store: empty SQLite database path")
	}
	if strings.Contains(path, "?") {
		// The driver would read what follows as its own parameters, and a
		// caller's _time_format silently disables _txlock in this driver.
		return "", fmt.Errorf("store: SQLite database path %q must not contain '?'", path)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode(), nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// now is the time the store records: UTC, truncated to microseconds, which
// both databases store exactly (the chain hash covers it, so what is read back
// must equal what was hashed).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// write runs fn in a write transaction, queued behind this process's other
// writers on SQLite.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.writeSlot != nil {
		select {
		case s.writeSlot <- struct{}{}:
			defer func() { <-s.writeSlot }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.db.WithContext(ctx).Transaction(fn)
}
