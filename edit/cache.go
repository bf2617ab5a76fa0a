package edit

import (
	"context"
	"fmt"
	"slices"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/store"
)

// Revisions never change once written, so the editor keeps the ones it read
// last, whole, by id: a page asks for the head, the live revision and the
// parents of the recent ones on every request, and reading a revision's
// content costs milliseconds for a big catalog (a 500-profile catalog is a
// few megabytes) where reading its metadata costs a small index lookup.
// Each cached revision is used only while the metadata read in the same
// request still names the same content and chain hash, so a database
// replaced under a running server (a restored backup) is read again.

// maxCachedRevisions and maxCachedRevisionBytes bound the revision cache:
// the head, the live revision and the recent ones with their parents, but
// never more than a few megabytes (a 500-profile revision is about 2 MB).
const (
	maxCachedRevisions     = 16
	maxCachedRevisionBytes = 8 << 20
)

// revision is the revision meta describes (read by List or Publications,
// without content), with its content: from the cache when the cache holds
// the same content, else from the store.
func (e *Editor) revision(ctx context.Context, meta store.Revision) (*store.Revision, error) {
	e.cacheMu.Lock()
	r := e.revisions[meta.ID]
	e.cacheMu.Unlock()
	if r != nil && r.ContentSHA256 == meta.ContentSHA256 && r.ChainSHA256 == meta.ChainSHA256 {
		return r, nil
	}
	r, err := e.store.Get(ctx, meta.ID)
	if err != nil {
		return nil, err
	}
	size := len(r.Catalog) + len(r.ProfileList)
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	if len(e.revisions) >= maxCachedRevisions || e.revisionBytes+size > maxCachedRevisionBytes {
		clear(e.revisions)
		e.revisionBytes = 0
	}
	e.revisions[r.ID] = r
	e.revisionBytes += size
	return r, nil
}

// meta is revision id's metadata, without its content: the newest revision
// below id+1. ErrNotFound when there is none.
func (e *Editor) meta(ctx context.Context, id int64) (store.Revision, error) {
	metas, err := e.store.List(ctx, id+1, 1)
	if err != nil {
		return store.Revision{}, err
	}
	if len(metas) == 0 || metas[0].ID != id {
		return store.Revision{}, fmt.Errorf("store: revision %d: %w", id, store.ErrNotFound)
	}
	return metas[0], nil
}

// validation is what Validate found in a stored revision, kept with what
// the findings depend on besides the revision's content: the live
// revision's content (the "a profile users had is dropped" warnings), the
// infrastructure config in force, and what the registry last said about
// each image the validation asked about (images holds those answers; nil
// when no registry was asked).
type validation struct {
	live     string
	cfg      *infra.Config
	images   map[string]string
	findings []model.Finding
}

// maxCachedValidations bounds the validation cache (the head and the live
// revision, a few recent ones).
const maxCachedValidations = 16

// ValidateRevision is Validate for a stored revision (a state from Head,
// Live or At), without repeating the work while nothing it depends on
// changed: the dashboard shows the head's findings on every visit, and
// validating a big catalog takes tens of milliseconds.
func (e *Editor) ValidateRevision(ctx context.Context, st *State) []model.Finding {
	if st.Revision == nil {
		return e.Validate(ctx, st.Catalog)
	}
	opts := e.validateOptions()
	key := validation{cfg: e.Config()}
	_, live, err := e.Live(ctx)
	if err == nil {
		key.live = live.Revision.ContentSHA256
	}
	e.cacheMu.Lock()
	v := e.validations[st.Revision.ContentSHA256]
	e.cacheMu.Unlock()
	if v != nil && v.live == key.live && v.cfg == key.cfg && sameAnswers(v.images, opts.ImageProblem) {
		return slices.Clone(v.findings)
	}
	if live != nil {
		if l, err := profilelist.Render(live.Catalog); err == nil {
			opts.Live = l
		}
	}
	if ask := opts.ImageProblem; ask != nil {
		key.images = map[string]string{}
		opts.ImageProblem = func(ref string) string {
			a := ask(ref)
			key.images[ref] = a
			return a
		}
	}
	key.findings = findings(e.checkWith(st.Catalog, opts))
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	if len(e.validations) >= maxCachedValidations {
		clear(e.validations)
	}
	e.validations[st.Revision.ContentSHA256] = &key
	return slices.Clone(key.findings)
}

// sameAnswers reports whether the registry would answer now what it
// answered then (nil: no registry was asked, and none is now).
func sameAnswers(then map[string]string, ask func(ref string) string) bool {
	if (then == nil) != (ask == nil) {
		return false
	}
	for ref, a := range then {
		if ask(ref) != a {
			return false
		}
	}
	return true
}

// HeadID is the newest revision's id, 0 for an empty store, without
// reading any content (the history marks the head).
func (e *Editor) HeadID(ctx context.Context) (int64, error) {
	metas, err := e.store.List(ctx, 0, 1)
	if err != nil || len(metas) == 0 {
		return 0, err
	}
	return metas[0].ID, nil
}

// LiveID is the id of the revision the newest publication names, 0 when
// nothing is published, without reading any content.
func (e *Editor) LiveID(ctx context.Context) (int64, error) {
	pubs, err := e.store.Publications(ctx, 1)
	if err != nil || len(pubs) == 0 {
		return 0, err
	}
	return pubs[0].RevisionID, nil
}
