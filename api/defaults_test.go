package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestHubDefaults: the hub-wide image and interface are revisioned like
// the rest, checked, served at {prefix}defaults once published, and shown
// in the effective settings with their source.
func TestHubDefaults(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	r := c.must(http.StatusOK, http.MethodPut, "api/v1/defaults", map[string]any{"image": "scipy-notebook", "default_url": "/lab"})
	if str(r.JSON, "result", "image") != "scipy-notebook" || str(r.JSON, "revision", "message") != "hub defaults: image scipy-notebook, interface /lab" {
		t.Errorf("PUT defaults: %s", r.Body)
	}
	if r := c.get("api/v1/defaults"); str(r.JSON, "default_url") != "/lab" {
		t.Errorf("GET defaults: %s", r.Body)
	}
	// Not served before it is published.
	if r := c.do(http.MethodGet, "defaults", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("defaults before any publication: %d", r.Status)
	}
	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/2/publish", nil)
	r = c.must(http.StatusOK, http.MethodGet, "defaults", nil)
	if string(r.Body) != `{"image":"quay.io/jupyter/scipy-notebook:2025-06-02","default_url":"/lab"}` {
		t.Errorf("defaults feed = %s", r.Body)
	}
	if r := c.do(http.MethodGet, "defaults", nil, "If-None-Match", etag(t, r)); r.Status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r.Status)
	}

	// Refused: not a path, an unknown image; the image in use cannot go.
	r = c.do(http.MethodPut, "api/v1/defaults", map[string]any{"default_url": "lab"})
	if e := errorOf(t, r, http.StatusUnprocessableEntity, "invalid"); !e.hasField("/defaults/default_url", "must be a path") {
		t.Errorf("relative interface: %v", e.fieldPaths())
	}
	r = c.do(http.MethodPut, "api/v1/defaults", map[string]any{"image": "nope"})
	if e := errorOf(t, r, http.StatusUnprocessableEntity, "invalid"); !e.hasField("/defaults/image", `no image "nope"`) {
		t.Errorf("unknown image: %v", e.fieldPaths())
	}
	c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/small", map[string]any{"slug": "small", "display_name": "Small"}, "If-Match", `"2"`)
	r = c.do(http.MethodDelete, "api/v1/images/scipy-notebook", nil)
	if e := errorOf(t, r, http.StatusConflict, "in_use"); !strings.Contains(e.Error.Message, "the hub default") {
		t.Errorf("deleting the default image: %s", e.Error.Message)
	}

	// The effective settings say where each value comes from.
	r = c.must(http.StatusOK, http.MethodGet, "api/v1/effective", nil)
	rows := list(r.JSON, "settings")
	if len(rows) != 2 {
		t.Fatalf("%d rows: %s", len(rows), r.Body)
	}
	if str(rows[0], "profile") != "Small" || str(rows[0], "image", "from") != "hub default" || str(rows[0], "default_url", "value") != "/lab" {
		t.Errorf("Small inherits the defaults: %v", rows[0])
	}
	if str(rows[1], "slug") != "gpu" || str(rows[1], "image", "from") != "profile" || !strings.Contains(str(rows[1], "image", "value"), "pytorch") {
		t.Errorf("gpu's own image wins: %v", rows[1])
	}
}

// TestNoProfiles: a hub that offers no choice publishes an empty list and
// still has its defaults.
func TestNoProfiles(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "base", "ref": "quay.io/jupyter/base-notebook:2025-06-02"})
	c.must(http.StatusOK, http.MethodPut, "api/v1/defaults?publish=true", map[string]any{"image": "base", "default_url": "/rstudio"})
	if r := c.must(http.StatusOK, http.MethodGet, "profile_list", nil); string(r.Body) != "[]" {
		t.Errorf("profile_list = %s, want []", r.Body)
	}
	if r := c.must(http.StatusOK, http.MethodGet, "defaults", nil); string(r.Body) != `{"image":"quay.io/jupyter/base-notebook:2025-06-02","default_url":"/rstudio"}` {
		t.Errorf("defaults = %s", r.Body)
	}
}
