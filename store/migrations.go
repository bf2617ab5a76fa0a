package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one step of the schema, as SQL statements run in order in one
// transaction. Statements are listed one by one, not split on ';', because
// trigger and function bodies contain semicolons.
type migration struct {
	version    int
	name       string
	statements []string
}

// migrationCode is Go that runs after a migration's statements, in the same
// transaction, by version (both dialects): for what SQL cannot compute, such
// as hashes.
var migrationCode = map[int]func(tx *gorm.DB) error{
	2: linkExisting,
}

// The migrations of each dialect, in order. The list is append-only: a
// migration that has shipped is NEVER edited, reordered or removed, because
// databases in the field have already run it and will not run it again. To
// change the schema, append a migration with the next version, to both lists.

var sqliteMigrations = []migration{
	{1, "revisions and publications, append-only", []string{
		// id is the parent's id + 1 (CHECK), so the history is linear and two
		// writers on the same parent collide on the primary key. catalog and
		// profile_list are BLOBs: the store keeps the exact bytes it hashed.
		// They come last: SQLite reads a column that follows a large value
		// by walking that value's overflow pages, and List reads the others.
		`CREATE TABLE revisions (
			id             INTEGER PRIMARY KEY CHECK (id >= 1),
			parent_id      INTEGER REFERENCES revisions (id),
			created_at     DATETIME NOT NULL,
			author         TEXT NOT NULL,
			message        TEXT NOT NULL,
			content_sha256 TEXT NOT NULL CHECK (length(content_sha256) = 64),
			chain_sha256   TEXT NOT NULL CHECK (length(chain_sha256) = 64),
			catalog        BLOB NOT NULL,
			profile_list   BLOB NOT NULL,
			CHECK ((id = 1 AND parent_id IS NULL) OR parent_id = id - 1)
		)`,
		`CREATE TABLE publications (
			id          INTEGER PRIMARY KEY CHECK (id >= 1),
			revision_id INTEGER NOT NULL REFERENCES revisions (id),
			created_at  DATETIME NOT NULL,
			author      TEXT NOT NULL,
			message     TEXT NOT NULL
		)`,
		`CREATE INDEX publications_revision_id ON publications (revision_id)`,
		`CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
		BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END`,
		`CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
		BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END`,
		// INSERT OR REPLACE deletes the old row without firing DELETE triggers
		// (unless recursive_triggers is on, which another client need not
		// set), so refuse an insert whose id exists. Append maps this error,
		// like a primary key violation, to a conflict.
		`CREATE TRIGGER revisions_no_replace BEFORE INSERT ON revisions
		WHEN EXISTS (SELECT 1 FROM revisions WHERE id = NEW.id)
		BEGIN SELECT RAISE(ABORT, 'revisions are append-only: revision id already exists'); END`,
		`CREATE TRIGGER publications_no_update BEFORE UPDATE ON publications
		BEGIN SELECT RAISE(ABORT, 'publications are append-only'); END`,
		`CREATE TRIGGER publications_no_delete BEFORE DELETE ON publications
		BEGIN SELECT RAISE(ABORT, 'publications are append-only'); END`,
		`CREATE TRIGGER publications_no_replace BEFORE INSERT ON publications
		WHEN EXISTS (SELECT 1 FROM publications WHERE id = NEW.id)
		BEGIN SELECT RAISE(ABORT, 'publications are append-only: publication id already exists'); END`,
	}},
	{2, "chain links over revisions and publications", []string{
		// One link per write, in commit order; see chain.go. Existing rows
		// get their links from linkExisting, in this same transaction.
		`CREATE TABLE chain_links (
			seq            INTEGER PRIMARY KEY CHECK (seq >= 1),
			revision_id    INTEGER UNIQUE REFERENCES revisions (id),
			publication_id INTEGER UNIQUE REFERENCES publications (id),
			link_sha256    TEXT NOT NULL CHECK (length(link_sha256) = 64),
			CHECK ((revision_id IS NULL) <> (publication_id IS NULL))
		)`,
		`CREATE TRIGGER chain_links_no_update BEFORE UPDATE ON chain_links
		BEGIN SELECT RAISE(ABORT, 'chain links are append-only'); END`,
		`CREATE TRIGGER chain_links_no_delete BEFORE DELETE ON chain_links
		BEGIN SELECT RAISE(ABORT, 'chain links are append-only'); END`,
		`CREATE TRIGGER chain_links_no_replace BEFORE INSERT ON chain_links
		WHEN EXISTS (SELECT 1 FROM chain_links WHERE seq = NEW.seq)
		BEGIN SELECT RAISE(ABORT, 'chain links are append-only: seq already exists'); END`,
	}},
	{3, "compact history: how revision content is stored", []string{
		// content.go says how content_encoding and content_base_id are read.
		// Rows of schema 2 stay 'raw' (readable as they are) until
		// compactRaw converts them, in batches.
		`ALTER TABLE revisions ADD COLUMN content_encoding TEXT NOT NULL DEFAULT 'raw'
			CHECK (content_encoding IN ('raw', 'zstd'))`,
		`ALTER TABLE revisions ADD COLUMN content_base_id INTEGER REFERENCES revisions (id)
			CHECK (content_base_id < id)`,
	}},
}

