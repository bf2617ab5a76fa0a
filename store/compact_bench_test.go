package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// oneTagHistory is the content of n revisions of the largest real hub
// (awi-ciroh prod, the fixture's first revision: a 17 kB catalog and its
// 16.5 kB rendered list), each changing one image's tag from the revision
// before, cycling through the images: in the catalog and in every place the
// rendered list names the image, as the editor writes it (the fixture's
// revisions 2-4 were made that way through the API).
func oneTagHistory(b testing.TB, n int) (catalogs, lists [][]byte) {
	b.Helper()
	path, _ := fixture(b)
	s := openStore(b, path)
	first, err := s.Get(context.Background(), 1)
	if err != nil {
		b.Fatal(err)
	}
	var doc struct {
		Images []struct{ Ref string } `json:"images"`
	}
	if err := json.Unmarshal(first.Catalog, &doc); err != nil || len(doc.Images) == 0 {
		b.Fatalf("the fixture's catalog has no images: %v", err)
	}
	refs := make([]string, len(doc.Images))
	for i, img := range doc.Images {
		refs[i] = img.Ref
	}
	catalog, list := first.Catalog, first.ProfileList
	for i := range n {
		j := i % len(refs)
		next := refs[j][:strings.LastIndex(refs[j], ":")] + ":2027.01." + strconv.Itoa(i)
		from, to := []byte(`"`+refs[j]+`"`), []byte(`"`+next+`"`)
		catalog, list = bytes.ReplaceAll(catalog, from, to), bytes.ReplaceAll(list, from, to)
		refs[j] = next
		catalogs, lists = append(catalogs, catalog), append(lists, list)
	}
	return catalogs, lists
}

// databaseBytes is what the database takes on disk: SQLite's file after a
// checkpoint (the WAL folded in), PostgreSQL's revisions table with its
// TOAST table and indexes.
func databaseBytes(b testing.TB, s *Store, path string) int64 {
	b.Helper()
	if s.dialect == DialectPostgres {
		var n int64
		if err := s.db.Raw(`SELECT pg_total_relation_size('revisions')`).Scan(&n).Error; err != nil {
			b.Fatal(err)
		}
		return n
	}
	if err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkCompactHistory writes BENCH_REVISIONS (default 1,000) one-tag
// revisions of the largest real hub through Append, on SQLite and
// PostgreSQL, and beside them the same history as the previous release
// stored it (schema version 2: full copies), then converts that one with
// migration 3. It logs the database bytes per revision of each, from the
// real file or relation size, and times reading a revision both ways.
//
//	BENCH_REVISIONS=10000 go test -run '^$' -bench CompactHistory -benchtime 2000x ./store
func BenchmarkCompactHistory(b *testing.B) {
	n := 1000
	if v := os.Getenv("BENCH_REVISIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			b.Fatalf("BENCH_REVISIONS=%q: want a number from 2", v)
		}
	}
	catalogs, lists := oneTagHistory(b, n)
	ctx := context.Background()
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			// The new format, written live.
			url := be.url(b)
			s := openStore(b, url)
			empty := databaseBytes(b, s, url)
			start := time.Now()
			for i := range n {
				if _, err := s.Append(ctx, NewRevision{Base: int64(i), Catalog: catalogs[i], ProfileList: lists[i],
					Author: "alice", Message: fmt.Sprintf("bump image %d", i)}); err != nil {
					b.Fatal(err)
				}
			}
			appendTime := time.Since(start)
			compact := databaseBytes(b, s, url)
			start = time.Now()
			if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
				b.Fatalf("Verify = %+v, %v", rep, err)
			}
			verifyTime := time.Since(start)

			// The same history as the previous release stored it.
			oldURL := be.url(b)
			old := storeAt(b, oldURL, 2)
			oldEmpty := databaseBytes(b, old, oldURL)
			legacyCopy(b, s, oldURL, 2)
			full := databaseBytes(b, old, oldURL)

			// That history converted by migration 3, on a second copy (the
			// first stays at schema 2 for the read timings below); before
			// the conversion, Verify of its uncompressed rows is the
			// reference for Verify of compressed ones.
			convURL := be.url(b)
			legacyCopy(b, s, convURL, 2)
			conv := storeAt(b, convURL, 3)
			start = time.Now()
			if rep, err := conv.Verify(ctx); err != nil || !rep.OK() {
				b.Fatalf("Verify = %+v, %v", rep, err)
			}
			verifyRawTime := time.Since(start)
			start = time.Now()
			if err := conv.migrate(ctx); err != nil {
				b.Fatal(err)
			}
			migrateTime := time.Since(start)
			converted := databaseBytes(b, conv, convURL)

			per := func(size, empty int64) float64 { return float64(size-empty) / float64(n) }
			b.Logf("%s, %d one-tag revisions of awi-ciroh prod (%d content bytes each): database bytes per revision: "+
				"schema 2 (full copies) %.0f, compact written live %.0f, schema 2 converted by migration 3 %.0f; "+
				"append %.2f ms per revision; verify %d ms (of the same history uncompressed: %d ms); converting the copy %d ms",
				be.name, n, len(catalogs[n-1])+len(lists[n-1]), per(full, oldEmpty), per(compact, empty), per(converted, oldEmpty),
				float64(appendTime.Microseconds())/1000/float64(n), verifyTime.Milliseconds(), verifyRawTime.Milliseconds(), migrateTime.Milliseconds())

			// Reading one revision: the previous release's row read (the
			// columns its Get selected) against Get now, with the base
			// cached (the usual case: the newest base serves the revisions
			// near the head) and without (a fresh process, or an old
			// revision).
			head := int64(n)
			b.Run("get-schema2", func(b *testing.B) {
				for b.Loop() {
					var row revisionRow
					if err := old.db.Select("id, parent_id, created_at, author, message, content_sha256, chain_sha256, catalog, profile_list").
						Where("id = ?", head).Take(&row).Error; err != nil || len(row.Catalog) == 0 {
						b.Fatal(err)
					}
				}
			})
			b.Run("get-compact-base-cached", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Get(ctx, head); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("get-compact-base-uncached", func(b *testing.B) {
				for b.Loop() {
					s.bases.mu.Lock()
					s.bases.last = nil
					s.bases.mu.Unlock()
					if _, err := s.Get(ctx, head); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
