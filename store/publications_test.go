package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestPublish(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.Publish(ctx, 1, "bob", "nothing there"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Publish(1) on empty store = %v, want ErrNotFound", err)
		}
		revs := appendN(t, s, 3)
		if _, err := s.Publish(ctx, 4, "bob", "not yet"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Publish(4) = %v, want ErrNotFound", err)
		}
		if _, err := s.Publish(ctx, 1, "", "anonymous"); err == nil {
			t.Error("Publish without an author succeeded")
		}
		steps := []struct {
			revision int64
			author   string
			message  string
		}{
			{1, "bob", "first go-live"},
			{3, "carol", "new images"},
			{1, "bob", "roll back: image 3 is broken"},
		}
		for i, st := range steps {
			pub, err := s.Publish(ctx, st.revision, st.author, st.message)
			if err != nil {
				t.Fatalf("Publish(%d): %v", st.revision, err)
			}
			if pub.ID != int64(i+1) || pub.RevisionID != st.revision || pub.Author != st.author || pub.Message != st.message || pub.CreatedAt.IsZero() {
				t.Errorf("Publish(%d) = %+v", st.revision, pub)
			}
			live, rev, err := s.Live(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if *live != *pub {
				t.Errorf("Live = %+v, want %+v", live, pub)
			}
			if d := sameRevision(rev, revs[st.revision-1], true); d != "" {
				t.Errorf("Live revision %s from revision %d", d, st.revision)
			}
		}
		pubs, err := s.Publications(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range pubs {
			got = append(got, fmt.Sprintf("%d:%d", p.ID, p.RevisionID))
		}
		if fmt.Sprint(got) != "[3:1 2:3 1:1]" {
			t.Errorf("Publications = %v, want newest first [3:1 2:3 1:1]", got)
		}
		if pubs, _ := s.Publications(ctx, 2); len(pubs) != 2 || pubs[0].ID != 3 {
			t.Errorf("Publications(2) = %+v", pubs)
		}
		// Publishing does not touch the history.
		if n, _ := s.Count(ctx); n != 3 {
			t.Errorf("Count = %d", n)
		}
	})
}

// TestAppendAndPublish: Publish: true writes the revision and its
// publication in one transaction.
func TestAppendAndPublish(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		appendN(t, s, 1)
		if _, err := s.Publish(ctx, 1, "bob", "live"); err != nil {
			t.Fatal(err)
		}
		r, err := s.Append(ctx, NewRevision{Base: 1, Catalog: []byte("{}"), ProfileList: []byte("[]"), Author: "system:import", Message: "import --publish", Publish: true})
		if err != nil {
			t.Fatal(err)
		}
		pub, rev, err := s.Live(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pub.ID != 2 || pub.RevisionID != 2 || pub.Author != "system:import" || pub.Message != "import --publish" {
			t.Errorf("Live publication = %+v", pub)
		}
		if d := sameRevision(rev, r, true); d != "" {
			t.Errorf("Live revision %s from the appended one", d)
		}
		// The publication's time is the revision's transaction's, not later.
		if pub.CreatedAt.Before(r.CreatedAt) {
			t.Errorf("publication at %v before its revision at %v", pub.CreatedAt, r.CreatedAt)
		}
	})
}

// TestConcurrentPublish: publications from many writers get distinct,
// contiguous ids, and the newest is live.
func TestConcurrentPublish(t *testing.T) {
	const writers = 10
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		appendN(t, s, 2)
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				if w%2 == 0 {
					_, err := s.Publish(ctx, int64(1+w%2), "w", fmt.Sprint(w))
					errs <- err
					return
				}
				// Appends with Publish race the plain publishes.
				for base := int64(2); ; {
					_, err := s.Append(ctx, NewRevision{Base: base, Author: "w", Message: fmt.Sprint(w), Publish: true})
					var ce *ConflictError
					if errors.As(err, &ce) {
						base = ce.Head
						continue
					}
					errs <- err
					return
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		pubs, err := s.Publications(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(pubs) != writers {
			t.Fatalf("%d publications, want %d", len(pubs), writers)
		}
		for i, p := range pubs {
			if p.ID != int64(writers-i) {
				t.Errorf("Publications[%d].ID = %d, want %d", i, p.ID, writers-i)
			}
		}
		live, _, err := s.Live(ctx)
		if err != nil || live.ID != writers {
			t.Errorf("Live = %+v, %v", live, err)
		}
		if rep, err := s.Verify(ctx); err != nil || !rep.OK() || rep.Publications != writers {
			t.Errorf("Verify = %+v, %v", rep, err)
		}
	})
}
