package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
	"gorm.io/gorm"
)

// How a revision's content is stored (migration 3). The hashes never see
// this: content_sha256 and the chain cover the logical catalog and profile
// list, so compressing a row changes no hash and Verify proves what it
// proved of uncompressed rows.
//
// Each revision's catalog and profile_list columns hold one zstd frame each
// (content_encoding 'zstd'). A revision is either self-contained
// (content_base_id NULL) or compressed against its base: zstd with the
// base's logical content (catalog, a zero byte, profile list) as a raw
// dictionary, so a one-tag change costs a few hundred bytes instead of a
// copy. The base is always self-contained, so any revision is read with at
// most two rows and two decompressions; what is read is checked against its
// content hash before it is returned. A new revision is compressed against
// the newest self-contained revision, unless that costs more than half of
// what the base itself takes, in which case it is stored self-contained and
// becomes the base of those after it.
const (
	encodingRaw  = "raw"  // as given: rows of schema 2, before migration 3 converted them
	encodingZstd = "zstd" // zstd frames, on their own or against content_base_id
)

// maxContent bounds what one revision may hold, catalog and profile list
// together, and so what a decompression may allocate: a damaged or forged
// frame cannot make a read allocate more. It is far above the catalog limits
// of the layers above (model.DefaultLimits).
const maxContent = 256 << 20

// zstdWindow is the encoder's window: a dictionary and a revision up to this
// size, together, are compressed against each other whole (the largest real
// hub's are 34 kB); larger content is still stored exactly, only less
// compactly.
const zstdWindow = 1 << 20

// errDamaged marks stored content that does not decompress, or not to what
// its content hash says.
var errDamaged = errors.New("stored content is damaged")

// DamagedError is a revision whose stored content does not read back to
// what its content hash says: it, or the base it is stored against, was
// changed behind the store's back (Verify names it too). Reads refuse it
// rather than return content nobody wrote.
type DamagedError struct {
	Revision int64
	Err      error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("store: revision %d: %v", e.Revision, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// base is a self-contained revision that others are compressed against.
type base struct {
	id     int64
	dict   []byte // catalog, 0, profile list: the dictionary
	stored int    // bytes its own row's catalog and profile_list take
	dec    *zstd.Decoder
	// enc compresses against dict; kept only while migration 3 converts a
	// whole history (an encoder holds megabytes: Append makes one per write).
	enc *zstd.Encoder
}

func newBase(id int64, catalog, profileList []byte, stored int) (*base, error) {
	dict := make([]byte, 0, len(catalog)+1+len(profileList))
	dict = append(append(append(dict, catalog...), 0), profileList...)
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(maxContent), zstd.WithDecoderDictRaw(0, dict))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &base{id: id, dict: dict, stored: stored, dec: dec}, nil
}

// plainDecoder decompresses self-contained frames; it holds no dictionary,
// so one serves every reader (DecodeAll is safe for concurrent use).
var plainDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(maxContent))
})

// encoded is a revision's content as stored.
type encoded struct {
	encoding    string
	baseID      *int64
	catalog     []byte
	profileList []byte
}

func (e *encoded) size() int { return len(e.catalog) + len(e.profileList) }

// compress encodes a revision's content against b (nil: none, or no base
// yet). It returns what to store and, when that is self-contained, the new
// base for the revisions after it; otherwise b stays the base. The
// encoding is checked by decoding it back: what cannot be read back
// exactly is never stored. keep keeps the encoder in b for the next call.
func compress(id int64, b *base, catalog, profileList []byte, keep bool) (*encoded, *base, error) {
	if n := len(catalog) + len(profileList); n > maxContent {
		return nil, nil, fmt.Errorf("catalog and profile list take %d bytes, more than the %d a revision may hold", n, maxContent)
	}
	var out *encoded
	if b != nil {
		enc := b.enc
		if enc == nil {
			var err error
			if enc, err = newEncoder(b.dict); err != nil {
				return nil, nil, err
			}
			if keep {
				b.enc = enc
			} else {
				defer enc.Close()
			}
		}
		c, p := enc.EncodeAll(catalog, nil), enc.EncodeAll(profileList, nil)
		if len(c)+len(p) <= b.stored/2 {
			baseID := b.id
			out = &encoded{encoding: encodingZstd, baseID: &baseID, catalog: c, profileList: p}
		}
	}
	next := b
	if out == nil {
		enc, err := newEncoder(nil)
		if err != nil {
			return nil, nil, err
		}
		out = &encoded{encoding: encodingZstd, catalog: enc.EncodeAll(catalog, nil), profileList: enc.EncodeAll(profileList, nil)}
		enc.Close()
		if next, err = newBase(id, catalog, profileList, out.size()); err != nil {
			return nil, nil, err
		}
	}
	gotC, gotP, err := out.decode(next)
	if err != nil || !bytes.Equal(gotC, catalog) || !bytes.Equal(gotP, profileList) {
		return nil, nil, fmt.Errorf("compressed content does not read back (%v): nothing stored", err)
	}
	return out, next, nil
}

