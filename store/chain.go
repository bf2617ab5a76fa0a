package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The history chain. Each revision's chain hash covers its parent's, so the
// revisions alone form a chain; but publications (which revision is live)
// were outside it, and so was the end of the history: deleting the newest
// rows, or repointing or forging a publication, left every remaining hash
// intact. The chain_links table closes both gaps. It holds one link per
// write, revisions and publications alike, in the order they were committed;
// each link's hash covers the previous link's, its own sequence number, and
// the row it stands for (a revision's chain hash; a publication's every
// field and the chain hash of the revision it made live). So:
//
//   - a publication changed, inserted or deleted behind the store's back no
//     longer matches, or has no, link: Verify alone finds it;
//   - the newest entries deleted together with their links leave a shorter
//     chain that is consistent in itself: only a head noted outside the
//     database (the server logs it after every write) shows that links are
//     gone. Verify takes such heads as witnesses.

// ChainHead is one link of the history chain: its sequence number (1 for the
// first write, counting revisions and publications together) and its hash.
// Its text form, SEQ:HASH, is what the server logs and verify --expect reads.
type ChainHead struct {
	Seq    int64
	SHA256 string // lowercase hex
}

// String is SEQ:HASH.
func (h ChainHead) String() string { return strconv.FormatInt(h.Seq, 10) + ":" + h.SHA256 }

// ParseChainHead reads SEQ:HASH, as ChainHead.String writes it.
func ParseChainHead(s string) (ChainHead, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 1 {
		return ChainHead{}, fmt.Errorf("chain head %q: want SEQ:HASH, a link number from 1 and its SHA-256 in hex, as the server logs it (chain_head=12:3f5a…)", s)
	}
	hash = strings.ToLower(hash)
	if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size {
		return ChainHead{}, fmt.Errorf("chain head %q: the hash after %q must be 64 hex digits", s, seq+":")
	}
	return ChainHead{Seq: n, SHA256: hash}, nil
}

// chainLinkRow is a row of chain_links: exactly one of RevisionID and
// PublicationID is set.
type chainLinkRow struct {
	Seq           int64  `gorm:"column:seq;primaryKey;autoIncrement:false"`
	RevisionID    *int64 `gorm:"column:revision_id"`
	PublicationID *int64 `gorm:"column:publication_id"`
	LinkSHA256    string `gorm:"column:link_sha256"`
}

func (chainLinkRow) TableName() string { return "chain_links" }

// what names the row a link stands for, for messages.
func (l *chainLinkRow) what() string {
	if l.RevisionID != nil {
		return fmt.Sprintf("revision %d", *l.RevisionID)
	}
	if l.PublicationID != nil {
		return fmt.Sprintf("publication %d", *l.PublicationID)
	}
	return "nothing"
}

// RevisionLinkHash is the hex SHA-256 of the chain link for a revision whose
// chain hash is revChain, at sequence number seq after the link prevLink (""
// for the first). It hashes these lines, each ending in "\n":
//
//	hubprofiles-link-v1
//	<prevLink: lowercase hex, or empty for link 1>
//	<seq, decimal>
//	revision
//	<revision id, decimal>
//	<the revision's chain_sha256>
//
// The revision's chain hash already covers its content, metadata and every
// earlier revision.
func RevisionLinkHash(prevLink string, seq, revisionID int64, revChain string) string {
	var b bytes.Buffer
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	line("hubprofiles-link-v1")
	line(prevLink)
	line(strconv.FormatInt(seq, 10))
	line("revision")
	line(strconv.FormatInt(revisionID, 10))
	line(revChain)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// PublicationLinkHash is the hex SHA-256 of the chain link for publication
// p, which made live the revision whose chain hash is revChain. The lines:
//
//	hubprofiles-link-v1
//	<prevLink>
//	<seq>
//	publication
//	<p.ID>
//	<p.RevisionID>
//	<revChain>
//	<p.CreatedAt in UTC, time.RFC3339Nano>
//	<length of p.Author in bytes>
//	<p.Author>
//	<length of p.Message in bytes>
//	<p.Message>
func PublicationLinkHash(prevLink string, seq int64, p *Publication, revChain string) string {
	var b bytes.Buffer
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	line("hubprofiles-link-v1")
	line(prevLink)
	line(strconv.FormatInt(seq, 10))
	line("publication")
	line(strconv.FormatInt(p.ID, 10))
	line(strconv.FormatInt(p.RevisionID, 10))
	line(revChain)
	line(p.CreatedAt.UTC().Format(time.RFC3339Nano))
	line(strconv.Itoa(len(p.Author)))
	line(p.Author)
	line(strconv.Itoa(len(p.Message)))
	line(p.Message)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// lockChain makes this transaction the only one appending to the chain
// until it ends. Every write appends a link, so on PostgreSQL every write
// takes this lock first (SHARE ROW EXCLUSIVE conflicts with itself, not with
// readers), always before any other lock so that writers cannot deadlock.
// On SQLite BEGIN IMMEDIATE already serialises writers.
func (s *Store) lockChain(tx *gorm.DB) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	if err := tx.Exec("LOCK TABLE chain_links IN SHARE ROW EXCLUSIVE MODE").Error; err != nil {
		return fmt.Errorf("lock chain_links: %w", err)
	}
	return nil
}

// chainHead reads the newest link; seq 0 when there is none.
func chainHead(tx *gorm.DB) (ChainHead, error) {
	var row chainLinkRow
	err := tx.Select("seq, link_sha256").Order("seq DESC").Limit(1).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ChainHead{}, nil
	}
	if err != nil {
		return ChainHead{}, fmt.Errorf("read chain head: %w", err)
	}
	return ChainHead{Seq: row.Seq, SHA256: row.LinkSHA256}, nil
}

