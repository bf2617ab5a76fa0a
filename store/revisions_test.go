package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestEmptyStore(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.Head(ctx); !errors.Is(err, ErrNotFound) {
			t.Errorf("Head = %v, want ErrNotFound", err)
		}
		if _, err := s.Get(ctx, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(1) = %v, want ErrNotFound", err)
		}
		if _, _, err := s.Live(ctx); !errors.Is(err, ErrNotFound) {
			t.Errorf("Live = %v, want ErrNotFound", err)
		}
		if got, err := s.List(ctx, 0, 10); err != nil || len(got) != 0 {
			t.Errorf("List = %v, %v; want empty", got, err)
		}
		if got, err := s.Publications(ctx, 10); err != nil || len(got) != 0 {
			t.Errorf("Publications = %v, %v; want empty", got, err)
		}
		if n, err := s.Count(ctx); err != nil || n != 0 {
			t.Errorf("Count = %d, %v; want 0", n, err)
		}
		if rep, err := s.Verify(ctx); err != nil || !rep.OK() || rep.Revisions != 0 {
			t.Errorf("Verify = %+v, %v; want OK and empty", rep, err)
		}
	})
}

func TestAppendHeadGet(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		before := time.Now().Add(-time.Second)
		revs := appendN(t, s, 3)
		prevChain := ""
		for i, r := range revs {
			id := int64(i + 1)
			if r.ID != id || r.ParentID != id-1 {
				t.Errorf("revision %d: ID %d, ParentID %d", id, r.ID, r.ParentID)
			}
			if r.CreatedAt.Location() != time.UTC || r.CreatedAt.Nanosecond()%1000 != 0 || r.CreatedAt.Before(before) {
				t.Errorf("revision %d: CreatedAt %v, want UTC, whole microseconds, now", id, r.CreatedAt)
			}
			if r.ContentSHA256 != ContentHash(r.Catalog, r.ProfileList) {
				t.Errorf("revision %d: content hash %s", id, r.ContentSHA256)
			}
			if r.ChainSHA256 != ChainHash(prevChain, r) {
				t.Errorf("revision %d: chain hash %s", id, r.ChainSHA256)
			}
			prevChain = r.ChainSHA256
			got, err := s.Get(ctx, id)
			if err != nil {
				t.Fatalf("Get(%d): %v", id, err)
			}
			if d := sameRevision(got, r, true); d != "" {
				t.Errorf("Get(%d) %s from what Append returned", id, d)
			}
		}
		head, err := s.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameRevision(head, revs[2], true); d != "" {
			t.Errorf("Head %s from the last Append", d)
		}
		for _, id := range []int64{0, -1, 4, 1 << 40} {
			if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%d) = %v, want ErrNotFound", id, err)
			}
		}
		if n, err := s.Count(ctx); err != nil || n != 3 {
			t.Errorf("Count = %d, %v; want 3", n, err)
		}
	})
}

// TestAppendContent: the store keeps the bytes it is given, exactly, and
// empty content is allowed.
func TestAppendContent(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tests := []struct {
			name             string
			catalog, profile []byte
			author, message  string
		}{
			{"nil content", nil, nil, "system:import", ""},
			{"binary-safe", []byte{0xff, 0x00, 0x01, '\n'}, []byte("\x00"), "alice", "not JSON at all"},
			{"unicode and newlines", []byte(`{"é":"ü"}`), []byte("[]\n"), "zoë", "line one\nline two\r\n\ttab"},
		}
		for i, tt := range tests {
			r, err := s.Append(ctx, NewRevision{Base: int64(i), Catalog: tt.catalog, ProfileList: tt.profile, Author: tt.author, Message: tt.message})
			if err != nil {
				t.Fatalf("%s: Append: %v", tt.name, err)
			}
			got, err := s.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Catalog) != string(tt.catalog) || string(got.ProfileList) != string(tt.profile) ||
				got.Author != tt.author || got.Message != tt.message {
				t.Errorf("%s: got %+v", tt.name, got)
			}
		}
		if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
			t.Errorf("Verify = %+v, %v", rep, err)
		}
	})
}

func TestAppendRefuses(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tests := []struct {
			name string
			r    NewRevision
		}{
			{"no author", NewRevision{Base: 0, Author: ""}},
			{"negative base", NewRevision{Base: -1, Author: "alice"}},
			{"invalid UTF-8 author", NewRevision{Author: "al\xffice"}},
			{"NUL in message", NewRevision{Author: "alice", Message: "a\x00b"}},
		}
		for _, tt := range tests {
			_, err := s.Append(ctx, tt.r)
			if err == nil || errors.Is(err, ErrConflict) {
				t.Errorf("%s: Append = %v, want a plain error", tt.name, err)
			}
		}
		if n, _ := s.Count(ctx); n != 0 {
			t.Errorf("Count = %d after refused appends", n)
		}
	})
}