// newEncoder makes an encoder, with dict as a raw dictionary when it is not
// nil. Each catalog and profile list is compressed into a frame of its own.
func newEncoder(dict []byte) (*zstd.Encoder, error) {
	opts := []zstd.EOption{
		zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true),
		zstd.WithWindowSize(zstdWindow), zstd.WithEncoderCRC(false), // the content hash checks it
	}
	if dict != nil {
		opts = append(opts, zstd.WithEncoderDictRaw(0, dict))
	}
	enc, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return enc, nil
}

// decode returns the logical content of e; b is its base when it has one.
func (e *encoded) decode(b *base) (catalog, profileList []byte, err error) {
	switch e.encoding {
	case encodingRaw:
		return e.catalog, e.profileList, nil
	case encodingZstd:
	default:
		return nil, nil, fmt.Errorf("%w: unknown content encoding %q", errDamaged, e.encoding)
	}
	dec, err := plainDecoder()
	if err != nil {
		return nil, nil, err
	}
	if e.baseID != nil {
		if b == nil || b.id != *e.baseID {
			return nil, nil, fmt.Errorf("%w: its base, revision %d, is not at hand", errDamaged, *e.baseID)
		}
		dec = b.dec
	}
	if catalog, err = dec.DecodeAll(e.catalog, []byte{}); err != nil {
		return nil, nil, fmt.Errorf("%w: catalog: %v", errDamaged, err)
	}
	if profileList, err = dec.DecodeAll(e.profileList, []byte{}); err != nil {
		return nil, nil, fmt.Errorf("%w: profile list: %v", errDamaged, err)
	}
	return catalog, profileList, nil
}

func (row *revisionRow) encoded() *encoded {
	return &encoded{encoding: row.ContentEncoding, baseID: row.ContentBaseID, catalog: row.Catalog, profileList: row.ProfileList}
}

// baseOf makes the base that a row stands for: it must be self-contained
// and hold what its content hash says.
func baseOf(row *revisionRow) (*base, error) {
	if row.ContentBaseID != nil {
		return nil, fmt.Errorf("%w: revision %d is the base of others but is itself stored against revision %d", errDamaged, row.ID, *row.ContentBaseID)
	}
	c, p, err := row.encoded().decode(nil)
	if err != nil {
		return nil, fmt.Errorf("revision %d: %w", row.ID, err)
	}
	if ContentHash(c, p) != row.ContentSHA256 {
		return nil, fmt.Errorf("%w: revision %d, the base of others, does not match its content hash", errDamaged, row.ID)
	}
	return newBase(row.ID, c, p, row.encoded().size())
}

// baseCache keeps the base most reads and writes need: the newest one.
type baseCache struct {
	mu   sync.Mutex
	last *base
}

// base returns the base revision id, from the cache or read with db.
func (s *Store) base(db *gorm.DB, id int64) (*base, error) {
	s.bases.mu.Lock()
	b := s.bases.last
	s.bases.mu.Unlock()
	if b != nil && b.id == id {
		return b, nil
	}
	var row revisionRow
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("%w: its base, revision %d, does not exist", errDamaged, id)
		}
		return nil, fmt.Errorf("read revision %d: %w", id, err)
	}
	b, err := baseOf(&row)
	if err != nil {
		return nil, err
	}
	s.remember(b)
	return b, nil
}

// remember makes b the cached base if it is newer than the one cached.
func (s *Store) remember(b *base) {
	s.bases.mu.Lock()
	defer s.bases.mu.Unlock()
	if s.bases.last == nil || b.id >= s.bases.last.id {
		s.bases.last = b
	}
}

// content returns row's logical content, read through its base if it has
// one, and checked against its content hash.
func (s *Store) content(db *gorm.DB, row *revisionRow) (catalog, profileList []byte, err error) {
	var b *base
	if row.ContentBaseID != nil {
		if b, err = s.base(db, *row.ContentBaseID); err != nil {
			return nil, nil, err
		}
	}
	if catalog, profileList, err = row.encoded().decode(b); err != nil {
		return nil, nil, err
	}
	if ContentHash(catalog, profileList) != row.ContentSHA256 {
		return nil, nil, fmt.Errorf("%w: it does not match its content hash", errDamaged)
	}
	return catalog, profileList, nil
}

