// Package edit turns one change to the catalog into one new revision: load
// the head, apply the change to a copy, check it the way KubeSpawner would
// read it, render it, and append it — refusing a change based on a revision
// that is no longer the head. The REST API and the pages both write through
// it, so they share one set of rules.
package edit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/store"
	"github.com/jupyterhub/hubprofiles/usage"
)

// NoBase is Change.Base for a change that names no revision: it applies to
// whatever the head is (the change is a function of the head, so nothing
// another writer did is lost), retried a few times if the head moves.
const NoBase int64 = -1

// Every error the editor returns is a *model.Problem with a code (or wraps
// one): a change that would break KubeSpawner or the catalog is
// model.CodeInvalid with its findings (errors and warnings, paths into the
// catalog); the types below are the causes the surfaces may show more of.

// StaleError, the cause of a model.CodeStale problem, is a change based on a
// revision that is no longer the head. Changes says what happened to the
// catalog since Base.
type StaleError struct {
	Base, Head int64
	Changes    []ordered.Change
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("the change is based on revision %d, but the head is now revision %d", e.Base, e.Head)
}

// Editor writes catalog changes as revisions.
type Editor struct {
	store *store.Store
	log   *slog.Logger

	mu     sync.RWMutex
	cfg    *infra.Config
	images ImageChecker
	usage  *usage.Watcher // nil: usage unknown

	cacheMu    sync.Mutex
	catalogs   map[string]*model.Catalog // by content hash
	unreadable map[string]error          // by content hash: why it cannot be read
	revisions  map[int64]*store.Revision // by id (cache.go)
	// revisionBytes is the content held in revisions.
	revisionBytes int
	validations   map[string]*validation // by content hash (cache.go)

	hooksMu   sync.Mutex
	onPublish []func() // OnPublish's subscribers

	// write serialises this process's commits: a change without a base is
	// then never refused because of another writer in the same server.
	// Other processes (a CLI import) still meet the store's conflict check.
	write sync.Mutex
}

// ImageChecker is what the editor asks about images (package registry):
// what the registry last said of a reference, without asking it again, and,
// to check a source before an import, to ask about references now.
type ImageChecker interface {
	Cached(ref string) (registry.Result, bool)
	CheckAll(ctx context.Context, refs []string) map[string]registry.Result
}

// SetImageChecker lets validation report images the registry says are
// missing or unreadable (as warnings).
func (e *Editor) SetImageChecker(ic ImageChecker) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.images = ic
}

// New returns an editor over s, checking against cfg.
func New(s *store.Store, cfg *infra.Config, log *slog.Logger) *Editor {
	if cfg == nil {
		cfg = &infra.Config{}
	}
	return &Editor{store: s, cfg: cfg, log: log, catalogs: map[string]*model.Catalog{}, unreadable: map[string]error{},
		revisions: map[int64]*store.Revision{}, validations: map[string]*validation{}}
}

// Config is the infrastructure config in force.
func (e *Editor) Config() *infra.Config {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cfg
}

// Store is the underlying store, for reads.
func (e *Editor) Store() *store.Store { return e.store }

// State is a revision with its decoded catalog. Revision is nil for an
// empty store.
type State struct {
	Revision *store.Revision
	Catalog  *model.Catalog
	// Skipped is set when the revision asked for (the head, or the live
	// one) cannot be read: Revision and Catalog are then the newest
	// readable one before it, and a change based on this state is written
	// on top of the unreadable head, replacing it.
	Skipped *UnreadableError
}

// BaseID is the revision a change based on this state names.
func (s *State) BaseID() int64 {
	if s.Skipped != nil {
		return s.Skipped.Revision
	}
	if s.Revision == nil {
		return 0
	}
	return s.Revision.ID
}

// UnreadableError, the cause of a model.CodeUnreadable problem, is a stored revision whose catalog this version cannot
// read: written by an older version, or over the limits, or changed behind
// the store's back. The writer never stores one (profilelist.CheckStored).
type UnreadableError struct {
	Revision int64
	Err      error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("revision %d holds a catalog this version cannot read: %v", e.Revision, e.Err)
}

