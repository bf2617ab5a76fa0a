package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Publication records that a revision was made live: the newest publication
// is what KubeSpawner is served. Publishing, re-publishing and rolling back
// all append one.
type Publication struct {
	ID         int64 // 1, 2, 3... in the order they were made
	RevisionID int64
	CreatedAt  time.Time // UTC, microseconds
	Author     string
	Message    string
}

// publicationRow is a row of publications.
type publicationRow struct {
	ID         int64 `gorm:"column:id;primaryKey;autoIncrement:false"`
	RevisionID int64
	CreatedAt  time.Time
	Author     string
	Message    string
}

func (publicationRow) TableName() string { return "publications" }

func (row *publicationRow) publication() *Publication {
	return &Publication{
		ID:         row.ID,
		RevisionID: row.RevisionID,
		CreatedAt:  row.CreatedAt.UTC(),
		Author:     row.Author,
		Message:    row.Message,
	}
}

// Publish makes revision revisionID live by appending a publication.
// ErrNotFound when there is no such revision.
func (s *Store) Publish(ctx context.Context, revisionID int64, author, message string) (*Publication, error) {
	if author == "" {
		return nil, errors.New("store: publish: author is required")
	}
	if err := checkText("author", author); err != nil {
		return nil, err
	}
	if err := checkText("message", message); err != nil {
		return nil, err
	}
	var pub *Publication
	err := s.write(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&revisionRow{}).Where("id = ?", revisionID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no such revision: %w", ErrNotFound)
		}
		var err error
		pub, err = s.publishTx(tx, revisionID, author, message)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: publish revision %d: %w", revisionID, err)
	}
	return pub, nil
}

// publishTx appends a publication inside a write transaction. Its id is the
// newest one's plus one, so ids follow commit order and "newest" is never
// ambiguous; on PostgreSQL a table lock that only publishers take (SHARE ROW
// EXCLUSIVE conflicts with itself, not with readers) makes them wait for one
// another, as BEGIN IMMEDIATE already does on SQLite.
func (s *Store) publishTx(tx *gorm.DB, revisionID int64, author, message string) (*Publication, error) {
	if s.dialect == DialectPostgres {
		if err := tx.Exec("LOCK TABLE publications IN SHARE ROW EXCLUSIVE MODE").Error; err != nil {
			return nil, fmt.Errorf("lock publications: %w", err)
		}
	}
	var last int64
	if err := tx.Model(&publicationRow{}).Select("COALESCE(MAX(id), 0)").Scan(&last).Error; err != nil {
		return nil, fmt.Errorf("read last publication: %w", err)
	}
	row := &publicationRow{ID: last + 1, RevisionID: revisionID, CreatedAt: now(), Author: author, Message: message}
	if err := tx.Create(row).Error; err != nil {
		return nil, fmt.Errorf("insert publication: %w", err)
	}
	return row.publication(), nil
}

// Live is the newest publication and the revision it points at, with its
// content. ErrNotFound when nothing was ever published.
func (s *Store) Live(ctx context.Context) (*Publication, *Revision, error) {
	var row publicationRow
	err := s.db.WithContext(ctx).Order("id DESC").Limit(1).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, fmt.Errorf("store: live: nothing published yet: %w", ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: live: %w", err)
	}
	// A second query is safe without a transaction: the revision was
	// committed before the publication that names it, and is never deleted.
	rev, err := s.Get(ctx, row.RevisionID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: live: publication %d: %w", row.ID, err)
	}
	return row.publication(), rev, nil
}

// Publications is up to limit publications, newest first. limit <= 0 means
// DefaultListLimit; at most MaxListLimit are returned.
func (s *Store) Publications(ctx context.Context, limit int) ([]Publication, error) {
	var rows []publicationRow
	err := s.db.WithContext(ctx).Order("id DESC").Limit(clampLimit(limit)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: list publications: %w", err)
	}
	out := make([]Publication, len(rows))
	for i := range rows {
		out[i] = *rows[i].publication()
	}
	return out, nil
}
