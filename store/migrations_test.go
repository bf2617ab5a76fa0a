package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// legacyCopy writes the history of src into a fresh database at url with
// the schema of an earlier release (version 1 or 2), the way that release
// stored it: every revision's content uncompressed, and with version 2 the
// chain links as they were written. The rows are src's, hashes and times
// included, so the copy is the same history.
func legacyCopy(t testing.TB, src *Store, url string, version int) {
	t.Helper()
	ctx := context.Background()
	dst := storeAt(t, url, version)
	n, err := src.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pubs []publicationRow
	if err := src.db.Order("id").Find(&pubs).Error; err != nil {
		t.Fatal(err)
	}
	var links []chainLinkRow
	if err := src.db.Order("seq").Find(&links).Error; err != nil {
		t.Fatal(err)
	}
	err = dst.write(ctx, func(tx *gorm.DB) error {
		for id := int64(1); id <= n; id++ {
			r, err := src.Get(ctx, id)
			if err != nil {
				return err
			}
			row := rowOf(r, &encoded{catalog: r.Catalog, profileList: r.ProfileList})
			if err := tx.Omit("content_encoding", "content_base_id").Create(row).Error; err != nil {
				return fmt.Errorf("legacy revision %d: %w", id, err)
			}
		}
		for i := range pubs {
			if err := tx.Create(&pubs[i]).Error; err != nil {
				return fmt.Errorf("legacy publication %d: %w", pubs[i].ID, err)
			}
		}
		if version < 2 {
			return nil
		}
		for i := range links {
			if err := tx.Create(&links[i]).Error; err != nil {
				return fmt.Errorf("legacy chain link %d: %w", links[i].Seq, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// storeAt is a store on url with the schema brought to version only (an
// earlier release's; 3 without converting raw rows), closed when the test
// ends.
func storeAt(t testing.TB, url string, version int) *Store {
	t.Helper()
	s, err := Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.migrateTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return s
}

// fixture is a copy of testdata/v2-awi-ciroh.db, a database written by the
// last release of schema version 2 (testdata/README.md), and the chain head
// that release reported for it.
func fixture(t testing.TB) (path string, witness ChainHead) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "v2-awi-ciroh.db"))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "hubprofiles.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	head, err := os.ReadFile(filepath.Join("testdata", "v2-awi-ciroh.chain-head"))
	if err != nil {
		t.Fatal(err)
	}
	if witness, err = ParseChainHead(string(head)); err != nil {
		t.Fatal(err)
	}
	return path, witness
}

// storedRow is how one revision is stored.
type storedRow struct {
	ID              int64
	ContentEncoding string
	ContentBaseID   *int64
	Stored          int64
}

func storedRows(t testing.TB, s *Store) []storedRow {
	t.Helper()
	var rows []storedRow
	err := s.db.Raw(`SELECT id, content_encoding, content_base_id, length(catalog) + length(profile_list) AS stored
		FROM revisions ORDER BY id`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestMigrationCompressesTheFixture: a real database of the previous
// release (four revisions of the largest real hub, each a 33.5 kB full
// copy) opens, is converted, and still verifies against the chain head that
// release logged; the file shrinks.
func TestMigrationCompressesTheFixture(t *testing.T) {
	path, witness := fixture(t)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path)
	ctx := context.Background()
	rep, err := s.Verify(ctx, witness)
	if err != nil || !rep.OK() || rep.Revisions != 4 || rep.Head != witness {
		t.Fatalf("Verify after migration 3 = %+v, %v; want OK at the witnessed head %s", rep, err, witness)
	}
	if err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() >= before.Size()/2 {
		t.Errorf("file %d bytes before migration 3, %d after: want it at least halved", before.Size(), after.Size())
	}
	t.Logf("fixture: %d bytes before, %d after; rows %+v", before.Size(), after.Size(), storedRows(t, s))
}

// TestMigrationCompressesExistingHistory: on both databases, a history
// written by the previous release is converted by migration 3: every
// revision reads back byte for byte as before, the chain and its witness
// verify, one-tag changes are stored against the first revision in a few
// hundred bytes, the table is append-only again, and writes go on.
func TestMigrationCompressesExistingHistory(t *testing.T) {
	path, witness := fixture(t)
	src := openStore(t, path)
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			legacyCopy(t, src, url, 2)
			s := openStore(t, url)
			rep, err := s.Verify(ctx, witness)
			if err != nil || !rep.OK() || rep.Revisions != 4 {
				t.Fatalf("Verify = %+v, %v", rep, err)
			}
			for id := int64(1); id <= 4; id++ {
				want, err := src.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if d := sameRevision(got, want, true); d != "" {
					t.Errorf("revision %d %s", id, d)
				}
			}
			rows := storedRows(t, s)
			for _, r := range rows {
				switch {
				case r.ContentEncoding != encodingZstd:
					t.Errorf("revision %d stored as %q, want zstd", r.ID, r.ContentEncoding)
				case r.ID == 1 && (r.ContentBaseID != nil || r.Stored > 5000):
					t.Errorf("revision 1: %+v, want it self-contained in under 5,000 bytes", r)
				case r.ID > 1 && (r.ContentBaseID == nil || *r.ContentBaseID != 1 || r.Stored > 1000):
					t.Errorf("revision %d: %+v, want it stored against revision 1 in under 1,000 bytes", r.ID, r)
				}
			}
			err = s.db.Exec(`UPDATE revisions SET message = 'rewritten' WHERE id = 2`).Error
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("UPDATE after migration 3: %v, want the append-only trigger to refuse it", err)
			}
			head, err := s.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			next, err := s.Append(ctx, NewRevision{Base: head.ID, Author: "alice", Message: "one more",
				Catalog: bytes.Replace(head.Catalog, []byte(`:2026.12.3"`), []byte(`:2026.12.4"`), 1), ProfileList: head.ProfileList})
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := s.Verify(ctx, witness); err != nil || !rep.OK() || rep.Revisions != 5 {
				t.Errorf("Verify after writing on = %+v, %v", rep, err)
			}
			if got, err := openStore(t, url).Get(ctx, next.ID); err != nil || sameRevision(got, next, true) != "" {
				t.Errorf("revision %d read by another handle: %v", next.ID, err)
			}
		})
	}
}