var postgresMigrations = []migration{
	{1, "revisions and publications, append-only", []string{
		`CREATE TABLE revisions (
			id             BIGINT PRIMARY KEY CHECK (id >= 1),
			parent_id      BIGINT REFERENCES revisions (id),
			created_at     TIMESTAMPTZ NOT NULL,
			author         TEXT NOT NULL,
			message        TEXT NOT NULL,
			content_sha256 TEXT NOT NULL CHECK (length(content_sha256) = 64),
			chain_sha256   TEXT NOT NULL CHECK (length(chain_sha256) = 64),
			catalog        BYTEA NOT NULL,
			profile_list   BYTEA NOT NULL,
			CONSTRAINT revisions_linear CHECK ((id = 1 AND parent_id IS NULL) OR parent_id = id - 1)
		)`,
		`CREATE TABLE publications (
			id          BIGINT PRIMARY KEY CHECK (id >= 1),
			revision_id BIGINT NOT NULL REFERENCES revisions (id),
			created_at  TIMESTAMPTZ NOT NULL,
			author      TEXT NOT NULL,
			message     TEXT NOT NULL
		)`,
		`CREATE INDEX publications_revision_id ON publications (revision_id)`,
		`CREATE FUNCTION hubprofiles_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			RAISE EXCEPTION '% are append-only: % refused', TG_TABLE_NAME, TG_OP
				USING ERRCODE = 'restrict_violation';
		END
		$$`,
		`CREATE TRIGGER revisions_append_only BEFORE UPDATE OR DELETE ON revisions
		FOR EACH ROW EXECUTE FUNCTION hubprofiles_refuse_change()`,
		`CREATE TRIGGER revisions_no_truncate BEFORE TRUNCATE ON revisions
		FOR EACH STATEMENT EXECUTE FUNCTION hubprofiles_refuse_change()`,
		`CREATE TRIGGER publications_append_only BEFORE UPDATE OR DELETE ON publications
		FOR EACH ROW EXECUTE FUNCTION hubprofiles_refuse_change()`,
		`CREATE TRIGGER publications_no_truncate BEFORE TRUNCATE ON publications
		FOR EACH STATEMENT EXECUTE FUNCTION hubprofiles_refuse_change()`,
	}},
	{2, "chain links over revisions and publications", []string{
		`CREATE TABLE chain_links (
			seq            BIGINT PRIMARY KEY CHECK (seq >= 1),
			revision_id    BIGINT UNIQUE REFERENCES revisions (id),
			publication_id BIGINT UNIQUE REFERENCES publications (id),
			link_sha256    TEXT NOT NULL CHECK (length(link_sha256) = 64),
			CONSTRAINT chain_links_one_row CHECK ((revision_id IS NULL) <> (publication_id IS NULL))
		)`,
		`CREATE TRIGGER chain_links_append_only BEFORE UPDATE OR DELETE ON chain_links
		FOR EACH ROW EXECUTE FUNCTION hubprofiles_refuse_change()`,
		`CREATE TRIGGER chain_links_no_truncate BEFORE TRUNCATE ON chain_links
		FOR EACH STATEMENT EXECUTE FUNCTION hubprofiles_refuse_change()`,
	}},
	{3, "compact history: how revision content is stored", []string{
		`ALTER TABLE revisions
			ADD COLUMN content_encoding TEXT NOT NULL DEFAULT 'raw',
			ADD COLUMN content_base_id BIGINT REFERENCES revisions (id),
			ADD CONSTRAINT revisions_content_encoding CHECK (content_encoding IN ('raw', 'zstd')),
			ADD CONSTRAINT revisions_content_base CHECK (content_base_id < id)`,
	}},
}

