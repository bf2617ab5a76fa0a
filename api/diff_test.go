package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
)

// TestDiffAlignsProfilesBySlug: on a real quarter where one profile was
// added at the top (leap__prod, 2024-04-01 → 2024-07-01), the revision diff
// says exactly that — one added profile at /profiles/0 — instead of pairing
// every profile with the one that used to be at its place.
func TestDiffAlignsProfilesBySlug(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import", historyList(t, "leap__prod", "2024-04-01"))
	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/import", historyList(t, "leap__prod", "2024-07-01"))
	d := c.get(fmt.Sprintf("api/v1/revisions/%d/diff", num(r.JSON, "revision", "id")))

	wholeProfile := regexp.MustCompile(`^/profiles/\d+$`)
	added := 0
	for _, ch := range list(d.JSON, "catalog") {
		path, op := str(ch, "path"), str(ch, "op")
		switch {
		case path == "/profiles/0" && op == "added":
			added++
		case wholeProfile.MatchString(path) || path == "/profiles/0/slug" || (path == "/profiles" && op == "moved"):
			t.Errorf("catalog diff: %s %s (want only the profile added at the top)", op, path)
		case regexp.MustCompile(`^/profiles/0/`).MatchString(path):
			t.Errorf("catalog diff pairs the new profile with an old one: %s %s", op, path)
		}
	}
	if added != 1 {
		t.Errorf("want one profile added at /profiles/0: %s", d.Body)
	}
	// The rendered list is aligned the same way.
	for _, ch := range list(d.JSON, "profile_list") {
		if path := str(ch, "path"); regexp.MustCompile(`^/0/`).MatchString(path) {
			t.Errorf("profile_list diff pairs the new profile with an old one: %s %s", str(ch, "op"), path)
		}
	}
}

// TestDiffShowsRenameAndMove: a profile whose slug changed and nothing else
// is a rename, and swapping two profiles is a move, not two changed
// profiles.
func TestDiffShowsRenameAndMove(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	profiles := c.get("api/v1/profiles")
	first, second := str(profiles.JSON, "profiles", 0, "slug"), str(profiles.JSON, "profiles", 1, "slug")
	p := c.get("api/v1/profiles/" + first)
	body := p.JSON.(map[string]any)
	body["slug"] = first + "-renamed"
	r := c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/"+first, body, "If-Match", etag(t, p))
	d := c.get(fmt.Sprintf("api/v1/revisions/%d/diff", num(r.JSON, "revision", "id")))
	if ch := list(d.JSON, "catalog"); len(ch) != 1 || str(ch[0], "op") != "renamed" || str(ch[0], "path") != "/profiles/0/slug" ||
		str(ch[0], "from") != first || str(ch[0], "to") != first+"-renamed" {
		t.Errorf("rename: %s", d.Body)
	}
	m := c.must(http.StatusOK, http.MethodPost, "api/v1/profiles/"+second+"/move", map[string]int{"position": 0})
	d = c.get(fmt.Sprintf("api/v1/revisions/%d/diff", num(m.JSON, "revision", "id")))
	if ch := list(d.JSON, "catalog"); len(ch) != 1 || str(ch[0], "op") != "moved" || str(ch[0], "path") != "/profiles" {
		t.Errorf("move: %s", d.Body)
	}
}
