package api_test

import (
	"net/http"
	"testing"
)

// TestRenameImage: PATCH with a new slug renames an image; the profiles,
// choices and hub default that use it follow, so the list KubeSpawner reads
// does not change. A taken or malformed slug is refused.
func TestRenameImage(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	c.must(http.StatusOK, http.MethodPut, "api/v1/defaults", map[string]any{"image": scipy})
	r := c.must(http.StatusOK, http.MethodPatch, "api/v1/images/"+scipy, map[string]any{"slug": "scipy"})
	if str(r.JSON, "result", "slug") != "scipy" || len(list(r.JSON, "result", "used_by")) < 2 {
		t.Errorf("rename: %s", r.Body)
	}
	if got := str(c.get("api/v1/defaults").JSON, "image"); got != "scipy" {
		t.Errorf("the hub default still names %q", got)
	}
	c.must(http.StatusNotFound, http.MethodGet, "api/v1/images/"+scipy, nil)
	d := c.get("api/v1/revisions/" + etagNum(t, r) + "/diff")
	if got := list(d.JSON, "profile_list"); len(got) != 0 {
		t.Errorf("renaming an image changed the profile list: %v", got)
	}
	c.must(http.StatusConflict, http.MethodPatch, "api/v1/images/scipy", map[string]any{"slug": "r-notebook"})
	c.must(http.StatusUnprocessableEntity, http.MethodPatch, "api/v1/images/scipy", map[string]any{"slug": "Not A Slug"})
}

func etagNum(t *testing.T, r *response) string {
	t.Helper()
	e := etag(t, r)
	return e[1 : len(e)-1]
}
