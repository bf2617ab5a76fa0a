package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// VerifyReport is what Verify found.
type VerifyReport struct {
	Revisions    int64 // revisions read
	Publications int64 // publications read
	// Head is the newest link of the history chain as stored (Seq 0 when
	// there is none): what the server logs after each write.
	Head ChainHead
	// FirstBad is the id of the first revision that fails a check, 0 if none.
	FirstBad int64
	// FirstBadPublication is the id of the first publication that fails a
	// check (changed, forged, missing, or not in the chain), 0 if none.
	FirstBadPublication int64
	// Problem says what is wrong, in words: the first bad revision's fault,
	// then the first bad publication's, then the chain's and the witnesses',
	// then any other finding (a missing or disabled append-only trigger, a
	// database integrity error), separated by "; ". Empty when everything
	// checks out.
	Problem string
}

// OK is true when Verify found nothing wrong.
func (r VerifyReport) OK() bool {
	return r.FirstBad == 0 && r.FirstBadPublication == 0 && r.Problem == ""
}

// Verify reads the whole history in one consistent snapshot and checks it:
// revision ids run 1, 2, 3... with each parent the previous revision; every
// content hash and chain hash recomputes to what is stored; publication ids
// run 1, 2, 3... and each points at an existing revision; the chain links
// (chain.go) cover every revision and publication in order and recompute to
// what is stored, so a publication changed, repointed, forged or removed is
// found; each witness in expect (a chain head noted outside the database,
// from the server's log) is still in the chain, so the newest entries cannot
// have been removed since; the append-only triggers are all present and
// enabled; and the database's own integrity checks pass (SQLite: PRAGMA
// integrity_check and foreign_key_check; PostgreSQL: no constraint left
// unvalidated). A changed row is caught by the hashes even when whoever
// changed it disabled the triggers first; one who also recomputed every later
// hash is not, unless a chain head was noted somewhere outside the database
// after the changed row and is given in expect.
//
// The error is only for failing to read; what is wrong with the data is in
// the report.
func (s *Store) Verify(ctx context.Context, expect ...ChainHead) (VerifyReport, error) {
	var rep VerifyReport
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == DialectPostgres {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for every query
	}
	var problems []string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		chains, p, err := s.verifyRevisions(tx, &rep)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
		pubs, p, err := s.verifyPublications(tx, &rep, chains)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
		p, err = s.verifyChain(tx, &rep, chains, pubs, expect)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
		for _, check := range []func(*gorm.DB, *VerifyReport) ([]string, error){
			s.verifyTriggers, s.verifyIntegrity,
		} {
			p, err := check(tx, &rep)
			if err != nil {
				return err
			}
			problems = append(problems, p...)
		}
		return nil
	}, opts)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("store: verify: %w", err)
	}
	rep.Problem = strings.Join(problems, "; ")
	return rep, nil
}

// verifyRevisions walks the revisions in id order, streaming them so that a
// long history's content is never all in memory. It sets rep.FirstBad and
// stops checking (not counting) at the first bad revision: every later chain
// hash depends on it. It returns every revision's stored chain hash by id,
// for the chain links.
func (s *Store) verifyRevisions(tx *gorm.DB, rep *VerifyReport) (map[int64]string, []string, error) {
	rows, err := tx.Model(&revisionRow{}).Order("id").Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("read revisions: %w", err)
	}
	defer rows.Close()
	var (
		problem   string
		prevChain string
		chains    = map[int64]string{}
		// b is the newest self-contained revision so far: the only one the
		// store compresses later revisions against (content.go). It is made
		// from last only when a revision needs it.
		b    *base
		last struct {
			id                   int64
			catalog, profileList []byte
			stored               int
		}
	)
	for rows.Next() {
		var row revisionRow
		if err := tx.ScanRows(rows, &row); err != nil {
			return nil, nil, fmt.Errorf("read revisions: %w", err)
		}
		rep.Revisions++
		chains[row.ID] = row.ChainSHA256
		if rep.FirstBad != 0 {
			continue
		}
		if row.ContentBaseID != nil && *row.ContentBaseID == last.id && (b == nil || b.id != last.id) {
			if b, err = newBase(last.id, last.catalog, last.profileList, last.stored); err != nil {
				return nil, nil, err
			}
		}
		catalog, profileList, err := row.encoded().decode(b)
		if p := checkRevision(&row, catalog, profileList, err, rep.Revisions, prevChain); p != "" {
			// A gap in the ids makes the missing revision the first bad one.
			rep.FirstBad = min(row.ID, rep.Revisions)
			problem = fmt.Sprintf("revision %d: %s", row.ID, p)
			continue
		}
		prevChain = row.ChainSHA256
		if row.ContentBaseID == nil {
			last.id, last.catalog, last.profileList, last.stored = row.ID, catalog, profileList, row.encoded().size()
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read revisions: %w", err)
	}
	if problem == "" {
		return chains, nil, nil
	}
	return chains, []string{problem}, nil
}