func (e *UnreadableError) Unwrap() error { return e.Err }

func unreadable(id int64, err error) error {
	u := &UnreadableError{Revision: id, Err: err}
	return &model.Problem{Code: model.CodeUnreadable, Message: u.Error(), Err: u}
}

// readableBefore is the newest readable revision below id, for a State
// whose own revision is unreadable.
func (e *Editor) readableBefore(ctx context.Context, id int64, bad *UnreadableError) (*State, error) {
	for before := id; before > 1; {
		metas, err := e.store.List(ctx, before, 0)
		if err != nil {
			return nil, err
		}
		if len(metas) == 0 {
			return nil, &model.Problem{Code: model.CodeUnreadable, Message: bad.Error(), Err: bad}
		}
		for _, m := range metas {
			r, err := e.revision(ctx, m)
			if damaged(err) != nil {
				continue
			}
			if err != nil {
				return nil, err
			}
			if st, err := e.decode(r); err == nil {
				st.Skipped = bad
				return st, nil
			}
		}
		before = metas[len(metas)-1].ID
	}
	// Nothing before it is readable: go on from an empty catalog.
	return &State{Catalog: &model.Catalog{NodeGroups: e.Config().NodeGroups}, Skipped: bad}, nil
}

// Head is the newest revision (the draft head), or an empty catalog with the
// configured node groups when nothing was written yet.
func (e *Editor) Head(ctx context.Context) (*State, error) {
	metas, err := e.store.List(ctx, 0, 1)
	if err != nil {
		return nil, err
	}
	if len(metas) == 0 {
		return &State{Catalog: &model.Catalog{NodeGroups: e.Config().NodeGroups}}, nil
	}
	r, err := e.revision(ctx, metas[0])
	if bad := damaged(err); bad != nil {
		return e.readableBefore(ctx, bad.Revision, bad)
	}
	if err != nil {
		return nil, err
	}
	st, err := e.decode(r)
	var bad *UnreadableError
	if errors.As(err, &bad) {
		return e.readableBefore(ctx, r.ID, bad)
	}
	return st, err
}

// damaged is err as an UnreadableError when it says that a revision's
// stored content is damaged (store.DamagedError), nil otherwise: to the
// pages and the feed it is a revision this version cannot read.
func damaged(err error) *UnreadableError {
	var d *store.DamagedError
	if errors.As(err, &d) {
		return &UnreadableError{Revision: d.Revision, Err: err}
	}
	return nil
}

// At is revision id with its catalog.
func (e *Editor) At(ctx context.Context, id int64) (*State, error) {
	meta, err := e.meta(ctx, id)
	var r *store.Revision
	if err == nil {
		r, err = e.revision(ctx, meta)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("revision %d: %w", id, model.ErrNotFound)
	}
	if bad := damaged(err); bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	return e.decode(r)
}

