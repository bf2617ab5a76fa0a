package server

import (
	"context"
	"time"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
)

// CheckImages asks the registries about every image reference of the draft
// head and the live revision, so that validation warnings and the metrics
// show a missing image before users do. It returns the results.
func (s *Server) CheckImages(ctx context.Context) map[string]registry.Result {
	if s.opts.Images == nil {
		return nil
	}
	var refs []string
	if head, err := s.opts.Editor.Head(ctx); err == nil {
		refs = append(refs, imageRefs(head.Catalog)...)
	}
	if _, live, err := s.opts.Editor.Live(ctx); err == nil {
		refs = append(refs, imageRefs(live.Catalog)...)
	}
	results := s.opts.Images.CheckAll(ctx, refs)
	counts := map[registry.Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	for _, st := range []registry.Status{registry.Exists, registry.NotFound, registry.Unauthorized,
		registry.Unreachable, registry.Invalid, registry.Timeout, registry.NotAllowed} {
		s.metrics.images.WithLabelValues(string(st)).Set(float64(counts[st]))
	}
	for ref, r := range results {
		if r.Status != registry.Exists {
			s.opts.Log.Warn("image check", "ref", ref, "status", r.Status, "message", r.Message)
		}
	}
	return results
}

// WatchImages re-checks the images every interval until ctx ends, starting now.
func (s *Server) WatchImages(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.CheckImages(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// imageRefs lists the image references of a catalog: its images, and
// what its profiles name directly.
func imageRefs(c *model.Catalog) []string {
	var refs []string
	for _, im := range c.Images {
		refs = append(refs, im.Ref)
	}
	if list, err := profilelist.Render(c); err == nil {
		refs = append(refs, profilelist.ImageRefs(list)...)
	}
	return refs
}
