package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/examples"
)

// Image references the tests use.
const (
	scipyRef = "quay.io/jupyter/scipy-notebook:2025-06-02"
	scipyNew = "quay.io/jupyter/scipy-notebook:2025-07-14"
	rRef     = "quay.io/jupyter/r-notebook:2025-06-02"
)

// seed imports examples/profile-list.yaml as the next revision (1, or 2
// after a system:config revision of a config with node groups): profiles "small"
// (option "image" with choices scipy and r, each a catalog image) and "gpu"
// (image pytorch), images scipy-notebook, r-notebook and pytorch-notebook
// (named by repository).
func (c *client) seed() {
	c.t.Helper()
	before := c.revisions()
	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/import", examples.ProfileList)
	if got := num(r.JSON, "revision", "id"); got != before+1 {
		c.t.Fatalf("seed: revision %d, want %d", got, before+1)
	}
}

// wantRevisions fails unless the database holds n revisions.
func (c *client) wantRevisions(n int64) {
	c.t.Helper()
	if got := c.revisions(); got != n {
		c.t.Fatalf("the database holds %d revisions, want %d", got, n)
	}
}

// profileList is the live profile_list KubeSpawner gets.
func (c *client) profileList() []any {
	c.t.Helper()
	r := c.get("profile_list")
	return r.JSON.([]any)
}

func TestCreateImage(t *testing.T) {
	c := newTestServer(t)
	img := map[string]any{"slug": "py", "display_name": "Python", "description": "SciPy stack", "ref": scipyRef}

	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/images", img, "X-Hubprofiles-Message", "curate python")
	if got, want := r.Header.Get("Location"), prefix+"api/v1/images/py"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got := etag(t, r); got != `"1"` {
		t.Errorf("ETag = %s, want \"1\"", got)
	}
	for _, tc := range []struct {
		path []any
		want any
	}{
		{[]any{"revision", "id"}, 1.0},
		{[]any{"revision", "author"}, "dev-admin"},
		{[]any{"revision", "message"}, "curate python"},
		{[]any{"revision", "live"}, false},
		{[]any{"result", "slug"}, "py"},
		{[]any{"result", "display_name"}, "Python"},
		{[]any{"result", "description"}, "SciPy stack"},
		{[]any{"result", "ref"}, scipyRef},
	} {
		if got := dig(r.JSON, tc.path...); got != tc.want {
			t.Errorf("body%v = %v, want %v", tc.path, got, tc.want)
		}
	}
	if users := list(r.JSON, "result", "used_by"); users == nil || len(users) != 0 {
		t.Errorf("result.used_by = %v, want [] (present and empty)", dig(r.JSON, "result", "used_by"))
	}
	if ws := dig(r.JSON, "warnings"); ws == nil {
		t.Errorf("warnings missing, want []: %s", r.Body)
	}
	if len(str(r.JSON, "revision", "content_sha256")) != 64 || len(str(r.JSON, "revision", "chain_sha256")) != 64 {
		t.Errorf("revision hashes missing: %s", r.Body)
	}
	c.wantRevisions(1)

	// The default message names the image.
	r = c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "r", "ref": rRef})
	if got := str(r.JSON, "revision", "message"); got != "add image r" {
		t.Errorf("default message %q, want %q", got, "add image r")
	}
	if got := num(r.JSON, "revision", "parent_id"); got != 1 {
		t.Errorf("parent_id %d, want 1", got)
	}

	got := c.get("api/v1/images/py")
	if etag(t, got) != `"2"` {
		t.Errorf("GET image ETag %s, want \"2\" (the head)", etag(t, got))
	}
	want := map[string]any{"slug": "py", "display_name": "Python", "description": "SciPy stack", "ref": scipyRef, "used_by": []any{}}
	if fmt.Sprint(got.JSON) != fmt.Sprint(want) {
		t.Errorf("GET image = %v, want %v", got.JSON, want)
	}

	all := c.get("api/v1/images")
	var slugs []string
	for _, im := range list(all.JSON, "images") {
		slugs = append(slugs, str(im, "slug"))
	}
	if !slices.Equal(slugs, []string{"py", "r"}) {
		t.Errorf("GET images slugs = %v, want [py r] in the order they were added", slugs)
	}
	if etag(t, all) != `"2"` {
		t.Errorf("GET images ETag %s, want \"2\"", etag(t, all))
	}
}

