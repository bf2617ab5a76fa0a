package edit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	"github.com/jupyterhub/hubprofiles/store"
)

// TestDamagedRevisionIsUnreadable: a revision whose stored content was
// changed behind the store's back (so that it no longer matches its content
// hash) is an unreadable revision to the pages and the feed, as one written
// by an older version is: the head falls back to the newest readable
// revision, the feed to the newest readable publication, and reading it
// names it.
func TestDamagedRevisionIsUnreadable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hubprofiles.db")
	open := func() *Editor {
		s, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return New(s, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	e := open()
	importList(t, e, twoProfiles, true)
	importList(t, e, strings.Replace(twoProfiles, "mem_limit: 2G", "mem_limit: 4G", 1), true)

	db, err := gorm.Open(sqlite.Open(path), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`DROP TRIGGER revisions_no_update`,
		`UPDATE revisions SET catalog = (SELECT catalog FROM revisions WHERE id = 1) WHERE id = 2`,
	} {
		if err := db.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}

	e = open() // a new process: nothing cached
	var bad *UnreadableError
	if _, err := e.At(ctx, 2); !errors.As(err, &bad) || bad.Revision != 2 || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("At(2) = %v, want revision 2 unreadable: damaged", err)
	}
	p, live, err := e.Live(ctx)
	if err != nil || p.RevisionID != 1 || live.Skipped == nil || live.Skipped.Revision != 2 {
		t.Errorf("Live = %+v, %+v, %v; want publication 1 of revision 1, skipping revision 2", p, live, err)
	}
	head, err := e.Head(ctx)
	if err != nil || head.Revision == nil || head.Revision.ID != 1 || head.BaseID() != 2 || head.Skipped == nil {
		t.Errorf("Head = %+v, %v; want revision 1 shown, changes written on top of revision 2", head, err)
	}
}