// compactBatch is how many raw revisions one transaction of compactRaw
// converts: few enough that a batch ends well within any caller's deadline
// (the server gives its whole start 15 s), so that every try makes progress
// and a start cut off, or a pod restarted, resumes where it stopped.
var compactBatch = 100

// compactRaw compresses, in id order and in batches of compactBatch, every
// revision still stored raw (rows of schema 2), as Append would have stored
// it; it is part of migration 3. Each batch is one transaction that drops
// and remakes the update trigger around its updates, so the table is never
// seen without it. A row whose content does not match its hash (changed
// behind the store's back) is kept exactly as it is, so Verify still
// finds it, but compressed on its own: it never becomes a base. On SQLite
// the file is compacted once at the end.
func (s *Store) compactRaw(ctx context.Context) error {
	converted := 0
	for {
		n, err := s.compactBatch(ctx)
		if err != nil {
			return fmt.Errorf("store: compressing the history (migration 3) after %d revisions: %w", converted, err)
		}
		if n == 0 {
			break
		}
		converted += n
	}
	if converted > 0 && s.dialect == DialectSQLite {
		// Outside any transaction, as VACUUM must be. PostgreSQL's
		// autovacuum hands the space to later writes on its own.
		if err := s.db.WithContext(ctx).Exec("VACUUM").Error; err != nil {
			return fmt.Errorf("store: compacting the file after compressing the history: %w", err)
		}
	}
	return nil
}

// compactBatch converts the next batch of raw revisions and says how many.
func (s *Store) compactBatch(ctx context.Context) (int, error) {
	var ids []int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.lockChain(tx); err != nil {
			return err
		}
		if err := tx.Model(&revisionRow{}).Where("content_encoding = ?", encodingRaw).
			Order("id").Limit(compactBatch).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("read revision ids: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		b, err := s.baseBefore(tx, ids[0])
		if err != nil {
			return err
		}
		// A raw row that revisions written since the upgrade are stored
		// against must stay a base: it is stored on its own.
		var bases []int64
		if err := tx.Model(&revisionRow{}).Distinct("content_base_id").
			Where("content_base_id IN ?", ids).Pluck("content_base_id", &bases).Error; err != nil {
			return fmt.Errorf("read bases: %w", err)
		}
		trigger := updateTrigger[s.dialect]
		var enabled int64
		if err := tx.Raw(trigger.enabled).Scan(&enabled).Error; err != nil {
			return fmt.Errorf("read triggers: %w", err)
		}
		if enabled > 0 {
			if err := tx.Exec(trigger.drop).Error; err != nil {
				return err
			}
		}
		for _, id := range ids {
			var row revisionRow
			if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
				return fmt.Errorf("read revision %d: %w", id, err)
			}
			intact := ContentHash(row.Catalog, row.ProfileList) == row.ContentSHA256
			from := b
			if !intact || slices.Contains(bases, id) {
				from = nil
			}
			enc, next, err := compress(id, from, row.Catalog, row.ProfileList, true)
			if err != nil {
				return fmt.Errorf("revision %d: %w", id, err)
			}
			if intact {
				b = next
			}
			var baseID any
			if enc.baseID != nil {
				baseID = *enc.baseID
			}
			err = tx.Exec(`UPDATE revisions SET catalog = ?, profile_list = ?, content_encoding = ?, content_base_id = ? WHERE id = ?`,
				enc.catalog, enc.profileList, enc.encoding, baseID, id).Error
			if err != nil {
				return fmt.Errorf("rewrite revision %d: %w", id, err)
			}
		}
		if enabled == 0 {
			return nil
		}
		return tx.Exec(trigger.create).Error
	})
	return len(ids), err
}

// baseBefore is the base a revision id written now would be compressed
// against: that of revision id-1 (itself if it is stored on its own); nil
// for the first revision or when that base is damaged. It is a copy, whose
// encoder compactBatch may keep.
func (s *Store) baseBefore(tx *gorm.DB, id int64) (*base, error) {
	if id <= 1 {
		return nil, nil
	}
	var prev revisionRow
	if err := tx.Select("id, content_base_id").Where("id = ?", id-1).Take(&prev).Error; err != nil {
		return nil, fmt.Errorf("read revision %d: %w", id-1, err)
	}
	baseID := prev.ID
	if prev.ContentBaseID != nil {
		baseID = *prev.ContentBaseID
	}
	b, err := s.base(tx, baseID)
	if errors.Is(err, errDamaged) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c := *b
	c.enc = nil
	return &c, nil
}
