package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/testpg"
)

// TestMain stops the PostgreSQL server that testpg.Shared starts.
func TestMain(m *testing.M) { os.Exit(testpg.Run(m)) }

// backends are the databases every store test runs against: each returns
// the URL of a fresh, empty database.
var backends = []struct {
	name string
	url  func(t testing.TB) string
}{
	{DialectSQLite, func(t testing.TB) string { return filepath.Join(t.TempDir(), "hubprofiles.db") }},
	{DialectPostgres, testpg.Shared},
}

// forEachDB runs fn against a fresh store on each backend.
func forEachDB(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fn(t, openStore(t, b.url(t)))
		})
	}
}

func openStore(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// appendN appends n revisions on top of the head and returns them.
func appendN(t testing.TB, s *Store, n int) []*Revision {
	t.Helper()
	ctx := context.Background()
	base, err := s.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Revision
	for i := range n {
		id := base + int64(i) + 1
		r, err := s.Append(ctx, NewRevision{
			Base:        base + int64(i),
			Catalog:     []byte(`{"images":[],"rev":` + itoa(id) + `}`),
			ProfileList: []byte(`[{"display_name":"r` + itoa(id) + `"}]`),
			Author:      "alice",
			Message:     "change " + itoa(id),
		})
		if err != nil {
			t.Fatalf("Append on %d: %v", base+int64(i), err)
		}
		out = append(out, r)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sameRevision reports how got differs from want, "" if not at all.
func sameRevision(got, want *Revision, withContent bool) string {
	var diffs []string
	check := func(name string, ok bool) {
		if !ok {
			diffs = append(diffs, name)
		}
	}
	check("ID", got.ID == want.ID)
	check("ParentID", got.ParentID == want.ParentID)
	check("CreatedAt", got.CreatedAt.Equal(want.CreatedAt) && got.CreatedAt.Location() == time.UTC)
	check("Author", got.Author == want.Author)
	check("Message", got.Message == want.Message)
	check("ContentSHA256", got.ContentSHA256 == want.ContentSHA256)
	check("ChainSHA256", got.ChainSHA256 == want.ChainSHA256)
	if withContent {
		check("Catalog", string(got.Catalog) == string(want.Catalog))
		check("ProfileList", string(got.ProfileList) == string(want.ProfileList))
	} else {
		check("Catalog (want nil)", got.Catalog == nil)
		check("ProfileList (want nil)", got.ProfileList == nil)
	}
	if diffs == nil {
		return ""
	}
	return "differs in " + strings.Join(diffs, ", ")
}

func TestOpenURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		url     string
		dialect string
		file    string // the SQLite file it must create
	}{
		{filepath.Join(dir, "plain.db"), DialectSQLite, "plain.db"},
		{"sqlite:" + filepath.Join(dir, "prefixed.db"), DialectSQLite, "prefixed.db"},
		{"sqlite://" + filepath.Join(dir, "slashes.db"), DialectSQLite, "slashes.db"},
		{testpg.Shared(t), DialectPostgres, ""},
		{strings.Replace(testpg.Shared(t), "postgres://", "postgresql://", 1), DialectPostgres, ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s := openStore(t, tt.url)
			if got := s.Dialect(); got != tt.dialect {
				t.Errorf("Dialect() = %q, want %q", got, tt.dialect)
			}
			if tt.file != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.file)); err != nil {
					t.Errorf("database file: %v", err)
				}
			}
			if _, err := s.Count(context.Background()); err != nil {
				t.Errorf("Count: %v", err)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	for _, url := range []string{"", "sqlite:", "sqlite://", filepath.Join(t.TempDir(), "x.db") + "?_time_format=sqlite"} {
		t.Run(url, func(t *testing.T) {
			s, err := Open(context.Background(), url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", url)
			}
		})
	}
}

// TestSQLiteSettings checks that every connection gets the pragmas the DSN
// asks for, and that write transactions begin IMMEDIATE.
func TestSQLiteSettings(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	ctx := context.Background()
	sqlDB, err := s.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	// Hold several connections at once so that more than the first is checked.
	var conns []interface{ Close() error }
	for range 3 {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for _, p := range []struct{ pragma, want string }{
			{"journal_mode", "wal"}, {"synchronous", "2"}, {"foreign_keys", "1"}, {"busy_timeout", "5000"},
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != p.want {
				t.Errorf("PRAGMA %s = %s, want %s", p.pragma, got, p.want)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}

	// BEGIN IMMEDIATE takes the write lock at once: while one write
	// transaction is open, a second connection cannot even begin one. (This
	// driver's BEGIN ignores ctx, so lower busy_timeout to keep the wait short.)
	tx1, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback()
	c2, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.ExecContext(ctx, "PRAGMA busy_timeout = 300"); err != nil {
		t.Fatal(err)
	}
	defer c2.ExecContext(ctx, "PRAGMA busy_timeout = 5000")
	start := time.Now()
	tx2, err := c2.BeginTx(ctx, nil)
	if err == nil {
		tx2.Rollback()
		t.Fatal("a second write transaction began while the first was open: _txlock=immediate is not in effect")
	}
	if waited := time.Since(start); waited < 250*time.Millisecond || !strings.Contains(err.Error(), "SQLITE_BUSY") {
		t.Errorf("second BEGIN failed after %v with %v, want SQLITE_BUSY after waiting busy_timeout", waited, err)
	}
	// A read-only transaction still begins (BEGIN DEFERRED) and reads.
	ro, err := c2.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only transaction during a write one: %v", err)
	}
	var n int
	if err := ro.QueryRowContext(ctx, "SELECT COUNT(*) FROM revisions").Scan(&n); err != nil {
		t.Errorf("read during a write transaction: %v", err)
	}
	ro.Rollback()
}

func TestMigrationLists(t *testing.T) {
	for name, ms := range map[string][]migration{DialectSQLite: sqliteMigrations, DialectPostgres: postgresMigrations} {
		for i, m := range ms {
			if m.version != i+1 {
				t.Errorf("%s migration #%d has version %d, want %d", name, i, m.version, i+1)
			}
			if len(m.statements) == 0 || m.name == "" {
				t.Errorf("%s migration %d has no name or no statements", name, m.version)
			}
		}
	}
	if len(sqliteMigrations) != len(postgresMigrations) {
		t.Errorf("%d SQLite migrations but %d PostgreSQL ones: a schema change goes to both", len(sqliteMigrations), len(postgresMigrations))
	}
}

func TestMigrationsRecorded(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		var rows []schemaMigration
		if err := s.db.Order("version").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(s.migrations()) {
			t.Fatalf("schema_migrations has %d rows, want %d", len(rows), len(s.migrations()))
		}
		for i, r := range rows {
			if r.Version != i+1 || r.AppliedAt.IsZero() {
				t.Errorf("row %d = %+v", i, r)
			}
		}
	})
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hubprofiles.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	revs := appendN(t, s, 3)
	if _, err := s.Publish(ctx, 2, "bob", "go live"); err != nil {
		t.Fatal(err)
	}
	var before []schemaMigration
	if err := s.db.Order("version").Find(&before).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, "sqlite:"+path)
	var after []schemaMigration
	if err := s.db.Order("version").Find(&after).Error; err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("schema_migrations has %d rows after reopening, %d before", len(after), len(before))
	}
	for i := range after {
		if !after[i].AppliedAt.Equal(before[i].AppliedAt) {
			t.Errorf("migration %d re-applied: applied_at %v, was %v", after[i].Version, after[i].AppliedAt, before[i].AppliedAt)
		}
	}
	for _, want := range revs {
		got, err := s.Get(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameRevision(got, want, true); d != "" {
			t.Errorf("revision %d after reopening %s", want.ID, d)
		}
	}
	pub, rev, err := s.Live(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pub.RevisionID != 2 || rev.ID != 2 || pub.Author != "bob" {
		t.Errorf("Live after reopening = %+v, revision %d", pub, rev.ID)
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK() || rep.Revisions != 3 || rep.Publications != 1 {
		t.Errorf("Verify after reopening = %+v, %v", rep, err)
	}
}

// TestNewerSchemaRefused: an old binary must not run against a schema it
// does not know.
func TestNewerSchemaRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		next := len(s.migrations()) + 1
		if err := s.db.Create(&schemaMigration{Version: next, Name: "from the future", AppliedAt: now()}).Error; err != nil {
			t.Fatal(err)
		}
		url := backendURL(t, s)
		s2, err := Open(context.Background(), url)
		if err == nil {
			s2.Close()
			t.Fatal("Open succeeded on a schema newer than the binary")
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Errorf("error = %v, want it to say the schema is newer", err)
		}
	})
}

