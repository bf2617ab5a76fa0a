package ui_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestFilterProfilesAndImages: the profiles and images pages filter by
// what is typed (a GET form: it works without JavaScript; htmx asks for the
// list alone). Every word must match; positions stay those of the whole
// list (issue 14).
func TestFilterProfilesAndImages(t *testing.T) {
	c := newFixture(t)
	rowNames := func(r *response, sel string) []string {
		var out []string
		r.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, squash(s.Text())) })
		return out
	}
	r := c.get("profiles?q=GPU")
	if got := rowNames(r, "#profile-list tbody td:first-child"); !slices.Equal(got, []string{"2"}) {
		t.Errorf("filtering profiles by GPU: rows at positions %q, want [2]", got)
	}
	if got := r.text("#profile-list [role=status]"); !strings.Contains(got, "1 of 2 profile(s) match “GPU”") {
		t.Errorf("the filter's status: %q", got)
	}
	if got := r.Find("#q").AttrOr("value", ""); got != "GPU" {
		t.Errorf("the search field holds %q", got)
	}
	// A choice's name finds its profile; words must all match.
	if got := rowNames(c.get("profiles?q=scipy+small"), "#profile-list tbody td:first-child"); !slices.Equal(got, []string{"1"}) {
		t.Errorf("filtering by a choice and a slug: %q", got)
	}
	if got := c.get("profiles?q=nothing-like-this").text("#profile-list tbody"); !strings.Contains(got, "No profile matches") {
		t.Errorf("no match: %q", got)
	}
	// htmx gets the list alone.
	frag := c.get("profiles?q=GPU", htmx...)
	if frag.Find("h1").Length() != 0 || frag.Find("#profile-list").Length() != 1 {
		t.Errorf("the htmx answer is not the list fragment: %s", frag.Body)
	}

	imgs := c.get("images?q=spare")
	if got := rowNames(imgs, "#image-list tbody td:first-child strong"); !slices.Equal(got, []string{"spare"}) {
		t.Errorf("filtering images by spare: %q", got)
	}
	if frag := c.get("images?q=spare", htmx...); frag.Find("h1").Length() != 0 || frag.Find("#image-list").Length() != 1 {
		t.Errorf("the htmx answer is not the image list: %s", frag.Body)
	}
}

// TestMoveToPosition: moving the last profile to the top is one step and
// one revision, not one per place (issue 14).
func TestMoveToPosition(t *testing.T) {
	c := newFixture(t)
	for _, name := range []string{"a", "b", "c"} {
		wantDone(t, c, c.do(http.MethodPost, "profiles/new", form("display_name", "Extra "+name, "slug", "extra-"+name, "base", strconv.FormatInt(c.revisions(), 10), "action", "save")),
			"profiles", "Saved profile Extra "+name+".")
	}
	before := c.revisions()
	r := c.get("profiles")
	in := r.Find(`input[name="position"]#move-extra-c`)
	if in.AttrOr("max", "") != "5" || in.AttrOr("value", "") != "5" {
		t.Fatalf("the move-to field of the last profile: max %q value %q, want 5 and 5", in.AttrOr("max", ""), in.AttrOr("value", ""))
	}
	wantDone(t, c, c.do(http.MethodPost, "profiles/extra-c/move", form("position", "1")), "profiles", "")
	c.wantRevisions(before + 1)
	var got []string
	for _, p := range c.head().Catalog.Profiles {
		got = append(got, p.Slug)
	}
	if !slices.Equal(got, []string{"extra-c", "small", "gpu", "extra-a", "extra-b"}) {
		t.Errorf("order after moving extra-c to the top: %v", got)
	}
}