// updateTrigger is each dialect's append-only trigger against UPDATE of
// revisions, as migration 1 made it: compactRaw drops and remakes it inside
// each of its transactions, so that no other transaction ever sees it
// missing; when it is already missing or disabled (enabled counts 0), it is
// left so, for Verify to report.
var updateTrigger = map[string]struct{ enabled, drop, create string }{
	DialectSQLite: {`SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'revisions_no_update'`,
		`DROP TRIGGER revisions_no_update`,
		`CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
		BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END`},
	DialectPostgres: {`SELECT count(*) FROM pg_trigger WHERE tgrelid = 'revisions'::regclass
			AND tgname = 'revisions_append_only' AND tgenabled IN ('O', 'A')`,
		`DROP TRIGGER revisions_append_only ON revisions`,
		`CREATE TRIGGER revisions_append_only BEFORE UPDATE OR DELETE ON revisions
		FOR EACH ROW EXECUTE FUNCTION hubprofiles_refuse_change()`},
}

// appendOnlyTriggers are the triggers that make each dialect's tables
// append-only; Verify checks they are all there and enabled.
var appendOnlyTriggers = map[string][]string{
	DialectSQLite: {
		"revisions_no_update", "revisions_no_delete", "revisions_no_replace",
		"publications_no_update", "publications_no_delete", "publications_no_replace",
		"chain_links_no_update", "chain_links_no_delete", "chain_links_no_replace",
	},
	DialectPostgres: {
		"revisions_append_only", "revisions_no_truncate",
		"publications_append_only", "publications_no_truncate",
		"chain_links_append_only", "chain_links_no_truncate",
	},
}

// migrationLock is the PostgreSQL advisory lock key that serialises
// migrations between processes starting at once (SQLite's BEGIN IMMEDIATE
// does that there).
const migrationLock = 0x6875_6270_726f_66 // "hubprof"

func (s *Store) migrations() []migration {
	if s.dialect == DialectPostgres {
		return postgresMigrations
	}
	return sqliteMigrations
}

// schemaMigration is a row of schema_migrations: which migrations have run.
type schemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// migrate applies, each in its own transaction, the migrations the database
// has not run yet, then compresses the revisions still stored raw.
func (s *Store) migrate(ctx context.Context) error {
	if err := s.migrateTo(ctx, len(s.migrations())); err != nil {
		return err
	}
	return s.compactRaw(ctx)
}

// migrateTo applies the migrations up to version: tests use it to make a
// database of an earlier release.
func (s *Store) migrateTo(ctx context.Context, version int) error {
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at DATETIME NOT NULL
	)`
	if s.dialect == DialectPostgres {
		create = `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL
		)`
	}
	if err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.lockMigrations(tx); err != nil {
			return err
		}
		return tx.Exec(create).Error
	}); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}

	ms := s.migrations()
	var applied int
	if err := s.db.WithContext(ctx).Model(&schemaMigration{}).
		Select("COALESCE(MAX(version), 0)").Scan(&applied).Error; err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if applied > len(ms) {
		return fmt.Errorf("store: the database schema is at version %d, newer than this hubprofiles knows (%d): run a newer hubprofiles", applied, len(ms))
	}
	for _, m := range ms[applied:max(applied, version)] {
		err := s.write(ctx, func(tx *gorm.DB) error {
			if err := s.lockMigrations(tx); err != nil {
				return err
			}
			// Another process may have applied it while we waited for the lock.
			var n int64
			if err := tx.Model(&schemaMigration{}).Where("version = ?", m.version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range m.statements {
				if err := tx.Exec(stmt).Error; err != nil {
					return err
				}
			}
			if code := migrationCode[m.version]; code != nil {
				if err := code(tx); err != nil {
					return err
				}
			}
			return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: now()}).Error
		})
		if err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

func (s *Store) lockMigrations(tx *gorm.DB) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", int64(migrationLock)).Error
}