func TestListImagesEmpty(t *testing.T) {
	c := newTestServer(t)
	r := c.get("api/v1/images")
	if imgs := list(r.JSON, "images"); imgs == nil || len(imgs) != 0 {
		t.Errorf("images on an empty store = %s, want {\"images\": []}", r.Body)
	}
	if got := etag(t, r); got != `"0"` {
		t.Errorf("ETag on an empty store = %s, want \"0\"", got)
	}
}

// TestPatchImageRefReachesEveryProfile: the most common edit, a tag bump,
// is one request and one revision, and changes every profile and choice that
// offers the image.
func TestPatchImageRefReachesEveryProfile(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "py", "display_name": "Python", "ref": scipyRef})
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", map[string]any{
		"slug": "small", "display_name": "Small", "image": "py",
		"kubespawner_override": map[string]any{"mem_limit": "2G"},
	})
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", map[string]any{
		"slug": "large", "display_name": "Large",
		"options": []any{map[string]any{"key": "image", "display_name": "Image", "choices": []any{
			map[string]any{"key": "python", "display_name": "Python", "default": true, "image": "py"},
		}}},
	})
	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/3/publish", nil)
	before := c.revisions()

	r := c.must(http.StatusOK, http.MethodPatch, "api/v1/images/py?publish=true", map[string]any{"ref": scipyNew})
	c.wantRevisions(before + 1)
	id := num(r.JSON, "revision", "id")
	if id != before+1 || etag(t, r) != fmt.Sprintf(`"%d"`, id) {
		t.Errorf("revision %d, ETag %s; want %d", id, etag(t, r), before+1)
	}
	if got, want := str(r.JSON, "revision", "message"), "image py: "+scipyNew; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if dig(r.JSON, "revision", "live") != true {
		t.Errorf("?publish=true: revision.live = %v, want true", dig(r.JSON, "revision", "live"))
	}
	if got := str(r.JSON, "result", "ref"); got != scipyNew {
		t.Errorf("result.ref = %q, want %q", got, scipyNew)
	}
	users := fmt.Sprint(list(r.JSON, "result", "used_by"))
	for _, want := range []string{`profile "small"`, `profile "large", option "image", choice "python"`} {
		if !strings.Contains(users, want) {
			t.Errorf("used_by %s does not name %s", users, want)
		}
	}
	// Untouched fields stay (a merge patch).
	if got := str(r.JSON, "result", "display_name"); got != "Python" {
		t.Errorf("display_name = %q after patching only ref", got)
	}

	pl := c.get("profile_list")
	if got := pl.Header.Get("X-Hubprofiles-Revision"); got != fmt.Sprint(id) {
		t.Errorf("profile_list serves revision %s, want %d", got, id)
	}
	for _, tc := range []struct {
		path []any
	}{
		{[]any{0, "kubespawner_override", "image"}},
		{[]any{1, "profile_options", "image", "choices", "python", "kubespawner_override", "image"}},
	} {
		if got := str(pl.JSON, tc.path...); got != scipyNew {
			t.Errorf("profile_list%v = %q, want %q", tc.path, got, scipyNew)
		}
	}

	// The diff of that one revision shows both rendered changes.
	d := c.get(fmt.Sprintf("api/v1/revisions/%d/diff", id))
	var listPaths []string
	for _, ch := range list(d.JSON, "profile_list") {
		listPaths = append(listPaths, str(ch, "path"))
	}
	want := []string{"/0/kubespawner_override/image", "/1/profile_options/image/choices/python/kubespawner_override/image"}
	if !slices.Equal(listPaths, want) {
		t.Errorf("profile_list diff paths %v, want %v", listPaths, want)
	}
	if got := list(d.JSON, "catalog"); len(got) != 1 || str(got[0], "path") != "/images/0/ref" || str(got[0], "to") != scipyNew {
		t.Errorf("catalog diff %v, want one change of /images/0/ref to %s", got, scipyNew)
	}
}

func TestPatchImageFields(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	r := c.must(http.StatusOK, http.MethodPatch, "api/v1/images/r-notebook",
		map[string]any{"display_name": "R 4.4", "description": "tidyverse"}, "If-Match", `"1"`)
	for _, tc := range []struct {
		field, want string
	}{
		{"display_name", "R 4.4"}, {"description", "tidyverse"}, {"ref", rRef}, {"slug", "r-notebook"},
	} {
		if got := str(r.JSON, "result", tc.field); got != tc.want {
			t.Errorf("result.%s = %q, want %q", tc.field, got, tc.want)
		}
	}
	if got := str(r.JSON, "revision", "message"); got != "edit image r-notebook" {
		t.Errorf("message %q", got)
	}
	// A display-only change leaves the rendered list as it was.
	d := c.get("api/v1/revisions/2/diff")
	if got := list(d.JSON, "profile_list"); len(got) != 0 {
		t.Errorf("renaming an image changed the profile list: %v", got)
	}
	if got := len(list(d.JSON, "catalog")); got != 2 {
		t.Errorf("catalog diff has %d changes, want 2 (display_name, description): %s", got, d.Body)
	}
}