// checkRevision says what is wrong with row, the want-th revision, whose
// parent's chain hash is prevChain and whose content decoded to catalog and
// profileList, or failed to with decodeErr; "" if nothing.
func checkRevision(row *revisionRow, catalog, profileList []byte, decodeErr error, want int64, prevChain string) string {
	rev := row.revision()
	switch {
	case rev.ID != want && want == 1:
		return "the history starts here, not at revision 1"
	case rev.ID != want:
		return fmt.Sprintf("revision %d is missing: ids are not contiguous", want)
	case rev.ID == 1 && row.ParentID != nil:
		return fmt.Sprintf("the first revision has parent %d", *row.ParentID)
	case rev.ID > 1 && rev.ParentID != rev.ID-1:
		return fmt.Sprintf("parent is %d, not %d", rev.ParentID, rev.ID-1)
	}
	if decodeErr != nil {
		return fmt.Sprintf("content changed: what is stored cannot be read back (%v)", decodeErr)
	}
	if got := ContentHash(catalog, profileList); got != rev.ContentSHA256 {
		return fmt.Sprintf("content changed: catalog and profile list hash to %s, the stored content_sha256 is %s", got, rev.ContentSHA256)
	}
	if got := ChainHash(prevChain, rev); got != rev.ChainSHA256 {
		return fmt.Sprintf("metadata or chain changed: id, parent, time, author, message and parent chain hash to %s, the stored chain_sha256 is %s", got, rev.ChainSHA256)
	}
	return ""
}

// verifyPublications reads the publications (small rows, one per
// publication: they fit in memory) and finds the first whose id breaks the
// sequence or that points at no revision. It returns them by id, for the
// chain links.
func (s *Store) verifyPublications(tx *gorm.DB, rep *VerifyReport, chains map[int64]string) (map[int64]*Publication, []string, error) {
	var rows []publicationRow
	if err := tx.Order("id").Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("read publications: %w", err)
	}
	rep.Publications = int64(len(rows))
	pubs := make(map[int64]*Publication, len(rows))
	var problem string
	for i := range rows {
		p := rows[i].publication()
		pubs[p.ID] = p
		if problem != "" {
			continue
		}
		want := int64(i) + 1
		switch _, ok := chains[p.RevisionID]; {
		case p.ID != want:
			rep.FirstBadPublication = want
			problem = fmt.Sprintf("publication %d is missing: publication ids jump from %d to %d", want, want-1, p.ID)
		case !ok:
			rep.FirstBadPublication = p.ID
			problem = fmt.Sprintf("publication %d points at revision %d, which does not exist", p.ID, p.RevisionID)
		}
	}
	if problem == "" {
		return pubs, nil, nil
	}
	return pubs, []string{problem}, nil
}

