package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Revision is one immutable state of the catalog. Revisions form a linear
// history: revision n's parent is n-1.
type Revision struct {
	ID        int64     // 1, 2, 3...: ID = ParentID + 1
	ParentID  int64     // 0 for the first
	CreatedAt time.Time // UTC, microseconds
	Author    string    // hub user name, or "system:<reason>"
	Message   string
	// Catalog is the canonical JSON of the model.Catalog and ProfileList the
	// rendered profile_list; the store keeps both as opaque bytes. List leaves
	// them nil.
	Catalog     []byte
	ProfileList []byte
	// ContentSHA256 is ContentHash(Catalog, ProfileList), hex.
	ContentSHA256 string
	// ChainSHA256 is ChainHash over the parent's ChainSHA256 and this
	// revision's metadata and ContentSHA256, hex: changing any revision
	// changes the chain hash of every later one.
	ChainSHA256 string
}

// NewRevision is what Append needs to add a revision.
type NewRevision struct {
	Base        int64 // the head the writer saw; 0 for an empty store
	Catalog     []byte
	ProfileList []byte
	Author      string
	Message     string
	Publish     bool // also publish it, same author and message, in the same transaction
}

// DefaultListLimit is how many rows List and Publications return when asked
// for limit <= 0; MaxListLimit caps what they return.
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
)

// ContentHash is the hex SHA-256 of catalog, a zero byte, and profileList.
// (Both are JSON, which never contains a zero byte, so the split is unambiguous.)
func ContentHash(catalog, profileList []byte) string {
	h := sha256.New()
	h.Write(catalog)
	h.Write([]byte{0})
	h.Write(profileList)
	return hex.EncodeToString(h.Sum(nil))
}

// ChainHash is the hex SHA-256 that links r to its parent, whose chain hash
// is parentChain ("" for revision 1). It hashes these lines, each ending in
// "\n" (LF):
//
//	hubprofiles-chain-v1
//	<parentChain: lowercase hex, or empty for revision 1>
//	<r.ID, decimal>
//	<r.ParentID, decimal; 0 for revision 1>
//	<r.CreatedAt in UTC, Go's time.RFC3339Nano: 2006-01-02T15:04:05.999999999Z, trailing zeros dropped>
//	<length of r.Author in bytes, decimal>
//	<r.Author>
//	<length of r.Message in bytes, decimal>
//	<r.Message>
//	<r.ContentSHA256: lowercase hex>
//
// Author and message are free text that may hold newlines; their length
// prefixes keep the encoding unambiguous (otherwise moving a line from the
// author to the message would keep the hash). The first line names the
// format so that it can change without confusing old hashes with new ones.
func ChainHash(parentChain string, r *Revision) string {
	var b bytes.Buffer
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	line("hubprofiles-chain-v1")
	line(parentChain)
	line(strconv.FormatInt(r.ID, 10))
	line(strconv.FormatInt(r.ParentID, 10))
	line(r.CreatedAt.UTC().Format(time.RFC3339Nano))
	line(strconv.Itoa(len(r.Author)))
	line(r.Author)
	line(strconv.Itoa(len(r.Message)))
	line(r.Message)
	line(r.ContentSHA256)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// revisionRow is a row of revisions. parent_id is NULL for revision 1 (a
// foreign key cannot point at 0).
type revisionRow struct {
	ID            int64  `gorm:"column:id;primaryKey;autoIncrement:false"`
	ParentID      *int64 `gorm:"column:parent_id"`
	CreatedAt     time.Time
	Author        string
	Message       string
	Catalog       []byte // as stored: see content.go
	ProfileList   []byte
	ContentSHA256 string `gorm:"column:content_sha256"`
	ChainSHA256   string `gorm:"column:chain_sha256"`
	// ContentEncoding and ContentBaseID say how Catalog and ProfileList are
	// stored (content.go).
	ContentEncoding string `gorm:"column:content_encoding"`
	ContentBaseID   *int64 `gorm:"column:content_base_id"`
}

func (revisionRow) TableName() string { return "revisions" }

// metaColumns are the revisions columns without the content, for List.
const metaColumns = "id, parent_id, created_at, author, message, content_sha256, chain_sha256"

// revision is the row's metadata, without content (see Store.content).
func (row *revisionRow) revision() *Revision {
	r := &Revision{
		ID:            row.ID,
		CreatedAt:     row.CreatedAt.UTC(),
		Author:        row.Author,
		Message:       row.Message,
		ContentSHA256: row.ContentSHA256,
		ChainSHA256:   row.ChainSHA256,
	}
	if row.ParentID != nil {
		r.ParentID = *row.ParentID
	}
	return r
}

// rowOf is the row that stores r, its content stored as e.
func rowOf(r *Revision, e *encoded) *revisionRow {
	row := &revisionRow{
		ID:              r.ID,
		CreatedAt:       r.CreatedAt,
		Author:          r.Author,
		Message:         r.Message,
		Catalog:         e.catalog,
		ProfileList:     e.profileList,
		ContentSHA256:   r.ContentSHA256,
		ChainSHA256:     r.ChainSHA256,
		ContentEncoding: e.encoding,
		ContentBaseID:   e.baseID,
	}
	if r.ParentID != 0 {
		p := r.ParentID
		row.ParentID = &p
	}
	return row
}

// checkText refuses what one of the databases would store differently from
// the other or not at all: PostgreSQL's TEXT holds neither invalid UTF-8 nor
// NUL bytes.
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("store: %s is not valid UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("store: %s contains a NUL byte", field)
	}
	return nil
}

