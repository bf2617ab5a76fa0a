package api_test

import (
	"net/http"
	"testing"
)

// TestNoOpWritesAddNoRevision: writes that leave the catalog as it is —
// re-importing the same file, a GET-then-PUT with nothing edited, the same
// defaults, a move to where the profile already is — answer 200 with the
// unchanged head and "unchanged": true, and the history gets no entry.
func TestNoOpWritesAddNoRevision(t *testing.T) {
	c := newTestServer(t)
	data := historyList(t, "awi-ciroh__prod", "2025-04-01")
	first := c.must(http.StatusCreated, http.MethodPost, "api/v1/import", data)
	if dig(first.JSON, "unchanged") != nil {
		t.Errorf("a first import says unchanged: %s", first.Body)
	}
	head := num(first.JSON, "revision", "id")

	again := c.must(http.StatusOK, http.MethodPost, "api/v1/import", data)
	if dig(again.JSON, "unchanged") != true || num(again.JSON, "revision", "id") != head || etag(t, again) != etag(t, first) {
		t.Errorf("re-import: want the unchanged head %d: %s", head, again.Body)
	}

	profiles := c.get("api/v1/profiles")
	slug := str(profiles.JSON, "profiles", 0, "slug")
	p := c.get("api/v1/profiles/" + slug)
	for _, w := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPut, "api/v1/profiles/" + slug, p.JSON},
		{http.MethodPost, "api/v1/profiles/" + slug + "/move", map[string]int{"position": 0}},
		{http.MethodPut, "api/v1/defaults", c.get("api/v1/defaults").JSON},
	} {
		r := c.must(http.StatusOK, w.method, w.path, w.body, "If-Match", etag(t, p))
		if dig(r.JSON, "unchanged") != true || num(r.JSON, "revision", "id") != head {
			t.Errorf("%s %s: want the unchanged head %d: %s", w.method, w.path, head, r.Body)
		}
	}
	if n := c.revisions(); n != 1 {
		t.Errorf("%d revisions after writes that changed nothing, want 1", n)
	}

	// A real change still writes a revision, and says nothing of unchanged.
	r := c.must(http.StatusOK, http.MethodPost, "api/v1/profiles/"+slug+"/move", map[string]int{"position": 1})
	if dig(r.JSON, "unchanged") != nil || num(r.JSON, "revision", "id") != head+1 {
		t.Errorf("a real move: %s", r.Body)
	}
	// Restoring the revision the head already equals writes nothing.
	c.must(http.StatusOK, http.MethodPost, "api/v1/profiles/"+slug+"/move", map[string]int{"position": 0})
	rs := c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/1/restore", nil)
	if dig(rs.JSON, "unchanged") != true {
		t.Errorf("restoring what the head holds: %s", rs.Body)
	}
	if n := c.revisions(); n != 3 {
		t.Errorf("%d revisions, want 3", n)
	}
}