// Live is the published revision, or ErrNotFound when nothing is published.
// When the live revision cannot be read, it is the newest earlier
// publication that can, with State.Skipped saying why (so the feed keeps
// serving a list and the pages can say what is wrong).
func (e *Editor) Live(ctx context.Context) (*store.Publication, *State, error) {
	last, err := e.store.Publications(ctx, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(last) == 0 {
		return nil, nil, fmt.Errorf("nothing is published yet: %w", model.ErrNotFound)
	}
	p := &last[0]
	meta, err := e.meta(ctx, p.RevisionID)
	var r *store.Revision
	if err == nil {
		r, err = e.revision(ctx, meta)
	}
	var s *State
	if bad := damaged(err); bad != nil {
		err = bad
	} else if err != nil {
		return nil, nil, fmt.Errorf("live: publication %d: %w", p.ID, err)
	} else {
		s, err = e.decode(r)
	}
	var bad *UnreadableError
	if !errors.As(err, &bad) {
		return p, s, err
	}
	pubs, lerr := e.store.Publications(ctx, store.MaxListLimit)
	if lerr != nil {
		return nil, nil, errors.Join(err, lerr)
	}
	for i := range pubs {
		if pubs[i].RevisionID == bad.Revision {
			continue
		}
		old, gerr := e.At(ctx, pubs[i].RevisionID)
		if errors.As(gerr, new(*UnreadableError)) {
			continue
		}
		if gerr != nil {
			return nil, nil, gerr
		}
		old.Skipped = bad
		return &pubs[i], old, nil
	}
	return nil, nil, err
}

// decode reads a revision's catalog. Revisions never change, so decoded
// catalogs are kept by content hash (a page reads the head many times);
// callers must not modify them (Commit works on a copy).
func (e *Editor) decode(r *store.Revision) (*State, error) {
	e.cacheMu.Lock()
	c, ok := e.catalogs[r.ContentSHA256]
	bad := e.unreadable[r.ContentSHA256]
	e.cacheMu.Unlock()
	if ok {
		return &State{Revision: r, Catalog: c}, nil
	}
	if bad != nil {
		return nil, unreadable(r.ID, bad)
	}
	src, err := profilelist.Parse(r.Catalog, profilelist.DefaultLimits)
	if err == nil && src.Document == nil {
		err = fmt.Errorf("it is a %s, not a hubprofiles document", src.Format)
	}
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	if err != nil {
		// Remembered, so that a page or the feed does not parse it again.
		if len(e.unreadable) >= maxCachedCatalogs {
			clear(e.unreadable)
		}
		e.unreadable[r.ContentSHA256] = err
		e.log.Error("a stored revision cannot be read; the pages and the feed use the newest readable one instead", "revision", r.ID, "err", err)
		return nil, unreadable(r.ID, err)
	}
	if len(e.catalogs) >= maxCachedCatalogs {
		clear(e.catalogs)
	}
	e.catalogs[r.ContentSHA256] = src.Document
	return &State{Revision: r, Catalog: src.Document}, nil
}

// maxCachedCatalogs bounds the decoded-catalog cache (a catalog is tens
// of kilobytes).
const maxCachedCatalogs = 64

// Change is one write.
type Change struct {
	Base    int64 // the revision the writer saw; NoBase to apply to the head
	Author  string
	Message string
	Publish bool // publish the new revision in the same transaction
	// Operator marks a change by the cluster's operators — the command-line
	// import (run with access to the database) and the server's own
	// system:config revisions — which may write any kubespawner_override
	// setting. The pages and the API never set it: their changes stay inside
	// policy.editorOverrides (boundary.go).
	Operator bool
	// KeepErrors writes the revision even when its list has errors, as a
	// draft that cannot be published until they are fixed (draft.go).
	KeepErrors bool
	// Apply changes the catalog in place. Its error refuses the change.
	Apply func(c *model.Catalog) error

	// importedList is set by Import for a profile list or values file, so
	// that refusals point into the file (listPrefix + a path into the list).
	importedList bool
	listPrefix   string
}

// Result is a written revision, with the warnings its list has and, for a
// draft kept with errors, the errors that stop it from being published.
type Result struct {
	Revision *store.Revision
	Catalog  *model.Catalog
	Warnings []model.Finding
	Errors   []model.Finding
	// Unchanged: the change left the catalog as it was, so no revision was
	// written and Revision is the head (unchanged.go).
	Unchanged bool
}

// retries bounds how often a NoBase change is re-applied to a moved head.
const retries = 5

// Commit applies ch to the head and appends the result as one revision;
// one that publishes tells OnPublish's subscribers.
func (e *Editor) Commit(ctx context.Context, ch Change) (*Result, error) {
	res, err := e.commit(ctx, ch)
	if err == nil && ch.Publish && !res.Unchanged {
		e.published()
	}
	return res, err
}

func (e *Editor) commit(ctx context.Context, ch Change) (*Result, error) {
	if fs := model.TooLong("/message", "the revision message", ch.Message, model.DefaultLimits.Message); fs != nil {
		return nil, model.Invalid(fs)
	}
	e.write.Lock()
	defer e.write.Unlock()
	for attempt := 0; ; attempt++ {
		res, err := e.commitOnce(ctx, ch)
		var conflict *store.ConflictError
		if ch.Base == NoBase && errors.As(err, &conflict) && attempt < retries {
			// Another process wrote: wait a little, with jitter, and re-apply.
			time.Sleep(time.Duration(1+rand.IntN(10*(attempt+1))) * time.Millisecond)
			continue
		}
		if errors.As(err, &conflict) {
			return nil, model.Errorf(model.CodeConflict, "other writers kept changing the catalog (head is now revision %d); nothing was saved, try again", conflict.Head)
		}
		return res, err
	}
}

func (e *Editor) commitOnce(ctx context.Context, ch Change) (*Result, error) {
	head, err := e.Head(ctx)
	if err != nil {
		return nil, err
	}
	base := ch.Base
	if base == NoBase {
		base = head.BaseID()
	}
	if base != head.BaseID() {
		return nil, e.stale(ctx, base, head)
	}
	c := cloneCatalog(head.Catalog)
	if err := ch.Apply(c); err != nil {
		return nil, err
	}
	var refused, placements []model.Finding
	pol := e.Config().Policy
	if ch.Operator {
		pol = pol.ForOperator()
	}
	for _, f := range overBoundary(pol, head.Catalog, c, ch.importedList, ch.listPrefix) {
		if f.Severity == model.Error {
			refused = append(refused, f)
		} else {
			placements = append(placements, f)
		}
	}
	list, warnings, err := e.check(ctx, c, ch.Publish)
	if len(refused) > 0 {
		// An editor's forbidden setting is refused outright: never kept,
		// not even in a draft.
		if fs, ok := model.FindingsOf(err); ok {
			return nil, model.Invalid(append(refused, fs...))
		}
		return nil, model.Invalid(append(refused, warnings...))
	}
	if err != nil {
		if list, warnings, err = e.tolerate(ctx, c, head, ch, err); err != nil {
			return nil, err
		}
	}
	warnings = append(warnings, placements...)
	errs, warnings := splitErrors(warnings)
	doc, err := profilelist.MarshalDocument(c)
	if err != nil {
		return nil, err
	}
	if unchanged(head, doc, ch) {
		return &Result{Revision: head.Revision, Catalog: head.Catalog, Warnings: warnings, Errors: errs, Unchanged: true}, nil
	}
	rendered, err := ordered.Marshal(list)
	if err != nil {
		return nil, err
	}
	if fs := profilelist.CheckStored(doc, rendered, model.DefaultLimits); len(fs) > 0 {
		return nil, model.Invalid(fs) // never store what cannot be read back
	}
	r, err := e.store.Append(ctx, store.NewRevision{
		Base: base, Catalog: doc, ProfileList: rendered,
		Author: ch.Author, Message: ch.Message, Publish: ch.Publish,
	})
	var conflict *store.ConflictError
	if errors.As(err, &conflict) && ch.Base != NoBase {
		return nil, e.stale(ctx, base, nil)
	}
	if err != nil {
		return nil, err
	}
	return &Result{Revision: r, Catalog: c, Warnings: warnings, Errors: errs}, nil
}

// check validates a catalog and renders it. Findings come back with
// catalog paths; any error refuses the change.
// What the change takes away that users run or used (usage.go) is
// warned about too.
func (e *Editor) check(ctx context.Context, c *model.Catalog, publishing bool) ([]any, []model.Finding, error) {
	opts, liveCatalog := e.liveOptions(ctx)
	list, fs, err := e.checkWith(c, opts)
	if err != nil {
		return nil, nil, err
	}
	return list, append(fs, e.usageRemoved(liveCatalog, c)...), nil
}

func (e *Editor) checkWith(c *model.Catalog, opts profilelist.Options) ([]any, []model.Finding, error) {
	if fs := c.Check(); model.HasErrors(fs) {
		return nil, nil, model.Invalid(fs)
	}
	list, err := profilelist.Render(c)
	if err != nil {
		return nil, nil, model.Invalid([]model.Finding{{Severity: model.Error, Path: "/profiles", Message: err.Error()}})
	}
	var fs []model.Finding
	for _, f := range profilelist.Validate(list, opts) {
		f.Path = profilelist.CatalogPath(c, f.Path)
		fs = append(fs, f)
	}
	if model.HasErrors(fs) {
		return nil, nil, model.Invalid(fs)
	}
	return list, fs, nil
}

// validateOptions are the checks the infrastructure config asks for, and
// what the registry last said about images.
func (e *Editor) validateOptions() profilelist.Options {
	e.mu.RLock()
	cfg, images := e.cfg, e.images
	e.mu.RUnlock()
	opts := profilelist.Options{
		NodeGroups:        cfg.NodeGroups,
		AllowedRegistries: cfg.Policy.AllowedRegistries,
		MaxMemory:         cfg.Policy.MaxMemory,
		MaxCPU:            cfg.Policy.MaxCPU,
	}
	if images != nil {
		opts.ImageProblem = func(ref string) string {
			r, ok := images.Cached(ref)
			if !ok || r.Status == registry.Exists || r.Status == registry.NotAllowed {
				return "" // NotAllowed is the policy check's error already
			}
			return r.Message
		}
	}
	return opts
}

// liveOptions are validateOptions with the live list to compare with,
// and the live catalog (nil when nothing is live).
func (e *Editor) liveOptions(ctx context.Context) (profilelist.Options, *model.Catalog) {
	opts := e.validateOptions()
	_, live, err := e.Live(ctx)
	if err != nil {
		return opts, nil
	}
	if l, err := profilelist.Render(live.Catalog); err == nil {
		opts.Live = l
	}
	return opts, live.Catalog
}

// Validate checks a catalog without writing it; paths are catalog paths.
func (e *Editor) Validate(ctx context.Context, c *model.Catalog) []model.Finding {
	return findings(e.check(ctx, c, false))
}

// findings are check's findings, errors included.
func findings(_ []any, fs []model.Finding, err error) []model.Finding {
	if refused, ok := model.FindingsOf(err); ok {
		return refused
	}
	return fs
}

// ValidateList checks a profile list as written (paths into the list).
func (e *Editor) ValidateList(ctx context.Context, list any) []model.Finding {
	opts, liveCatalog := e.liveOptions(ctx)
	return append(profilelist.Validate(list, opts), e.usageRemovedList(liveCatalog, list)...)
}

func (e *Editor) stale(ctx context.Context, base int64, head *State) error {
	if head == nil {
		var err error
		if head, err = e.Head(ctx); err != nil {
			return err
		}
	}
	se := &StaleError{Base: base, Head: head.BaseID()}
	var before any = ordered.NewMap()
	if base > 0 {
		if old, err := e.At(ctx, base); err == nil {
			before = CatalogValue(old.Catalog)
		}
	}
	se.Changes = ordered.Diff(before, CatalogValue(head.Catalog))
	return &model.Problem{Code: model.CodeStale, Message: se.Error(), Err: se}
}

// Publish makes revision id live, refusing one whose list has errors. Only
// the pages and the API publish, so an older revision (a roll-back) must not
// bring back a setting outside policy.editorOverrides that the head no
// longer has at the same place: that would be adding it.
func (e *Editor) Publish(ctx context.Context, id int64, author, message string) (*store.Publication, []model.Finding, error) {
	st, err := e.At(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	head, err := e.Head(ctx)
	if err != nil {
		return nil, nil, err
	}
	if head.BaseID() != id {
		if fs := overBoundary(e.Config().Policy, head.Catalog, st.Catalog, false, ""); model.HasErrors(fs) {
			return nil, nil, model.Invalid(fs)
		}
	}
	_, fs, err := e.check(ctx, st.Catalog, true)
	if err != nil {
		return nil, nil, err
	}
	p, err := e.store.Publish(ctx, id, author, message)
	if err != nil {
		return nil, nil, err
	}
	e.published()
	return p, fs, nil
}

// Restore makes a new revision with the catalog of revision id (the node
// groups stay those of the infrastructure config).
func (e *Editor) Restore(ctx context.Context, id, base int64, author, message string) (*Result, error) {
	old, err := e.At(ctx, id)
	if err != nil {
		return nil, err
	}
	if message == "" {
		message = fmt.Sprintf("restore revision %d", id)
	}
	return e.Commit(ctx, Change{Base: base, Author: author, Message: message, Apply: func(c *model.Catalog) error {
		groups := c.NodeGroups
		*c = *cloneCatalog(old.Catalog)
		c.NodeGroups = groups
		return nil
	}})
}

// SetConfig installs a new infrastructure config and, when its node groups
// differ from the head's, records them in a system:config revision. A node
// group that disappeared but is still used keeps its old definition (so the
// list still renders) and is logged.
func (e *Editor) SetConfig(ctx context.Context, cfg *infra.Config) (*Result, error) {
	e.mu.Lock()
	e.cfg = cfg
	e.mu.Unlock()
	head, err := e.Head(ctx)
	if err != nil {
		return nil, err
	}
	groups := append([]model.NodeGroup{}, cfg.NodeGroups...)
	recorded := head.Catalog.NodeGroups
	if head.Revision == nil {
		recorded = nil // Head shows the config's groups; nothing is recorded yet
	}
	for _, old := range recorded {
		if _, still := (&model.Catalog{NodeGroups: groups}).NodeGroup(old.Slug); !still && usesNodeGroup(head.Catalog, old.Slug) {
			e.log.Warn("a node group that profiles use is gone from the infrastructure config; keeping its last definition", "node_group", old.Slug)
			groups = append(groups, old)
		}
	}
	if sameNodeGroups(recorded, groups) {
		return nil, nil
	}
	return e.Commit(ctx, Change{Base: NoBase, Author: "system:config", Message: "infrastructure config changed: node groups updated", Operator: true,
		Apply: func(c *model.Catalog) error { c.NodeGroups = groups; return nil }})
}

func usesNodeGroup(c *model.Catalog, slug string) bool {
	for i := range c.Profiles {
		if c.Profiles[i].UsesNodeGroup(slug) {
			return true
		}
	}
	return false
}

// sameNodeGroups compares two lists of node groups as their JSON.
func sameNodeGroups(a, b []model.NodeGroup) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// cloneCatalog deep-copies a catalog through its canonical document.
func cloneCatalog(c *model.Catalog) *model.Catalog {
	doc, err := profilelist.MarshalDocument(c)
	if err != nil {
		panic(fmt.Sprintf("edit: catalog does not marshal: %v", err))
	}
	src, err := profilelist.Parse(doc, profilelist.DefaultLimits)
	if err != nil {
		panic(fmt.Sprintf("edit: catalog does not read back: %v", err))
	}
	return src.Document
}

// CatalogValue is a catalog as an ordered JSON value, for diffs.
func CatalogValue(c *model.Catalog) any {
	doc, err := profilelist.MarshalDocument(c)
	if err != nil {
		return nil
	}
	v, err := ordered.DecodeJSON(doc, 128)
	if err != nil {
		return nil
	}
	if m, ok := v.(*ordered.Map); ok {
		m.Delete("schema_version")
	}
	return v
}

// Clone is a deep copy of a catalog, for callers that want to try a change
// on a decoded (shared, read-only) catalog without writing it.
func Clone(c *model.Catalog) *model.Catalog { return cloneCatalog(c) }
