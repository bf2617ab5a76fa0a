package ui_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestRemoveUnusedImages (issue 13): the images page offers editors one
// "Remove unused images" action, which confirms first (naming the images,
// writing nothing) and then removes every image nothing uses in one
// revision, leaving the list users get as it was.
func TestRemoveUnusedImages(t *testing.T) {
	c := newFixture(t) // "spare" is unused
	r := c.get("images")
	link := r.Find(`a[href="` + prefix + `images/unused/remove"]`)
	if got := textOf(link); got != "Remove unused images (1)…" {
		t.Errorf("the remove-unused link says %q", got)
	}
	if n := c.get("images", "X-Test-As", "viewer").Find(`a[href="` + prefix + `images/unused/remove"]`).Length(); n != 0 {
		t.Error("a viewer is offered to remove unused images")
	}

	revs, pubs := c.revisions(), c.publications()
	r = c.get("images/unused/remove")
	wantLayout(t, r, "Remove 1 unused image(s)?", "Remove 1 unused image(s)?")
	if got := r.text("#confirm > p"); !strings.Contains(got, "without spare:") {
		t.Errorf("the confirmation does not name the image: %q", got)
	}
	action, fields, _ := confirmForm(t, r)
	if action != prefix+"images/unused/remove" || fields["base"] != "3" {
		t.Errorf("confirm form: action %q, fields %v", action, fields)
	}
	wantNothingWritten(t, c, revs, pubs)

	before := c.head().Revision.ProfileList
	r = c.do(http.MethodPost, "images/unused/remove", form("base", "3"))
	wantDone(t, c, r, "images", "Removed 1 unused image(s): spare.")
	wantWritten(t, c, 4, "remove unused images")
	if _, ok := c.head().Catalog.Image("spare"); ok {
		t.Error("spare is still in the catalog")
	}
	if got := c.head().Revision.ProfileList; string(got) != string(before) {
		t.Errorf("removing unused images changed the profile list:\n%s\n%s", before, got)
	}
	if n := c.get("images").Find(`a[href="` + prefix + `images/unused/remove"]`).Length(); n != 0 {
		t.Error("the link stays when no image is unused")
	}
	// Nothing left to remove: said so, nothing written.
	r = c.do(http.MethodGet, "images/unused/remove", nil)
	wantDone(t, c, r, "images", "No image is unused")
	c.wantRevisions(4)
}

// TestRenameImageInPages: a new short name in an image's form renames it,
// and the choices using it follow (the list users get stays the same); a
// name another image has is refused with the form kept.
func TestRenameImageInPages(t *testing.T) {
	c := newFixture(t)
	before := c.head().Revision.ProfileList
	ref := "quay.io/jupyter/scipy-notebook:2025-06-02"
	r := c.do(http.MethodPost, "images/scipy-notebook", form("slug", "r-notebook", "display_name", "SciPy", "ref", ref, "base", "3"))
	if r.Status != http.StatusConflict && r.Status != http.StatusUnprocessableEntity {
		t.Errorf("renaming onto a taken name: status %d", r.Status)
	}
	if got := r.Find("#image-form form").AttrOr("action", ""); got != prefix+"images/scipy-notebook" {
		t.Errorf("the kept form posts to %q, want the image's stored name", got)
	}
	c.wantRevisions(3)

	r = c.do(http.MethodPost, "images/scipy-notebook", form("slug", "scipy", "display_name", "SciPy", "ref", ref, "base", "3"))
	wantDone(t, c, r, "images", "Saved image scipy.")
	wantWritten(t, c, 4, "rename image scipy-notebook to scipy: "+ref)
	cat := c.head().Catalog
	if _, ok := cat.Image("scipy-notebook"); ok {
		t.Error("the old name is still there")
	}
	if got := cat.Profiles[0].Options[0].Choices[0].Image; got != "scipy" {
		t.Errorf("the choice using it names %q, want scipy", got)
	}
	if got := c.head().Revision.ProfileList; string(got) != string(before) {
		t.Errorf("renaming changed the profile list:\n%s\n%s", before, got)
	}
	if got := c.head().Catalog.ImageUsers("scipy"); !slices.Contains(got, `profile "small", option "image", choice "scipy"`) {
		t.Errorf("users of the renamed image: %v", got)
	}
}
