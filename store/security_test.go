package store

import (
	"context"
	"strings"
	"testing"
)

// The attacks of issue 11 item 7 on the history: someone with write access
// to the database (a SQL prompt, a stolen backup to restore) switches the
// append-only triggers off and rewrites rows so that a restarted server
// serves an old revision as live. Verify must find each one and name the
// first bad revision or publication; deleting the newest entries leaves a
// history that is consistent in itself, so that one needs a chain head
// noted outside the database (the server's log).

// history builds the history every attack starts from: revisions 1-5,
// publications of 2, 4 and 5 (the live one), interleaved as a real history
// is, and returns the chain head the server logged after the last write.
func history(t *testing.T, s *Store) ChainHead {
	t.Helper()
	ctx := context.Background()
	appendN(t, s, 2)
	publish(t, s, 2)
	appendN(t, s, 2)
	publish(t, s, 4)
	appendN(t, s, 1)
	publish(t, s, 5)
	head, err := s.ChainHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Seq != 8 {
		t.Fatalf("chain head %s after 5 revisions and 3 publications, want link 8", head)
	}
	return head
}

func publish(t *testing.T, s *Store, id int64) *Publication {
	t.Helper()
	p, err := s.Publish(context.Background(), id, "bob", "publish "+itoa(id))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tamper runs SQL as an admin who first switched off everything that
// guards the tables: the append-only triggers and the foreign keys.
func tamper(t *testing.T, s *Store, stmts ...string) {
	t.Helper()
	if s.dialect == DialectPostgres {
		for _, table := range []string{"revisions", "publications", "chain_links"} {
			stmts = append([]string{"ALTER TABLE " + table + " DISABLE TRIGGER ALL"}, stmts...)
		}
	} else {
		sqlDB, err := s.db.DB()
		if err != nil {
			t.Fatal(err)
		}
		sqlDB.SetMaxOpenConns(1) // the pragma is per connection
		pre := []string{"PRAGMA foreign_keys = OFF"}
		for _, name := range appendOnlyTriggers[DialectSQLite] {
			pre = append(pre, "DROP TRIGGER "+name)
		}
		stmts = append(pre, stmts...)
	}
	for _, stmt := range stmts {
		if err := s.db.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// wantBad runs Verify and wants it to name revision rev or publication pub
// (0: none) first, with a problem that mentions each of want.
func wantBad(t *testing.T, s *Store, rev, pub int64, want ...string) VerifyReport {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatalf("Verify = %+v, want a problem", rep)
	}
	if rep.FirstBad != rev || rep.FirstBadPublication != pub {
		t.Errorf("first bad revision %d, publication %d; want %d, %d (%s)", rep.FirstBad, rep.FirstBadPublication, rev, pub, rep.Problem)
	}
	for _, w := range want {
		if !strings.Contains(rep.Problem, w) {
			t.Errorf("Problem = %q, want it to contain %q", rep.Problem, w)
		}
	}
	return rep
}

// liveRevision is what a restarted server would serve.
func liveRevision(t *testing.T, s *Store) int64 {
	t.Helper()
	_, rev, err := s.Live(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rev.ID
}

func TestSecurityRepointedLivePublicationIsNamed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		history(t, s)
		tamper(t, s, `UPDATE publications SET revision_id = 1 WHERE id = 3`)
		if got := liveRevision(t, s); got != 1 {
			t.Fatalf("live revision %d after the repointing, want 1: the attack did not happen", got)
		}
		wantBad(t, s, 0, 3, "publication 3 (of revision 1, by bob): chain link 8 does not match it")
	})
}

func TestSecurityForgedPublicationIsNamed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		history(t, s)
		tamper(t, s, `INSERT INTO publications (id, revision_id, created_at, author, message)
			SELECT 4, 1, created_at, 'bob', 'roll back' FROM publications WHERE id = 3`)
		if got := liveRevision(t, s); got != 1 {
			t.Fatalf("live revision %d after the forgery, want 1", got)
		}
		wantBad(t, s, 0, 4, "publication 4 is not in the hash chain")
	})
}

// A forger who also adds a chain link, but cannot make its hash match
// without knowing what it covers exactly (here: a plausible-looking copy of
// the last link), is caught at that link.
func TestSecurityForgedPublicationWithALinkIsNamed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		history(t, s)
		tamper(t, s,
			`INSERT INTO publications (id, revision_id, created_at, author, message)
			SELECT 4, 1, created_at, 'bob', 'roll back' FROM publications WHERE id = 3`,
			`INSERT INTO chain_links (seq, publication_id, link_sha256)
			SELECT 9, 4, link_sha256 FROM chain_links WHERE seq = 8`)
		wantBad(t, s, 0, 4, "publication 4 (of revision 1, by bob): chain link 9 does not match it")
	})
}

