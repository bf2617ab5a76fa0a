package edit

import (
	"context"
	"errors"
	"fmt"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/store"
)

// The history as it is stored, for the pages, the API and the server: the
// handlers read revisions and publications here, never from the store, so
// that a missing one is model.ErrNotFound wherever it is asked for.

// Revisions is up to limit revisions with ids below before (0: from the
// head), newest first, without their content.
func (e *Editor) Revisions(ctx context.Context, before int64, limit int) ([]store.Revision, error) {
	return e.store.List(ctx, before, limit)
}

// Revision is revision id as stored: its catalog document and the profile
// list it rendered, byte for byte.
func (e *Editor) Revision(ctx context.Context, id int64) (*store.Revision, error) {
	r, err := e.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("revision %d: %w", id, model.ErrNotFound)
	}
	return r, err
}

// HeadRevision is the newest revision as stored; model.ErrNotFound when
// nothing was written yet.
func (e *Editor) HeadRevision(ctx context.Context) (*store.Revision, error) {
	r, err := e.store.Head(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no revision yet: %w", model.ErrNotFound)
	}
	return r, err
}

// Publications is up to limit publications, newest first.
func (e *Editor) Publications(ctx context.Context, limit int) ([]store.Publication, error) {
	return e.store.Publications(ctx, limit)
}

// Ping checks that the database answers.
func (e *Editor) Ping(ctx context.Context) error { return e.store.Ping(ctx) }

// OnPublish subscribes fn to publications: the editor calls it after every
// publication it writes (Publish, and a Commit or Import that publishes),
// once the write is committed, so that whoever serves the live list (the
// server) reloads it. Subscribing changes nothing about what the editor
// does.
func (e *Editor) OnPublish(fn func()) {
	e.hooksMu.Lock()
	defer e.hooksMu.Unlock()
	e.onPublish = append(e.onPublish, fn)
}

// published runs the subscribers of OnPublish.
func (e *Editor) published() {
	e.hooksMu.Lock()
	hooks := append([]func(){}, e.onPublish...)
	e.hooksMu.Unlock()
	for _, fn := range hooks {
		fn()
	}
}
