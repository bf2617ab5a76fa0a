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
	// FirstBad is the id of the first revision that fails a check, 0 if none.
	FirstBad int64
	// Problem says what is wrong, in words: the first bad revision's fault,
	// then any other finding (a dangling publication, a missing or disabled
	// append-only trigger, a database integrity error), separated by "; ".
	// Empty when everything checks out.
	Problem string
}

// OK is true when Verify found nothing wrong.
func (r VerifyReport) OK() bool { return r.FirstBad == 0 && r.Problem == "" }

// Verify reads the whole history in one consistent snapshot and checks it:
// revision ids run 1, 2, 3... with each parent the previous revision; every
// content hash and chain hash recomputes to what is stored; every publication
// points at an existing revision; the append-only triggers are all present
// and enabled; and the database's own integrity checks pass (SQLite: PRAGMA
// integrity_check and foreign_key_check; PostgreSQL: no constraint left
// unvalidated). A changed row is caught by the hashes even when whoever
// changed it disabled the triggers first; one who also recomputed every later
// hash is not, unless a chain hash was noted somewhere outside the database.
//
// The error is only for failing to read; what is wrong with the data is in
// the report.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	var rep VerifyReport
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == DialectPostgres {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for every query
	}
	var problems []string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := s.verifyRevisions(tx, &rep)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
		for _, check := range []func(*gorm.DB, *VerifyReport) ([]string, error){
			s.verifyPublications, s.verifyTriggers, s.verifyIntegrity,
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
// long history is never all in memory. It sets rep.FirstBad and stops
// checking (not counting) at the first bad revision: every later chain hash
// depends on it.
func (s *Store) verifyRevisions(tx *gorm.DB, rep *VerifyReport) ([]string, error) {
	rows, err := tx.Model(&revisionRow{}).Order("id").Rows()
	if err != nil {
		return nil, fmt.Errorf("read revisions: %w", err)
	}
	defer rows.Close()
	var (
		problem   string
		prevChain string
	)
	for rows.Next() {
		var row revisionRow
		if err := tx.ScanRows(rows, &row); err != nil {
			return nil, fmt.Errorf("read revisions: %w", err)
		}
		rep.Revisions++
		if rep.FirstBad != 0 {
			continue
		}
		if p := checkRevision(&row, rep.Revisions, prevChain); p != "" {
			rep.FirstBad = row.ID
			problem = fmt.Sprintf("revision %d: %s", row.ID, p)
			continue
		}
		prevChain = row.ChainSHA256
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read revisions: %w", err)
	}
	if problem == "" {
		return nil, nil
	}
	return []string{problem}, nil
}

// checkRevision says what is wrong with row, the want-th revision, whose
// parent's chain hash is prevChain; "" if nothing.
func checkRevision(row *revisionRow, want int64, prevChain string) string {
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
	if got := ContentHash(rev.Catalog, rev.ProfileList); got != rev.ContentSHA256 {
		return fmt.Sprintf("content changed: catalog and profile list hash to %s, the stored content_sha256 is %s", got, rev.ContentSHA256)
	}
	if got := ChainHash(prevChain, rev); got != rev.ChainSHA256 {
		return fmt.Sprintf("metadata or chain changed: id, parent, time, author, message and parent chain hash to %s, the stored chain_sha256 is %s", got, rev.ChainSHA256)
	}
	return ""
}

// verifyPublications counts publications and finds those that point at no
// revision or break the id sequence.
func (s *Store) verifyPublications(tx *gorm.DB, rep *VerifyReport) ([]string, error) {
	var stats struct {
		N   int64
		Max int64
	}
	if err := tx.Model(&publicationRow{}).Select("COUNT(*) AS n, COALESCE(MAX(id), 0) AS max").Scan(&stats).Error; err != nil {
		return nil, fmt.Errorf("count publications: %w", err)
	}
	rep.Publications = stats.N
	var problems []string
	if stats.N != stats.Max {
		problems = append(problems, fmt.Sprintf("publications: %d rows but the newest id is %d: ids are not contiguous", stats.N, stats.Max))
	}
	var dangling []publicationRow
	err := tx.Table("publications AS p").Select("p.id, p.revision_id").
		Joins("LEFT JOIN revisions AS r ON r.id = p.revision_id").
		Where("r.id IS NULL").Order("p.id").Limit(10).Find(&dangling).Error
	if err != nil {
		return nil, fmt.Errorf("check publications: %w", err)
	}
	for _, p := range dangling {
		problems = append(problems, fmt.Sprintf("publication %d points at revision %d, which does not exist", p.ID, p.RevisionID))
	}
	return problems, nil
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
			WHERE tgrelid IN ('revisions'::regclass, 'publications'::regclass) AND NOT tgisinternal`
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
			WHERE conrelid IN ('revisions'::regclass, 'publications'::regclass) AND NOT convalidated
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
