package model

import (
	"slices"
	"testing"
)

// TestRemoveUnusedImages: the images no profile, choice or hub default
// uses go in one step; every used one stays.
func TestRemoveUnusedImages(t *testing.T) {
	c := &Catalog{
		Images: []Image{{Slug: "old", Ref: "a/b:1"}, {Slug: "default", Ref: "a/d:1"}, {Slug: "profile", Ref: "a/p:1"},
			{Slug: "spare", Ref: "a/s:1"}, {Slug: "choice", Ref: "a/c:1"}},
		Defaults: Defaults{Image: "default"},
		Profiles: []Profile{{Slug: "p", Image: "profile", Options: []Option{{Key: "o", Choices: []Choice{{Key: "c", Image: "choice"}}}}}},
	}
	if got := c.UnusedImages(); !slices.Equal(got, []string{"old", "spare"}) {
		t.Errorf("unused %v, want [old spare]", got)
	}
	if got := c.RemoveUnusedImages(); !slices.Equal(got, []string{"old", "spare"}) {
		t.Errorf("removed %v, want [old spare]", got)
	}
	var left []string
	for _, im := range c.Images {
		left = append(left, im.Slug)
	}
	if !slices.Equal(left, []string{"default", "profile", "choice"}) {
		t.Errorf("left %v, want the used ones", left)
	}
	if got := c.RemoveUnusedImages(); len(got) != 0 {
		t.Errorf("a second removal removed %v", got)
	}
}