// Append adds one revision whose parent is r.Base, in one transaction, and
// with r.Publish a publication of it in the same transaction. If the head is
// not r.Base, nothing is written and the error is a *ConflictError.
//
// Of concurrent Appends on the same base exactly one succeeds: the head is
// checked inside the transaction, and the new id, Base+1, is the primary key,
// so a writer that passed the check at the same time as another (PostgreSQL,
// READ COMMITTED) fails on the key and gets a *ConflictError too. (Writers
// also queue on the chain lock, lockChain, before reading the head, so on
// PostgreSQL that race is a second line of defence.)
func (s *Store) Append(ctx context.Context, r NewRevision) (*Revision, error) {
	if r.Base < 0 {
		return nil, fmt.Errorf("store: append: negative base %d", r.Base)
	}
	if r.Author == "" {
		return nil, errors.New("store: append: author is required")
	}
	if err := checkText("author", r.Author); err != nil {
		return nil, err
	}
	if err := checkText("message", r.Message); err != nil {
		return nil, err
	}
	rev := &Revision{
		ID:          r.Base + 1,
		ParentID:    r.Base,
		CreatedAt:   now(),
		Author:      r.Author,
		Message:     r.Message,
		Catalog:     bytes.Clone(r.Catalog),
		ProfileList: bytes.Clone(r.ProfileList),
	}
	if rev.Catalog == nil {
		rev.Catalog = []byte{}
	}
	if rev.ProfileList == nil {
		rev.ProfileList = []byte{}
	}
	rev.ContentSHA256 = ContentHash(rev.Catalog, rev.ProfileList)

	var (
		conflict *ConflictError
		link     ChainHead
		pubID    int64
		newBase  *base // the base for the revisions after this one, once committed
	)
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.lockChain(tx); err != nil {
			return err
		}
		var head revisionRow
		err := tx.Select("id, chain_sha256").Order("id DESC").Limit(1).Take(&head).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("read head: %w", err)
		}
		if head.ID != r.Base {
			conflict = &ConflictError{Base: r.Base, Head: head.ID}
			return conflict
		}
		rev.ChainSHA256 = ChainHash(head.ChainSHA256, rev)
		// A damaged base only means this revision is stored on its own.
		b, err := s.baseBefore(tx, rev.ID)
		if err != nil {
			return err
		}
		enc, next, err := compress(rev.ID, b, rev.Catalog, rev.ProfileList, false)
		if err != nil {
			return fmt.Errorf("revision %d: %w", rev.ID, err)
		}
		if b == nil || next.id != b.id {
			newBase = next
		}
		if err := tx.Create(rowOf(rev, enc)).Error; err != nil {
			if isDuplicate(err) {
				conflict = &ConflictError{Base: r.Base, Head: -1}
				return conflict
			}
			return fmt.Errorf("insert revision %d: %w", rev.ID, err)
		}
		if link, err = linkRevision(tx, rev.ID, rev.ChainSHA256); err != nil {
			return err
		}
		if r.Publish {
			var pub *Publication
			if pub, link, err = s.publishTx(tx, rev.ID, rev.ChainSHA256, r.Author, r.Message); err != nil {
				return err
			}
			pubID = pub.ID
		}
		return nil
	})
	if conflict != nil {
		if conflict.Head < 0 {
			// Lost the race on the primary key: the transaction is gone,
			// so read the head that won.
			head, err := s.headID(ctx)
			if err != nil {
				return nil, fmt.Errorf("store: append on %d: %w (and reading the head: %w)", r.Base, conflict, err)
			}
			conflict.Head = head
		}
		return nil, conflict
	}
	if err != nil {
		return nil, fmt.Errorf("store: append on %d: %w", r.Base, err)
	}
	if newBase != nil {
		s.remember(newBase)
	}
	s.logHead(ctx, link, rev.ID, pubID)
	return rev, nil
}