// verifyChain walks the chain links in order and checks that they stand for
// revision 1, 2, 3... and publication 1, 2, 3... (interleaved as they were
// written), that each link's hash recomputes from the previous one and the
// row it stands for, that no revision or publication is left without a
// link, and that each witness in expect is one of the links. It stops at
// the first bad link: every later hash depends on it. The first bad row it
// finds becomes rep.FirstBad or rep.FirstBadPublication unless an earlier
// check named an earlier one.
func (s *Store) verifyChain(tx *gorm.DB, rep *VerifyReport, chains map[int64]string, pubs map[int64]*Publication, expect []ChainHead) ([]string, error) {
	rows, err := tx.Model(&chainLinkRow{}).Order("seq").Rows()
	if err != nil {
		return nil, fmt.Errorf("read chain links: %w", err)
	}
	defer rows.Close()
	var (
		problem          string
		badRev, badPub   int64
		prev             string
		seq              int64
		nextRev, nextPub int64 = 1, 1
		witnessed              = map[int64]string{}
	)
	for _, w := range expect {
		witnessed[w.Seq] = w.SHA256
	}
	var witnessProblems []string
	for rows.Next() {
		var row chainLinkRow
		if err := tx.ScanRows(rows, &row); err != nil {
			return nil, fmt.Errorf("read chain links: %w", err)
		}
		rep.Head = ChainHead{Seq: row.Seq, SHA256: row.LinkSHA256}
		if want, ok := witnessed[row.Seq]; ok && want != row.LinkSHA256 {
			witnessProblems = append(witnessProblems, fmt.Sprintf("chain link %d is %s now, not the witnessed %s: the history up to %s was rewritten", row.Seq, row.LinkSHA256, want, row.what()))
		}
		if problem != "" {
			continue
		}
		seq++
		switch {
		case row.RevisionID != nil:
			id := *row.RevisionID
			chain, ok := chains[id]
			switch {
			case id != nextRev && id > nextRev:
				badRev, problem = nextRev, fmt.Sprintf("revision %d is not in the hash chain: chain link %d names revision %d next", nextRev, row.Seq, id)
			case id != nextRev:
				badRev, problem = id, fmt.Sprintf("revision %d: chain link %d names it a second time", id, row.Seq)
			case !ok:
				badRev, problem = id, fmt.Sprintf("revision %d is missing: chain link %d names it", id, row.Seq)
			case row.Seq != seq:
				// The next revision is in its place, so the missing link
				// stood for the next publication.
				badPub, problem = nextPub, fmt.Sprintf("publication %d is not in the hash chain: chain link %d is missing (link %d names revision %d)", nextPub, seq, row.Seq, id)
			case RevisionLinkHash(prev, row.Seq, id, chain) != row.LinkSHA256:
				badRev, problem = id, fmt.Sprintf("revision %d: chain link %d does not match it: the revision or an earlier link changed", id, row.Seq)
			}
			nextRev = id + 1
		case row.PublicationID != nil:
			id := *row.PublicationID
			p, ok := pubs[id]
			switch {
			case id != nextPub && id > nextPub:
				badPub, problem = nextPub, fmt.Sprintf("publication %d is not in the hash chain: chain link %d names publication %d next", nextPub, row.Seq, id)
			case id != nextPub:
				badPub, problem = id, fmt.Sprintf("publication %d: chain link %d names it a second time", id, row.Seq)
			case !ok:
				badPub, problem = id, fmt.Sprintf("publication %d is missing: chain link %d names it", id, row.Seq)
			case row.Seq != seq:
				badRev, problem = nextRev, fmt.Sprintf("revision %d is not in the hash chain: chain link %d is missing (link %d names publication %d)", nextRev, seq, row.Seq, id)
			case PublicationLinkHash(prev, row.Seq, p, chains[p.RevisionID]) != row.LinkSHA256:
				badPub, problem = id, fmt.Sprintf("publication %d (of revision %d, by %s): chain link %d does not match it: the publication, the revision it names or an earlier link changed", id, p.RevisionID, p.Author, row.Seq)
			}
			nextPub = id + 1
		default:
			problem = fmt.Sprintf("chain link %d names neither a revision nor a publication", row.Seq)
		}
		prev = row.LinkSHA256
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read chain links: %w", err)
	}
	if problem == "" {
		switch {
		case nextRev <= rep.Revisions:
			badRev, problem = nextRev, fmt.Sprintf("revision %d is not in the hash chain: written behind the store's back (the chain ends at link %d)", nextRev, rep.Head.Seq)
		case nextPub <= rep.Publications:
			badPub, problem = nextPub, fmt.Sprintf("publication %d is not in the hash chain: written behind the store's back (the chain ends at link %d)", nextPub, rep.Head.Seq)
		}
	}
	for _, w := range expect {
		if w.Seq > rep.Head.Seq {
			witnessProblems = append(witnessProblems, fmt.Sprintf("chain link %d (%s) was witnessed, but the history ends at link %d: links %d to %d, the newest entries, were removed", w.Seq, w.SHA256, rep.Head.Seq, rep.Head.Seq+1, w.Seq))
		}
	}
	if badRev != 0 && (rep.FirstBad == 0 || badRev < rep.FirstBad) {
		rep.FirstBad = badRev
	}
	if badPub != 0 && (rep.FirstBadPublication == 0 || badPub < rep.FirstBadPublication) {
		rep.FirstBadPublication = badPub
	}
	var problems []string
	if problem != "" {
		problems = append(problems, problem)
	}
	return append(problems, witnessProblems...), nil
}

