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
	var (
		pub  *Publication
		link ChainHead
	)
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.lockChain(tx); err != nil {
			return err
		}
		var rev revisionRow
		err := tx.Select("id, chain_sha256").Where("id = ?", revisionID).Take(&rev).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("no such revision: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		pub, link, err = s.publishTx(tx, revisionID, rev.ChainSHA256, author, message)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: publish revision %d: %w", revisionID, err)
	}
	s.logHead(ctx, link, revisionID, pub.ID)
	return pub, nil
}

// publishTx appends a publication of the revision whose chain hash is
// revChain, and its chain link, inside a write transaction that holds the
// chain lock (lockChain). Its id is the newest one's plus one, so ids follow
// commit order and "newest" is never ambiguous; the chain lock makes
// publishers on PostgreSQL wait for one another, as BEGIN IMMEDIATE already
// does on SQLite.
func (s *Store) publishTx(tx *gorm.DB, revisionID int64, revChain, author, message string) (*Publication, ChainHead, error) {
	var last int64
	if err := tx.Model(&publicationRow{}).Select("COALESCE(MAX(id), 0)").Scan(&last).Error; err != nil {
		return nil, ChainHead{}, fmt.Errorf("read last publication: %w", err)
	}
	row := &publicationRow{ID: last + 1, RevisionID: revisionID, CreatedAt: now(), Author: author, Message: message}
	if err := tx.Create(row).Error; err != nil {
		return nil, ChainHead{}, fmt.Errorf("insert publication: %w", err)
	}
	pub := row.publication()
	link, err := linkPublication(tx, pub, revChain)
	if err != nil {
		return nil, ChainHead{}, err
	}
	return pub, link, nil
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