// isDuplicate tells whether err is a unique violation: two writers inserting
// the same id. On SQLite, the insert trigger that closes INSERT OR REPLACE
// fires before the primary key is checked, so its error counts too.
func isDuplicate(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	// glebarez/go-sqlite's *Error, matched by its method so that the store
	// needs no import of the driver below the GORM dialector.
	var se interface{ Code() int }
	if errors.As(err, &se) {
		const (
			constraint           = 19   // SQLITE_CONSTRAINT
			constraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
			constraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
			constraintTrigger    = 1811 // SQLITE_CONSTRAINT_TRIGGER
		)
		switch code := se.Code(); {
		case code == constraintPrimaryKey, code == constraintUnique:
			return true
		case code == constraintTrigger || code == constraint:
			return strings.Contains(err.Error(), "already exists")
		}
		return false
	}
	return errors.Is(err, gorm.ErrDuplicatedKey)
}

func (s *Store) headID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.WithContext(ctx).Model(&revisionRow{}).Select("COALESCE(MAX(id), 0)").Scan(&id).Error
	return id, err
}

// Head is the newest revision, with its content. ErrNotFound when the store
// is empty.
func (s *Store) Head(ctx context.Context) (*Revision, error) {
	var row revisionRow
	err := s.db.WithContext(ctx).Order("id DESC").Limit(1).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("store: head: no revisions yet: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: head: %w", err)
	}
	return s.withContent(ctx, &row)
}

// withContent is the revision row stands for, with its logical content.
func (s *Store) withContent(ctx context.Context, row *revisionRow) (*Revision, error) {
	r := row.revision()
	var err error
	if r.Catalog, r.ProfileList, err = s.content(s.db.WithContext(ctx), row); err != nil {
		if errors.Is(err, errDamaged) {
			return nil, &DamagedError{Revision: row.ID, Err: err}
		}
		return nil, fmt.Errorf("store: revision %d: %w", row.ID, err)
	}
	return r, nil
}

// Get is revision id, with its content. ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, id int64) (*Revision, error) {
	var row revisionRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("store: revision %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: revision %d: %w", id, err)
	}
	return s.withContent(ctx, &row)
}

// List is up to limit revisions with ids below before, newest first; from
// the head when before <= 0. limit <= 0 means DefaultListLimit, and at most
// MaxListLimit are returned. Catalog and ProfileList are left nil: the
// content is not read. The next page is List(ctx, last.ID, limit).
func (s *Store) List(ctx context.Context, before int64, limit int) ([]Revision, error) {
	q := s.db.WithContext(ctx).Select(metaColumns).Order("id DESC").Limit(clampLimit(limit))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var rows []revisionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list revisions before %d: %w", before, err)
	}
	out := make([]Revision, len(rows))
	for i := range rows {
		out[i] = *rows[i].revision()
	}
	return out, nil
}

// Count is how many revisions there are. The schema keeps ids contiguous from
// 1 (each id is its parent's plus one and nothing is deleted), so it is the
// head's id, read from the primary key index without a scan.
func (s *Store) Count(ctx context.Context) (int64, error) {
	n, err := s.headID(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: count revisions: %w", err)
	}
	return n, nil
}

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultListLimit
	case limit > MaxListLimit:
		return MaxListLimit
	}
	return limit
}
