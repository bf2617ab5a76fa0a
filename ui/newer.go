package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
)

// Newer tags are shown where an admin looks (the images list and the
// dashboard), per repository, with one button that moves every image of
// the repository to a newer tag in one revision: on a hub with many images
// of one repository (a dated tag per term), bumping them one by one is the
// chore that makes hubs fall behind.

// tagTTL is how long the pages reuse a repository's tag list: a page load
// must not list every repository's tags again.
const tagTTL = 10 * time.Minute

// tagCache is the tag lists the pages asked for, by repository.
type tagCache struct {
	mu sync.Mutex
	m  map[string]tagEntry
}

type tagEntry struct {
	tags []string
	at   time.Time
}

// repoHint is one repository with images on older tags.
type repoHint struct {
	Repo   string
	Images []imageHint // the images of the repository that have newer tags
	Newer  []string    // the newer tags of the oldest of them, newest first
	Count  int         // images of the repository in the catalog
}

type imageHint struct {
	Slug, Tag, Newest string
}

// repoOf is a reference without its tag or digest.
func repoOf(ref string) string {
	name, _, _ := strings.Cut(ref, "@")
	slash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > slash {
		name = name[:i]
	}
	return name
}

// tagsOf lists a repository's tags, from the cache when it is fresh.
func (h *Handler) tagsOf(ctx context.Context, ref string) ([]string, bool) {
	repo := repoOf(ref)
	h.tags.mu.Lock()
	e, ok := h.tags.m[repo]
	h.tags.mu.Unlock()
	if ok && time.Since(e.at) < tagTTL {
		return e.tags, true
	}
	tags, err := h.images.Tags(ctx, ref)
	if err != nil {
		return nil, false
	}
	h.tags.mu.Lock()
	h.tags.m[repo] = tagEntry{tags: tags, at: time.Now()}
	h.tags.mu.Unlock()
	return tags, true
}

// newerHints asks each repository of the catalog for its tags (at most four
// at a time) and returns the repositories with images on older tags.
func (h *Handler) newerHints(ctx context.Context, cat *model.Catalog) []repoHint {
	if h.images == nil {
		return nil
	}
	var repos []string
	byRepo := map[string][]model.Image{}
	for _, im := range cat.Images {
		r := repoOf(im.Ref)
		if _, ok := byRepo[r]; !ok {
			repos = append(repos, r)
		}
		byRepo[r] = append(byRepo[r], im)
	}
	hints := make([]*repoHint, len(repos))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	for i, r := range repos {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			ims := byRepo[r]
			tags, ok := h.tagsOf(ctx, ims[0].Ref)
			if !ok {
				return
			}
			hint := repoHint{Repo: r, Count: len(ims)}
			for _, im := range ims {
				newer := registry.NewerTags(profilelist.ImageTag(im.Ref), tags)
				if len(newer) == 0 {
					continue
				}
				hint.Images = append(hint.Images, imageHint{Slug: im.Slug, Tag: profilelist.ImageTag(im.Ref), Newest: newer[0]})
				if len(newer) > len(hint.Newer) {
					hint.Newer = newer // the oldest image's list holds the others'
				}
			}
			if len(hint.Images) > 0 {
				hints[i] = &hint
			}
		})
	}
	wg.Wait()
	var out []repoHint
	for _, hint := range hints {
		if hint != nil {
			out = append(out, *hint)
		}
	}
	return out
}

// bumpRepository moves every image of a repository that is on an older tag
// (under the target's scheme) to the target tag, in one revision, once the
// registry confirms the tag exists.
func (h *Handler) bumpRepository(c echo.Context) error {
	repo, tag := strings.TrimSpace(c.FormValue("repository")), strings.TrimSpace(c.FormValue("tag"))
	if repo == "" || tag == "" {
		return h.message(c, http.StatusBadRequest, "Not bumped", "Pick a repository and a tag.")
	}
	target := repo + ":" + tag
	if h.images != nil {
		if res := h.images.Recheck(c.Request().Context(), target); res.Status != registry.Exists {
			return h.message(c, http.StatusUnprocessableEntity, "Not bumped", res.Message)
		}
	}
	var moved []string
	_, err := h.edit.Commit(c.Request().Context(), edit.Change{Base: formBase(c), Author: author(c),
		Message: "images of " + repo + ": tag → " + tag,
		Apply: func(cat *model.Catalog) error {
			moved = nil
			for i := range cat.Images {
				im := &cat.Images[i]
				if repoOf(im.Ref) == repo && slices.Contains(registry.NewerTags(profilelist.ImageTag(im.Ref), []string{tag}), tag) {
					im.Ref = target
					moved = append(moved, im.Slug)
				}
			}
			if len(moved) == 0 {
				return fmt.Errorf("no image of %s is on a tag older than %s: %w", repo, tag, model.ErrNotFound)
			}
			return nil
		}})
	if err != nil {
		return h.fail(c, err)
	}
	return h.done(c, "images", fmt.Sprintf("%d image(s) of %s now use tag %s everywhere they are offered: %s.", len(moved), repo, tag, strings.Join(moved, ", ")))
}