// Issue 11 reported this one as "FAILED at revision 0".
func TestSecurityDeletedMiddlePublicationIsNamed(t *testing.T) {
	for _, tt := range []struct {
		name  string
		stmts []string
	}{
		{"the row", []string{`DELETE FROM publications WHERE id = 2`}},
		{"the row and its link", []string{`DELETE FROM chain_links WHERE publication_id = 2`, `DELETE FROM publications WHERE id = 2`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, s *Store) {
				history(t, s)
				tamper(t, s, tt.stmts...)
				wantBad(t, s, 0, 2, "publication 2 is missing")
			})
		})
	}
}

// Removing only a publication's link (keeping the row) is found too.
func TestSecurityUnlinkedPublicationIsNamed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		history(t, s)
		tamper(t, s, `DELETE FROM chain_links WHERE publication_id = 2`)
		wantBad(t, s, 0, 2, "publication 2 is not in the hash chain")
	})
}

// Deleting the newest revisions with their publications and their links
// leaves a shorter history that is consistent in itself: the server would
// serve revision 2 as live after a restart. Verify alone cannot tell; with
// the chain head the server logged after the last write it fails, saying
// which links are gone.
func TestSecurityDeletedNewestEntriesAreCaughtByAWitness(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		witness := history(t, s)
		// Deleting newest first, as an attacker must with foreign keys on.
		tamper(t, s,
			`DELETE FROM chain_links WHERE seq >= 4`,
			`DELETE FROM publications WHERE id >= 2`,
			`DELETE FROM revisions WHERE id >= 3`)
		if got := liveRevision(t, s); got != 2 {
			t.Fatalf("live revision %d after the deletion, want 2", got)
		}
		rep, err := s.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.FirstBad != 0 || rep.FirstBadPublication != 0 || rep.Head.Seq != 3 {
			t.Errorf("Verify without a witness = %+v: want no bad row and head at link 3 (what it cannot see)", rep)
		}
		rep, err = s.Verify(ctx, witness)
		if err != nil {
			t.Fatal(err)
		}
		want := "chain link 8 (" + witness.SHA256 + ") was witnessed, but the history ends at link 3: links 4 to 8, the newest entries, were removed"
		if rep.OK() || !strings.Contains(rep.Problem, want) {
			t.Errorf("Verify with witness %s = %+v, want %q", witness, rep, want)
		}
	})
}

// An attacker who repoints the live publication and recomputes its link
// (the algorithm is public) passes Verify alone; a witness of that link
// taken before shows the rewrite.
func TestSecurityRecomputedChainIsCaughtByAWitness(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		witness := history(t, s)
		var prev chainLinkRow
		if err := s.db.Where("seq = 7").Take(&prev).Error; err != nil {
			t.Fatal(err)
		}
		pubs, err := s.Publications(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		forged := pubs[0]
		forged.RevisionID = 1
		r1, err := s.Get(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		hash := PublicationLinkHash(prev.LinkSHA256, 8, &forged, r1.ChainSHA256)
		tamper(t, s,
			`UPDATE publications SET revision_id = 1 WHERE id = 3`,
			`UPDATE chain_links SET link_sha256 = '`+hash+`' WHERE seq = 8`)
		if rep, err := s.Verify(ctx); err != nil || rep.FirstBad != 0 || rep.FirstBadPublication != 0 {
			t.Fatalf("Verify without a witness = %+v, %v: want the recomputed chain to pass (what it cannot see)", rep, err)
		}
		rep, err := s.Verify(ctx, witness)
		if err != nil {
			t.Fatal(err)
		}
		want := "chain link 8 is " + hash + " now, not the witnessed " + witness.SHA256 + ": the history up to publication 3 was rewritten"
		if rep.OK() || !strings.Contains(rep.Problem, want) {
			t.Errorf("Verify with witness = %+v, want %q", rep, want)
		}
	})
}

// Deleting the newest revision (and what names it) but leaving its link is
// found by Verify alone, naming that revision.
func TestSecurityDeletedNewestRevisionWithoutItsLinkIsNamed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		history(t, s)
		tamper(t, s, `DELETE FROM publications WHERE id = 3`, `DELETE FROM revisions WHERE id = 5`)
		wantBad(t, s, 5, 0, "revision 5 is missing: chain link 7 names it")
	})
}

// A clean history passes, with and without witnesses: every head the
// server logged along the way is still in it.
func TestSecurityCleanHistoryHoldsEveryWitness(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var witnesses []ChainHead
		for i := range 3 {
			appendN(t, s, 1)
			if i != 1 {
				publish(t, s, int64(i+1))
			}
			h, err := s.ChainHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			witnesses = append(witnesses, h)
		}
		rep, err := s.Verify(ctx, witnesses...)
		if err != nil || !rep.OK() || rep.Head != witnesses[2] || rep.Head.Seq != 5 {
			t.Errorf("Verify(%v) = %+v, %v; want ok with head %s", witnesses, rep, err, witnesses[2])
		}
		// A witness that was never logged fails.
		bogus := ChainHead{Seq: 2, SHA256: strings.Repeat("0", 64)}
		if rep, err := s.Verify(ctx, bogus); err != nil || rep.OK() {
			t.Errorf("Verify(%s) = %+v, %v; want a problem", bogus, rep, err)
		}
	})
}
