package store

import (
	"context"
	"strings"
	"testing"
)

// TestImmutable: the database itself refuses to change or remove history,
// whoever sends the SQL.
func TestImmutable(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		revs := appendN(t, s, 2)
		if _, err := s.Publish(ctx, 1, "bob", "live"); err != nil {
			t.Fatal(err)
		}
		statements := []string{
			`UPDATE revisions SET message = 'rewritten' WHERE id = 1`,
			`UPDATE revisions SET catalog = catalog WHERE id = 2`,
			`DELETE FROM revisions WHERE id = 2`,
			`DELETE FROM revisions`,
			`UPDATE publications SET revision_id = 2 WHERE id = 1`,
			`DELETE FROM publications WHERE id = 1`,
			`UPDATE chain_links SET link_sha256 = link_sha256 WHERE seq = 1`,
			`DELETE FROM chain_links`,
		}
		if s.dialect == DialectPostgres {
			statements = append(statements,
				`TRUNCATE publications CASCADE`,
				`TRUNCATE chain_links`,
				`TRUNCATE revisions CASCADE`,
				`INSERT INTO revisions (id, parent_id, created_at, author, message, catalog, profile_list, content_sha256, chain_sha256)
				 SELECT id, parent_id, created_at, author, 'upserted', catalog, profile_list, content_sha256, chain_sha256 FROM revisions WHERE id = 1
				 ON CONFLICT (id) DO UPDATE SET message = EXCLUDED.message`,
			)
		} else {
			statements = append(statements,
				// REPLACE deletes the old row without firing DELETE triggers.
				`INSERT OR REPLACE INTO revisions SELECT id, parent_id, created_at, author, 'replaced', content_sha256, chain_sha256, catalog, profile_list, content_encoding, content_base_id FROM revisions WHERE id = 1`,
				`REPLACE INTO publications SELECT id, 2, created_at, author, message FROM publications WHERE id = 1`,
				`INSERT INTO revisions SELECT * FROM revisions WHERE id = 2 ON CONFLICT (id) DO UPDATE SET message = 'upserted'`,
			)
		}
		for _, stmt := range statements {
			err := s.db.Exec(stmt).Error
			if err == nil {
				t.Errorf("%s: succeeded, want the database to refuse it", stmt)
				continue
			}
			if !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want an append-only error", stmt, err)
			}
		}
		for _, want := range revs {
			got, err := s.Get(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameRevision(got, want, true); d != "" {
				t.Errorf("revision %d %s after the refused statements", want.ID, d)
			}
		}
		if pub, _, err := s.Live(ctx); err != nil || pub.RevisionID != 1 {
			t.Errorf("Live = %+v, %v", pub, err)
		}
		if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
			t.Errorf("Verify = %+v, %v", rep, err)
		}
	})
}

func TestVerifyClean(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		appendN(t, s, 5)
		for _, id := range []int64{2, 5, 2} {
			if _, err := s.Publish(ctx, id, "bob", "publish"); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := s.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := VerifyReport{Revisions: 5, Publications: 3, Head: rep.Head}
		if rep != want || !rep.OK() || rep.Head.Seq != 8 {
			t.Errorf("Verify = %+v, want %+v", rep, want)
		}
	})
}