func TestList(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		revs := appendN(t, s, 7)
		tests := []struct {
			before int64
			limit  int
			want   []int64
		}{
			{0, 3, []int64{7, 6, 5}},
			{-1, 3, []int64{7, 6, 5}},
			{5, 3, []int64{4, 3, 2}},
			{2, 3, []int64{1}},
			{1, 3, nil},
			{100, 2, []int64{7, 6}},
			{0, 0, []int64{7, 6, 5, 4, 3, 2, 1}},  // default limit
			{0, -5, []int64{7, 6, 5, 4, 3, 2, 1}}, // default limit
			{0, 1 << 30, []int64{7, 6, 5, 4, 3, 2, 1}},
		}
		for _, tt := range tests {
			got, err := s.List(ctx, tt.before, tt.limit)
			if err != nil {
				t.Fatalf("List(%d, %d): %v", tt.before, tt.limit, err)
			}
			var ids []int64
			for i := range got {
				ids = append(ids, got[i].ID)
				if d := sameRevision(&got[i], revs[got[i].ID-1], false); d != "" {
					t.Errorf("List(%d, %d): revision %d %s", tt.before, tt.limit, got[i].ID, d)
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("List(%d, %d) = %v, want %v", tt.before, tt.limit, ids, tt.want)
			}
		}

		// Paging through everything with the last id as the next cursor.
		var all []int64
		for before := int64(0); ; {
			page, err := s.List(ctx, before, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, r := range page {
				all = append(all, r.ID)
			}
			before = page[len(page)-1].ID
		}
		if fmt.Sprint(all) != "[7 6 5 4 3 2 1]" {
			t.Errorf("paging = %v", all)
		}
	})
}

func TestListDefaultLimit(t *testing.T) {
	s := openStore(t, backends[0].url(t))
	appendN(t, s, DefaultListLimit+3)
	got, err := s.List(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != DefaultListLimit || got[0].ID != DefaultListLimit+3 {
		t.Errorf("List(0, 0) = %d revisions from %d, want %d from %d", len(got), got[0].ID, DefaultListLimit, DefaultListLimit+3)
	}
}

func TestConflict(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// On an empty store, only base 0 is right.
		_, err := s.Append(ctx, NewRevision{Base: 1, Author: "alice"})
		var ce *ConflictError
		if !errors.As(err, &ce) || *ce != (ConflictError{Base: 1, Head: 0}) {
			t.Fatalf("Append(base 1) on empty store = %v, want ConflictError{1, 0}", err)
		}
		revs := appendN(t, s, 3)
		for _, base := range []int64{0, 1, 2, 4, 10} {
			_, err := s.Append(ctx, NewRevision{Base: base, Catalog: []byte("x"), Author: "bob", Message: "stale", Publish: true})
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("Append(base %d) = %v, want ErrConflict", base, err)
			}
			if !errors.As(err, &ce) || *ce != (ConflictError{Base: base, Head: 3}) {
				t.Errorf("Append(base %d) = %#v, want ConflictError{%d, 3}", base, err, base)
			}
		}
		// Nothing was written: not the revision, not its publication.
		if n, _ := s.Count(ctx); n != 3 {
			t.Errorf("Count = %d after conflicts, want 3", n)
		}
		if head, _ := s.Head(ctx); head == nil || sameRevision(head, revs[2], true) != "" {
			t.Errorf("head changed by a refused append: %+v", head)
		}
		if pubs, _ := s.Publications(ctx, 0); len(pubs) != 0 {
			t.Errorf("a refused Append with Publish left publications %+v", pubs)
		}
	})
}

// TestDuplicateIDIsConflict: the database itself refuses a second revision
// with the same id, and the error is recognised as a lost race, on both
// databases. (Append checks the head first, so this path is otherwise only
// taken by writers that pass the check at the same moment.)
func TestDuplicateIDIsConflict(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		revs := appendN(t, s, 2)
		dup := *revs[1]
		dup.Message = "the other writer"
		err := s.db.Create(rowOf(&dup, &encoded{encoding: encodingRaw, catalog: dup.Catalog, profileList: dup.ProfileList})).Error
		if err == nil {
			t.Fatal("inserting a second revision 2 succeeded")
		}
		if !isDuplicate(err) {
			t.Errorf("isDuplicate(%v) = false", err)
		}
		if isDuplicate(errors.New("UNIQUE")) || isDuplicate(context.Canceled) {
			t.Error("isDuplicate is true for unrelated errors")
		}
	})
}