func TestDeleteImage(t *testing.T) {
	c := newTestServer(t)
	c.seed()

	// In use: refused, naming every user, nothing written.
	r := c.do(http.MethodDelete, "api/v1/images/scipy-notebook", nil)
	e := errorOf(t, r, http.StatusConflict, "in_use")
	if want := `profile "small", option "image", choice "scipy"`; !strings.Contains(e.Error.Message, want) {
		t.Errorf("in_use message %q does not name %s", e.Error.Message, want)
	}
	c.wantRevisions(1)

	// Unused: removed.
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "spare", "ref": rRef + "-spare"})
	r = c.must(http.StatusOK, http.MethodDelete, "api/v1/images/spare", nil)
	if got := str(r.JSON, "revision", "message"); got != "remove image spare" {
		t.Errorf("message %q", got)
	}
	if got := etag(t, r); got != `"3"` {
		t.Errorf("ETag %s, want \"3\"", got)
	}
	errorOf(t, c.do(http.MethodGet, "api/v1/images/spare", nil), http.StatusNotFound, "not_found")
	if n := len(list(c.get("api/v1/images").JSON, "images")); n != 3 {
		t.Errorf("%d images left, want 3", n)
	}
}

// TestImageInUseByTwo: the in_use error names every profile using it.
func TestImageInUseByTwo(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "py", "ref": scipyRef})
	for _, s := range []string{"one", "two"} {
		c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", map[string]any{"slug": s, "display_name": s, "image": "py"})
	}
	e := errorOf(t, c.do(http.MethodDelete, "api/v1/images/py", nil), http.StatusConflict, "in_use")
	for _, want := range []string{`profile "one"`, `profile "two"`} {
		if !strings.Contains(e.Error.Message, want) {
			t.Errorf("in_use message %q does not name %s", e.Error.Message, want)
		}
	}
	c.wantRevisions(3)
}

// TestRemoveUnusedImages (issue 13): GET images?unused=true lists the
// images nothing uses, DELETE images?unused=true removes them all in one
// revision without changing the list users get, a second call writes
// nothing, and DELETE images without the parameter removes nothing.
func TestRemoveUnusedImages(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	for _, s := range []string{"spare", "old"} {
		c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": s, "ref": rRef + "-" + s})
	}
	c.wantRevisions(3)
	before := c.get("profile_list?revision=head").JSON

	var unused []string
	for _, im := range list(c.get("api/v1/images?unused=true").JSON, "images") {
		unused = append(unused, str(im, "slug"))
	}
	if strings.Join(unused, " ") != "spare old" {
		t.Errorf("unused images %v, want [spare old]", unused)
	}
	errorOf(t, c.do(http.MethodGet, "api/v1/images?unused=yes", nil), http.StatusBadRequest, "bad_request")
	errorOf(t, c.do(http.MethodDelete, "api/v1/images", nil), http.StatusBadRequest, "bad_request")
	c.wantRevisions(3)

	r := c.must(http.StatusOK, http.MethodDelete, "api/v1/images?unused=true", nil, "If-Match", `"3"`)
	if got := fmt.Sprint(dig(r.JSON, "result", "removed")); got != "[spare old]" {
		t.Errorf("removed %s, want [spare old]", got)
	}
	if got := str(r.JSON, "revision", "message"); got != "remove unused images" {
		t.Errorf("message %q", got)
	}
	c.wantRevisions(4)
	if n := len(list(c.get("api/v1/images").JSON, "images")); n != 3 {
		t.Errorf("%d images left, want the 3 in use", n)
	}
	if after := c.get("profile_list?revision=head").JSON; !reflect.DeepEqual(after, before) {
		t.Errorf("removing unused images changed the profile list:\n%v\n%v", before, after)
	}

	r = c.must(http.StatusOK, http.MethodDelete, "api/v1/images?unused=true", nil)
	if r.JSON.(map[string]any)["unchanged"] != true {
		t.Errorf("nothing to remove wrote a revision: %s", r.Body)
	}
	c.wantRevisions(4)
}
