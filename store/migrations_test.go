package store

import (
	"context"
	"testing"
)

// legacyCopy writes the history of src into a fresh database at url with
// the schema of an earlier release (version 1 or 2), the way that release
// stored it: every revision's content uncompressed, and with version 2 the
// chain links as they were written. The rows are src's, hashes and times
// included, so the copy is the same history.
func legacyCopy(t testing.TB, src *Store, url string, version int) {
	t.Helper()
	ctx := context.Background()
	dst, err := Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.migrateTo(ctx, version); err != nil {
		t.Fatal(err)
	}
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
	for id := int64(1); id <= n; id++ {
		r, err := src.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		row := rowOf(r, &encoded{catalog: r.Catalog, profileList: r.ProfileList})
		if err := dst.db.Omit("content_encoding", "content_base_id").Create(row).Error; err != nil {
			t.Fatalf("legacy revision %d: %v", id, err)
		}
	}
	for i := range pubs {
		if err := dst.db.Create(&pubs[i]).Error; err != nil {
			t.Fatalf("legacy publication %d: %v", pubs[i].ID, err)
		}
	}
	if version >= 2 {
		for i := range links {
			if err := dst.db.Create(&links[i]).Error; err != nil {
				t.Fatalf("legacy chain link %d: %v", links[i].Seq, err)
			}
		}
	}
}