// disableTriggers lets a test do what an admin at a SQL prompt could:
// switch the append-only triggers off. On SQLite that means dropping them.
func disableTriggers(t *testing.T, s *Store) {
	t.Helper()
	var stmts []string
	if s.dialect == DialectPostgres {
		stmts = []string{`ALTER TABLE revisions DISABLE TRIGGER USER`, `ALTER TABLE publications DISABLE TRIGGER USER`}
	} else {
		for _, name := range appendOnlyTriggers[DialectSQLite] {
			stmts = append(stmts, "DROP TRIGGER "+name)
		}
	}
	for _, stmt := range stmts {
		if err := s.db.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// TestVerifyTampered: a row changed behind the triggers' back is found, and
// named, by its hashes.
func TestVerifyTampered(t *testing.T) {
	tests := []struct {
		name     string
		edit     string // SQL run with the triggers off
		firstBad int64
		problem  string // in the report
	}{
		{"message", `UPDATE revisions SET message = 'innocent' WHERE id = 3`, 3, "revision 3: metadata or chain changed"},
		{"author", `UPDATE revisions SET author = 'mallory' WHERE id = 2`, 2, "revision 2: metadata or chain changed"},
		{"catalog", `UPDATE revisions SET catalog = profile_list WHERE id = 3`, 3, "revision 3: content changed"},
		{"profile list", `UPDATE revisions SET profile_list = catalog WHERE id = 1`, 1, "revision 1: content changed"},
		{"content and its hash", `UPDATE revisions SET catalog = profile_list, content_sha256 = '` + ContentHash([]byte(`[{"display_name":"r4"}]`), []byte(`[{"display_name":"r4"}]`)) + `' WHERE id = 4`, 4, "revision 4: metadata or chain changed"},
		{"a chain hash", `UPDATE revisions SET chain_sha256 = content_sha256 WHERE id = 4`, 4, "revision 4: metadata or chain changed"},
		{"a deleted revision", `DELETE FROM revisions WHERE id = 5`, 5, "publication 2 points at revision 5, which does not exist"},
		{"a deleted middle revision", `DELETE FROM revisions WHERE id = 3`, 3, "revision 4: revision 3 is missing"},
		{"a retargeted publication", `UPDATE publications SET revision_id = 99 WHERE id = 1`, 0, "publication 1 points at revision 99"},
		{"a deleted publication", `DELETE FROM publications WHERE id = 1`, 0, "publication 1 is missing"},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := openStore(t, b.url(t))
					ctx := context.Background()
					appendN(t, s, 5)
					for _, id := range []int64{2, 5} {
						if _, err := s.Publish(ctx, id, "bob", "publish"); err != nil {
							t.Fatal(err)
						}
					}
					disableTriggers(t, s)
					if s.dialect == DialectSQLite {
						// foreign_keys would stop the deletes; an admin can switch it off too.
						sqlDB, _ := s.db.DB()
						sqlDB.SetMaxOpenConns(1)
						if err := s.db.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
							t.Fatal(err)
						}
					} else {
						if err := s.db.Exec("ALTER TABLE revisions DISABLE TRIGGER ALL").Error; err != nil {
							t.Fatal(err)
						}
						if err := s.db.Exec("ALTER TABLE publications DISABLE TRIGGER ALL").Error; err != nil {
							t.Fatal(err)
						}
					}
					if err := s.db.Exec(tt.edit).Error; err != nil {
						t.Fatalf("%s: %v", tt.edit, err)
					}
					rep, err := s.Verify(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if rep.OK() {
						t.Fatalf("Verify = %+v, want a problem", rep)
					}
					if rep.FirstBad != tt.firstBad {
						t.Errorf("FirstBad = %d, want %d (%s)", rep.FirstBad, tt.firstBad, rep.Problem)
					}
					if !strings.Contains(rep.Problem, tt.problem) {
						t.Errorf("Problem = %q, want it to contain %q", rep.Problem, tt.problem)
					}
					// The switched-off triggers are reported too.
					if !strings.Contains(rep.Problem, "append-only trigger") {
						t.Errorf("Problem = %q, want it to report the disabled triggers", rep.Problem)
					}
				})
			}
		})
	}
}

// TestVerifyTriggers: a missing or disabled append-only trigger is reported
// even when no row was changed.
func TestVerifyTriggers(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		appendN(t, s, 2)
		stmt, want := `DROP TRIGGER revisions_no_delete`, "append-only trigger revisions_no_delete is missing"
		if s.dialect == DialectPostgres {
			stmt, want = `ALTER TABLE revisions DISABLE TRIGGER revisions_append_only`, "append-only trigger revisions_append_only is disabled"
		}
		if err := s.db.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
		rep, err := s.Verify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || rep.FirstBad != 0 || rep.Problem != want || rep.Revisions != 2 {
			t.Errorf("Verify = %+v, want only %q", rep, want)
		}
	})
}