// backendURL recovers the URL a test store was opened with.
func backendURL(t *testing.T, s *Store) string {
	t.Helper()
	if s.dialect == DialectPostgres {
		var db, port string
		if err := s.db.Raw("SELECT current_database()").Scan(&db).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Raw("SELECT current_setting('port')").Scan(&port).Error; err != nil {
			t.Fatal(err)
		}
		return "postgres://postgres@127.0.0.1:" + port + "/" + db + "?sslmode=disable"
	}
	var file string
	if err := s.db.Raw("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file).Error; err != nil {
		t.Fatal(err)
	}
	return file
}

func TestErrorsAreWrapped(t *testing.T) {
	c := &ConflictError{Base: 3, Head: 5}
	var err error = c
	wrapped := errors.Join(errors.New("context"), err)
	if !errors.Is(wrapped, ErrConflict) {
		t.Error("errors.Is(wrapped ConflictError, ErrConflict) = false")
	}
	var got *ConflictError
	if !errors.As(wrapped, &got) || *got != *c {
		t.Errorf("errors.As = %v", got)
	}
	if errors.Is(err, ErrNotFound) {
		t.Error("a ConflictError is ErrNotFound")
	}
	if !strings.Contains(c.Error(), "3") || !strings.Contains(c.Error(), "5") {
		t.Errorf("Error() = %q, want both revisions named", c.Error())
	}
}