// linkRevision appends the link for revision id, whose chain hash is revChain.
func linkRevision(tx *gorm.DB, id int64, revChain string) (ChainHead, error) {
	head, err := chainHead(tx)
	if err != nil {
		return ChainHead{}, err
	}
	seq := head.Seq + 1
	row := &chainLinkRow{Seq: seq, RevisionID: &id, LinkSHA256: RevisionLinkHash(head.SHA256, seq, id, revChain)}
	if err := tx.Create(row).Error; err != nil {
		return ChainHead{}, fmt.Errorf("insert chain link %d (revision %d): %w", seq, id, err)
	}
	return ChainHead{Seq: seq, SHA256: row.LinkSHA256}, nil
}

// linkPublication appends the link for p, which made live the revision whose
// chain hash is revChain.
func linkPublication(tx *gorm.DB, p *Publication, revChain string) (ChainHead, error) {
	head, err := chainHead(tx)
	if err != nil {
		return ChainHead{}, err
	}
	seq := head.Seq + 1
	id := p.ID
	row := &chainLinkRow{Seq: seq, PublicationID: &id, LinkSHA256: PublicationLinkHash(head.SHA256, seq, p, revChain)}
	if err := tx.Create(row).Error; err != nil {
		return ChainHead{}, fmt.Errorf("insert chain link %d (publication %d): %w", seq, id, err)
	}
	return ChainHead{Seq: seq, SHA256: row.LinkSHA256}, nil
}

// linkExisting gives the rows of a database made before chain_links their
// links, in the order they were most likely written: by time, a publication
// after the revision it names (Append with Publish writes both in one
// transaction, the revision first). It runs inside the migration that
// creates the table, so the links witness the history as it was then; a row
// changed before the migration is still caught by the revision hashes, not
// by the links.
func linkExisting(tx *gorm.DB) error {
	var revs []revisionRow
	if err := tx.Select("id, created_at, chain_sha256").Order("id").Find(&revs).Error; err != nil {
		return fmt.Errorf("read revisions: %w", err)
	}
	var pubs []publicationRow
	if err := tx.Order("id").Find(&pubs).Error; err != nil {
		return fmt.Errorf("read publications: %w", err)
	}
	chains := make(map[int64]string, len(revs))
	for _, r := range revs {
		chains[r.ID] = r.ChainSHA256
	}
	// A publication whose revision is linked is eligible; of the next
	// eligible publication and the next revision, the older goes first.
	i, j := 0, 0
	var lastRev int64
	for i < len(revs) || j < len(pubs) {
		pubReady := j < len(pubs) && pubs[j].RevisionID <= lastRev
		if pubReady && (i == len(revs) || !pubs[j].CreatedAt.After(revs[i].CreatedAt)) {
			p := pubs[j].publication()
			chain, ok := chains[p.RevisionID]
			if !ok {
				return fmt.Errorf("publication %d names revision %d, which does not exist", p.ID, p.RevisionID)
			}
			if _, err := linkPublication(tx, p, chain); err != nil {
				return err
			}
			j++
			continue
		}
		if i == len(revs) {
			return fmt.Errorf("publication %d names revision %d, which does not exist", pubs[j].ID, pubs[j].RevisionID)
		}
		if _, err := linkRevision(tx, revs[i].ID, revs[i].ChainSHA256); err != nil {
			return err
		}
		lastRev = revs[i].ID
		i++
	}
	return nil
}