// TestVerifyCompressedTampered: compressed rows changed behind the store's
// back are found by the same hashes, and a read never returns content that
// does not match its hash, even through a damaged base.
func TestVerifyCompressedTampered(t *testing.T) {
	tests := []struct {
		name     string
		edit     string
		firstBad int64
		problem  string
	}{
		{"the base's bytes", `UPDATE revisions SET catalog = (SELECT catalog FROM revisions WHERE id = 2) WHERE id = 1`, 1, "revision 1: content changed"},
		{"a delta moved to another base", `UPDATE revisions SET content_base_id = 2 WHERE id = 3`, 3, "revision 3: content changed: what is stored cannot be read back"},
		{"a delta's bytes from another delta", `UPDATE revisions SET catalog = (SELECT catalog FROM revisions WHERE id = 2) WHERE id = 3`, 3, "revision 3: content changed: catalog and profile list hash to"},
		{"an encoding", `UPDATE revisions SET content_encoding = 'raw' WHERE id = 4`, 4, "revision 4: content changed"},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					url := b.url(t)
					s := openStore(t, url)
					for base := int64(0); base < 4; base++ {
						appendContent(t, s, base)
					}
					rows := storedRows(t, s)
					if rows[0].ContentBaseID != nil || rows[2].ContentBaseID == nil || *rows[2].ContentBaseID != 1 {
						t.Fatalf("rows %+v: want revision 1 self-contained and 3 stored against it", rows)
					}
					tamper(t, s, tt.edit)
					wantBad(t, s, tt.firstBad, 0, tt.problem)
					// A fresh handle has no cached base: every read decodes
					// what is stored now.
					fresh := openStore(t, url)
					_, err := fresh.Get(context.Background(), tt.firstBad)
					if !errors.Is(err, errDamaged) {
						t.Errorf("Get(%d) after the change: %v, want it refused as damaged", tt.firstBad, err)
					}
				})
			}
		})
	}
}

// TestCompactionResumes: converting a history is cut into short
// transactions, and every state it can stop in is a valid store: raw rows
// read, verify and take writes on top (stored against a raw base), and the
// next start converts the rest, keeping what the new writes need.
func TestCompactionResumes(t *testing.T) {
	path, witness := fixture(t)
	src := openStore(t, path)
	ctx := context.Background()
	defer func(n int) { compactBatch = n }(compactBatch)
	compactBatch = 3
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			legacyCopy(t, src, url, 2)
			s := storeAt(t, url, 3) // the schema, no row converted yet
			if rep, err := s.Verify(ctx, witness); err != nil || !rep.OK() {
				t.Fatalf("Verify of raw rows = %+v, %v", rep, err)
			}
			head, err := s.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			five, err := s.Append(ctx, NewRevision{Base: 4, Author: "alice", Message: "before the conversion ends",
				Catalog: bytes.Replace(head.Catalog, []byte(`:2026.12.3"`), []byte(`:2026.12.5"`), 1), ProfileList: head.ProfileList})
			if err != nil {
				t.Fatal(err)
			}
			if rows := storedRows(t, s); rows[4].ContentBaseID == nil || *rows[4].ContentBaseID != 4 || rows[3].ContentEncoding != encodingRaw {
				t.Fatalf("rows %+v: want revision 5 stored against raw revision 4", rows)
			}
			if err := s.migrate(ctx); err != nil {
				t.Fatal(err)
			}
			rows := storedRows(t, s)
			for _, r := range rows {
				if r.ContentEncoding != encodingZstd {
					t.Errorf("revision %d still %s", r.ID, r.ContentEncoding)
				}
			}
			if rows[3].ContentBaseID != nil || rows[1].ContentBaseID == nil || *rows[1].ContentBaseID != 1 {
				t.Errorf("rows %+v: want revision 4 on its own (revision 5's base) and 2 stored against 1", rows)
			}
			if rep, err := s.Verify(ctx, witness); err != nil || !rep.OK() || rep.Revisions != 5 {
				t.Errorf("Verify after the conversion = %+v, %v", rep, err)
			}
			fresh := openStore(t, url)
			for id := int64(1); id <= 5; id++ {
				want := five
				if id < 5 {
					if want, err = src.Get(ctx, id); err != nil {
						t.Fatal(err)
					}
				}
				if got, err := fresh.Get(ctx, id); err != nil || sameRevision(got, want, true) != "" {
					t.Errorf("revision %d after the conversion: %v", id, err)
				}
			}
		})
	}
}