// verifyTriggers reports append-only triggers that are missing or disabled.
func (s *Store) verifyTriggers(tx *gorm.DB, _ *VerifyReport) ([]string, error) {
	type trigger struct {
		Name    string
		Enabled bool
	}
	var found []trigger
	q := `SELECT name, 1 AS enabled FROM sqlite_master WHERE type = 'trigger'`
	if s.dialect == DialectPostgres {
		// tgenabled: O enabled, A always, R only under replication, D disabled.
		q = `SELECT tgname AS name, tgenabled IN ('O', 'A') AS enabled FROM pg_trigger
			WHERE tgrelid IN ('revisions'::regclass, 'publications'::regclass, 'chain_links'::regclass) AND NOT tgisinternal`
	}
	if err := tx.Raw(q).Scan(&found).Error; err != nil {
		return nil, fmt.Errorf("list triggers: %w", err)
	}
	var problems []string
	for _, name := range appendOnlyTriggers[s.dialect] {
		i := slices.IndexFunc(found, func(t trigger) bool { return t.Name == name })
		switch {
		case i < 0:
			problems = append(problems, fmt.Sprintf("append-only trigger %s is missing", name))
		case !found[i].Enabled:
			problems = append(problems, fmt.Sprintf("append-only trigger %s is disabled", name))
		}
	}
	return problems, nil
}

// verifyIntegrity runs the database's own consistency checks.
func (s *Store) verifyIntegrity(tx *gorm.DB, _ *VerifyReport) ([]string, error) {
	var problems []string
	if s.dialect == DialectPostgres {
		// Constraints added NOT VALID, or foreign keys an admin switched off
		// by hand, do not vouch for the rows. (Page-level checks need the
		// amcheck extension and a superuser; pg_amcheck does that offline.)
		var unvalidated []string
		err := tx.Raw(`SELECT conname FROM pg_constraint
			WHERE conrelid IN ('revisions'::regclass, 'publications'::regclass, 'chain_links'::regclass) AND NOT convalidated
			ORDER BY conname`).Scan(&unvalidated).Error
		if err != nil {
			return nil, fmt.Errorf("list constraints: %w", err)
		}
		for _, c := range unvalidated {
			problems = append(problems, fmt.Sprintf("constraint %s is not validated", c))
		}
		return problems, nil
	}
	var integrity []string
	if err := tx.Raw("PRAGMA integrity_check").Scan(&integrity).Error; err != nil {
		return nil, fmt.Errorf("integrity_check: %w", err)
	}
	if len(integrity) != 1 || integrity[0] != "ok" {
		problems = append(problems, "integrity_check: "+strings.Join(integrity, ", "))
	}
	var fk []struct {
		Table  string
		Rowid  sql.NullInt64
		Parent string
	}
	if err := tx.Raw("PRAGMA foreign_key_check").Scan(&fk).Error; err != nil {
		return nil, fmt.Errorf("foreign_key_check: %w", err)
	}
	for _, v := range fk {
		problems = append(problems, fmt.Sprintf("foreign_key_check: %s row %d points at a missing %s row", v.Table, v.Rowid.Int64, v.Parent))
	}
	return problems, nil
}