// TestConcurrentAppendSameBase: in each round, many writers append on the
// same base at once. Exactly one wins; every other gets a ConflictError
// naming the winner as head — never another error, never a silent success.
func TestConcurrentAppendSameBase(t *testing.T) {
	const writers, rounds = 20, 10
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		type result struct {
			writer int
			rev    *Revision
			err    error
		}
		acked := map[int64]string{} // id → message of the acknowledged append
		for round := range rounds {
			base := int64(round)
			start := make(chan struct{})
			results := make(chan result, writers)
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					<-start
					msg := fmt.Sprintf("round %d writer %d", round, w)
					r, err := s.Append(ctx, NewRevision{Base: base, Catalog: []byte(msg), Author: "w", Message: msg})
					results <- result{w, r, err}
				})
			}
			close(start)
			wg.Wait()
			close(results)
			winners := 0
			for res := range results {
				var ce *ConflictError
				switch {
				case res.err == nil:
					winners++
					if res.rev.ID != base+1 {
						t.Errorf("round %d: winner got id %d, want %d", round, res.rev.ID, base+1)
					}
					acked[res.rev.ID] = res.rev.Message
				case errors.As(res.err, &ce):
					if ce.Base != base || ce.Head != base+1 {
						t.Errorf("round %d writer %d: %+v, want Base %d Head %d", round, res.writer, ce, base, base+1)
					}
				default:
					t.Errorf("round %d writer %d: %v, want success or ConflictError", round, res.writer, res.err)
				}
			}
			if winners != 1 {
				t.Fatalf("round %d: %d winners, want exactly 1", round, winners)
			}
		}
		checkHistory(t, s, acked)
	})
}

// TestConcurrentAppendRetry: writers that retry on conflict from the new
// head, as a script would. Every acknowledged append is in the history
// exactly once, and the history has nothing else.
func TestConcurrentAppendRetry(t *testing.T) {
	const writers, each = 8, 5
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var (
			mu    sync.Mutex
			acked = map[int64]string{}
			wg    sync.WaitGroup
		)
		for w := range writers {
			wg.Go(func() {
				base := int64(0)
				for i := 0; i < each; {
					msg := fmt.Sprintf("writer %d change %d", w, i)
					r, err := s.Append(ctx, NewRevision{Base: base, Catalog: []byte(msg), Author: "w", Message: msg})
					var ce *ConflictError
					switch {
					case err == nil:
						mu.Lock()
						if prev, dup := acked[r.ID]; dup {
							t.Errorf("id %d acknowledged twice: %q and %q", r.ID, prev, msg)
						}
						acked[r.ID] = msg
						mu.Unlock()
						base = r.ID
						i++
					case errors.As(err, &ce):
						if ce.Head <= ce.Base {
							t.Errorf("conflict whose head is not ahead of its base: %+v", ce)
						}
						base = ce.Head
					default:
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if len(acked) != writers*each {
			t.Errorf("%d appends acknowledged, want %d", len(acked), writers*each)
		}
		checkHistory(t, s, acked)
	})
}

// checkHistory asserts that the store holds exactly the acknowledged
// revisions, ids 1..n, and verifies.
func checkHistory(t *testing.T, s *Store, acked map[int64]string) {
	t.Helper()
	ctx := context.Background()
	n, err := s.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(acked)) {
		t.Errorf("Count = %d, %d appends acknowledged", n, len(acked))
	}
	list, err := s.List(ctx, 0, MaxListLimit)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, r := range list {
		if want := int64(len(list) - i); r.ID != want {
			t.Errorf("List[%d].ID = %d, want %d (ids not contiguous)", i, r.ID, want)
		}
		if acked[r.ID] != r.Message {
			t.Errorf("revision %d holds %q, the acknowledged append was %q", r.ID, r.Message, acked[r.ID])
		}
		if seen[r.Message] {
			t.Errorf("%q stored twice", r.Message)
		}
		seen[r.Message] = true
	}
	ids := make([]int64, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for i, id := range ids {
		if id != int64(i+1) {
			t.Errorf("acknowledged ids are not 1..n: %v", ids)
			break
		}
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() || rep.Revisions != n {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}

// TestConcurrentAppendTwoHandles: two Stores on one SQLite file, as when
// `hubprofiles import` runs beside `serve`. They share no Go lock, so
// BEGIN IMMEDIATE and busy_timeout alone must serialise them, and every
// loser must still get a ConflictError, not SQLITE_BUSY.
func TestConcurrentAppendTwoHandles(t *testing.T) {
	const writers, rounds = 10, 10
	path := backends[0].url(t)
	handles := []*Store{openStore(t, path), openStore(t, path)}
	ctx := context.Background()
	acked := map[int64]string{}
	for round := range rounds {
		base := int64(round)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners int
		)
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				msg := fmt.Sprintf("round %d writer %d", round, w)
				r, err := handles[w%2].Append(ctx, NewRevision{Base: base, Catalog: []byte(msg), Author: "w", Message: msg})
				var ce *ConflictError
				switch {
				case err == nil:
					mu.Lock()
					winners++
					acked[r.ID] = msg
					mu.Unlock()
				case errors.As(err, &ce):
					if *ce != (ConflictError{Base: base, Head: base + 1}) {
						t.Errorf("round %d: %+v", round, ce)
					}
				default:
					t.Errorf("round %d writer %d: %v", round, w, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if winners != 1 {
			t.Fatalf("round %d: %d winners, want 1", round, winners)
		}
	}
	checkHistory(t, handles[1], acked)
}
