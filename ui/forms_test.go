package ui_test

// Every form works without JavaScript: a POST answers 303 to where the
// result is shown, and the revision is really written.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/store"
)

// wantDone checks a successful POST: 303 to path with a flash message,
// which the page it leads to shows.
func wantDone(t *testing.T, c *client, r *response, path, flash string) {
	t.Helper()
	if r.Status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303; %s", r.Status, textOf(r.Find("main")))
	}
	loc, err := url.Parse(r.location())
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path != path {
		t.Errorf("Location %q, want %s", r.location(), path)
	}
	if got := loc.Query().Get("done"); !strings.HasPrefix(got, flash) {
		t.Errorf("flash %q, want %q…", got, flash)
	}
	page := c.get(r.location())
	if got := page.text("main .notice.ok[role=status]"); !strings.HasPrefix(got, flash) {
		t.Errorf("the page after the POST shows %q, want the flash %q", got, flash)
	}
}

// lastRevision is the head revision as stored.
func (c *client) lastRevision() *store.Revision {
	c.t.Helper()
	r, err := c.store.Head(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// wantWritten checks that one revision was written by the dev admin with
// the given message.
func wantWritten(t *testing.T, c *client, revs int64, message string) {
	t.Helper()
	c.wantRevisions(revs)
	r := c.lastRevision()
	if r.Author != "dev-admin" || r.Message != message {
		t.Errorf("revision %d by %q: %q, want dev-admin: %q", r.ID, r.Author, r.Message, message)
	}
}

func TestImageCreate(t *testing.T) {
	c := newFixture(t)
	r := c.do(http.MethodPost, "images", form("slug", "minimal", "display_name", "Minimal", "description", "just Python",
		"ref", " quay.io/jupyter/minimal-notebook:2025-06-02 ", "base", "3"))
	wantDone(t, c, r, "images", "Saved image minimal.")
	wantWritten(t, c, 4, "add image minimal")
	im, ok := c.head().Catalog.Image("minimal")
	if !ok || im.Ref != "quay.io/jupyter/minimal-notebook:2025-06-02" || im.DisplayName != "Minimal" || im.Description != "just Python" {
		t.Errorf("the image written: %+v", im)
	}
}

func TestImageCreateRefused(t *testing.T) {
	c := newFixture(t)
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		field  string // the field with the error; "" for a form-level one
		want   string
	}{
		{"no reference", form("slug", "x", "base", "3"), 422, "ref", "an image needs a reference"},
		{"no slug", form("ref", "quay.io/x/y:1", "base", "3"), 422, "slug", "an image needs a short name"},
		{"slug taken", form("slug", "spare", "ref", "quay.io/x/y:1", "base", "3"), 409, "", "spare"},
		{"bad slug", form("slug", "Not A Slug", "ref", "quay.io/x/y:1", "base", "3"), 422, "slug", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post(tc.status, "images", tc.form)
			wantLayout(t, r, "Add an image", "Add an image")
			if tc.field == "" {
				if got := r.text("#image-form .notice.error"); !strings.Contains(got, tc.want) {
					t.Errorf("form error %q, want %q", got, tc.want)
				}
			} else {
				wantFieldError(t, r, tc.field, tc.want)
			}
			// The input is kept.
			for _, k := range []string{"slug", "ref"} {
				if got := value(t, r, k); got != strings.TrimSpace(tc.form.Get(k)) {
					t.Errorf("%s = %q, want the input %q", k, got, tc.form.Get(k))
				}
			}
			c.wantRevisions(3)
		})
	}
}

// wantFieldError checks the error shown next to the control with id
// field: marked invalid, described by #err-field, which says want.
func wantFieldError(t *testing.T, r *response, field, want string) {
	t.Helper()
	in := r.Find(byID(field))
	if in.Length() != 1 {
		t.Fatalf("no control #%s", field)
	}
	if got := in.AttrOr("aria-invalid", ""); got != "true" {
		t.Errorf("#%s aria-invalid %q, want true", field, got)
	}
	if got := in.AttrOr("aria-describedby", ""); got != "err-"+field {
		t.Errorf("#%s aria-describedby %q, want err-%s", field, got, field)
	}
	msg := r.Find(byID("err-" + field))
	if msg.Length() != 1 || msg.AttrOr("role", "") != "alert" {
		t.Fatalf("no alert #err-%s next to it; errors shown: %q", field, texts(r.Doc().Selection, ".field-error"))
	}
	if got := textOf(msg); got == "" || !strings.Contains(got, want) {
		t.Errorf("#err-%s says %q, want %q", field, got, want)
	}
	// The message sits in the field's own block, next to the control.
	if in.Parent().Find(byID("err-"+field)).Length() != 1 {
		t.Errorf("#err-%s is not next to #%s", field, field)
	}
}

func TestImageUpdate(t *testing.T) {
	c := newFixture(t)
	r := c.get("images/spare")
	v := formValues(r.Find("#image-form form").First(), "", "")
	v.Set("ref", "quay.io/jupyter/base-notebook:2025-07-01")
	wantDone(t, c, c.do(http.MethodPost, "images/spare", v), "images", "Saved image spare.")
	wantWritten(t, c, 4, "image spare: quay.io/jupyter/base-notebook:2025-07-01")
	im, ok := c.head().Catalog.Image("spare")
	if !ok || im.Ref != "quay.io/jupyter/base-notebook:2025-07-01" || im.DisplayName != "Spare" {
		t.Errorf("spare after the update: %+v", im)
	}
	// A short name left as it was renames nothing (TestRenameImageInPages
	// changes it).
	if got := len(c.head().Catalog.Images); got != 4 {
		t.Errorf("%d images after the update, want 4", got)
	}
}

// TestImageUpdateStale: a form from an older head is refused with what
// changed, the input kept.
func TestImageUpdateStale(t *testing.T) {
	c := newFixture(t)
	old := formValues(c.get("images/spare").Find("#image-form form").First(), "", "")
	c.post(http.StatusSeeOther, "profiles/gpu/move", form("to", "0")) // someone else, revision 4
	old.Set("ref", "quay.io/jupyter/base-notebook:2025-07-01")
	r := c.post(http.StatusConflict, "images/spare", old)
	if got := r.text("#image-form .notice.error"); !strings.Contains(got, "Someone else changed the catalog") || !strings.Contains(got, "revision 3 → 4") {
		t.Errorf("stale notice %q", got)
	}
	// Profiles are paired by slug, so the move is one change: a move.
	if got := texts(r.Find("#image-form .notice.warning"), "ul.changes li"); len(got) != 1 || !strings.HasPrefix(got[0], "/profiles moved") {
		t.Errorf("the changes listed %q, want the profiles' move", got)
	}
	if got := value(t, r, "ref"); got != "quay.io/jupyter/base-notebook:2025-07-01" {
		t.Errorf("the input is lost: ref %q", got)
	}
	c.wantRevisions(4)
}

func TestImageDelete(t *testing.T) {
	c := newFixture(t)
	wantDone(t, c, c.do(http.MethodPost, "images/spare/delete", form("base", "3")), "images", "Removed image spare.")
	wantWritten(t, c, 4, "remove image spare")
	if _, ok := c.head().Catalog.Image("spare"); ok {
		t.Error("spare is still there")
	}

	// An image in use is refused with who uses it.
	r := c.post(http.StatusConflict, "images/pytorch-notebook/delete", form("base", "4"))
	wantLayout(t, r, "Still in use", "Still in use")
	if got := r.text("main p"); !strings.Contains(got, `profile "gpu"`) {
		t.Errorf("in-use message %q does not name the profile", got)
	}
	c.post(http.StatusNotFound, "images/nope/delete", nil)
	c.wantRevisions(4)
}

// TestImageBump: without a registry checker (Options.Images nil) the bump
// skips the registry and moves the tag everywhere the image is offered.
func TestImageBump(t *testing.T) {
	c := newFixture(t)
	r := c.do(http.MethodPost, "images/pytorch-notebook/bump", form("tag", "cuda12-2025-07-01", "base", "3"))
	wantDone(t, c, r, "images", "Image pytorch-notebook now uses tag cuda12-2025-07-01 everywhere it is offered.")
	wantWritten(t, c, 4, "image pytorch-notebook: tag cuda12-2025-06-02 → cuda12-2025-07-01")
	im, _ := c.head().Catalog.Image("pytorch-notebook")
	if im.Ref != "quay.io/jupyter/pytorch-notebook:cuda12-2025-07-01" {
		t.Errorf("ref after the bump %q", im.Ref)
	}
	if !strings.Contains(string(c.lastRevision().ProfileList), "quay.io/jupyter/pytorch-notebook:cuda12-2025-07-01") {
		t.Error("the rendered list of the new revision does not use the new tag")
	}
	c.post(http.StatusNotFound, "images/nope/bump", form("tag", "x"))
	c.wantRevisions(4)
}

func TestProfileCreate(t *testing.T) {
	c := newFixture(t)
	v := formValues(c.get("profiles/new").Find("#profile-form form").First(), "action", "save")
	for k, val := range map[string]string{"display_name": "Medium", "slug": "medium", "image": "spare", "node_group": "n2-highmem-4",
		"mem_limit": "8G", "cpu_limit": "2", "allowed_groups": "staff, students", "override": `{"default_url": "/lab"}`} {
		v.Set(k, val)
	}
	r := c.do(http.MethodPost, "profiles/new", v)
	wantDone(t, c, r, "profiles", "Saved profile Medium.")
	wantWritten(t, c, 4, "add profile medium")
	p := c.profile("medium")
	if p.Image != "spare" || p.NodeGroup != "n2-highmem-4" || !slices.Equal(p.AllowedGroups, []string{"staff", "students"}) {
		t.Errorf("the profile written: %+v", p)
	}
	if got := p.MemLimit.Value(); got != "8G" || p.Override.Has("mem_limit") {
		t.Errorf("mem_limit %v (override %v), want the typed field 8G", got, p.Override)
	}
	if i := c.head().Catalog.ProfileIndex("medium"); i != 2 {
		t.Errorf("a new profile is at %d, want last (2)", i)
	}
}

// TestProfileRoundTrip: the editor's form, submitted unchanged, writes the
// profile it shows: nothing is lost on the way through the form.
func TestProfileRoundTrip(t *testing.T) {
	c := newFixture(t)
	for _, slug := range []string{"small", "gpu"} {
		before := c.head()
		v := formValues(c.get("profiles/"+slug).Find("#profile-form form").First(), "action", "save")
		r := c.do(http.MethodPost, "profiles/"+slug, v)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("%s unchanged: status %d; %s", slug, r.Status, textOf(r.Find("#profile-form")))
		}
		after := c.head()
		// A form that changes nothing writes no revision; one that only
		// drops empty overrides writes one.
		if after.BaseID() != before.BaseID()+1 && after.BaseID() != before.BaseID() {
			t.Fatalf("%s: head %d after %d", slug, after.BaseID(), before.BaseID())
		}
		// An empty kubespawner_override the import leaves on a choice with
		// an image comes back as none; the list above is the same either way.
		if !sameCatalog(withoutEmptyOverrides(before.Catalog), withoutEmptyOverrides(after.Catalog)) {
			t.Errorf("%s submitted unchanged changes the catalog:\n%s", slug, catalogDiff(before.Catalog, after.Catalog))
		}
		if !sameJSON(t, after.Revision.ProfileList, before.Revision.ProfileList) {
			t.Errorf("%s submitted unchanged changes the list KubeSpawner gets", slug)
		}
	}
}

func TestProfileDelete(t *testing.T) {
	c := newFixture(t)
	wantDone(t, c, c.do(http.MethodPost, "profiles/gpu/delete", form("base", "3")), "profiles", "Removed profile gpu.")
	wantWritten(t, c, 4, "remove profile gpu")
	if c.head().Catalog.ProfileIndex("gpu") >= 0 {
		t.Error("gpu is still there")
	}
	c.post(http.StatusNotFound, "profiles/gpu/delete", form("base", "4"))
	c.wantRevisions(4)
}

func TestProfileMove(t *testing.T) {
	c := newFixture(t)
	r := c.post(http.StatusSeeOther, "profiles/gpu/move", form("to", "0"))
	if r.location() != "profiles" {
		t.Errorf("Location %q, want profiles", r.location())
	}
	wantWritten(t, c, 4, "move profile gpu to position 1")
	var order []string
	for _, p := range c.head().Catalog.Profiles {
		order = append(order, p.Slug)
	}
	if !slices.Equal(order, []string{"gpu", "small"}) {
		t.Errorf("order %q", order)
	}
	c.post(http.StatusBadRequest, "profiles/gpu/move", form("to", "up"))
	c.post(http.StatusBadRequest, "profiles/gpu/move", form("position", "1e9999"))
	c.post(http.StatusNotFound, "profiles/nope/move", form("to", "0"))
	c.wantRevisions(4)
}

func TestPublish(t *testing.T) {
	c := newFixture(t)
	r := c.do(http.MethodPost, "history/3/publish", nil)
	wantDone(t, c, r, "history", "Revision 3 is live")
	if got := c.liveID(); got != 3 {
		t.Errorf("live revision %d, want 3", got)
	}
	if c.publications() != 2 {
		t.Errorf("%d publications, want 2", c.publications())
	}
	// The feed serves it at once.
	feed := c.get("profile_list")
	if got := feed.Header.Get("X-Hubprofiles-Revision"); got != "3" {
		t.Errorf("profile_list serves revision %q, want 3", got)
	}
	// The history shows it.
	row := c.get("history").Find(`#history-list tbody tr`).First()
	if got := textOf(row.Find("td").First()); got != "3 live head" {
		t.Errorf("history row %q, want 3 live head", got)
	}

	// Rolling back is publishing an older one.
	wantDone(t, c, c.do(http.MethodPost, "history/2/publish", form("message", "roll back")), "history", "Revision 2 is live")
	if got := c.liveID(); got != 2 {
		t.Errorf("live revision %d after the roll back, want 2", got)
	}
	c.post(http.StatusNotFound, "history/99/publish", nil)
	c.post(http.StatusBadRequest, "history/x/publish", nil)
	if c.publications() != 3 {
		t.Errorf("%d publications, want 3", c.publications())
	}
	c.wantRevisions(3)
}

func TestRestore(t *testing.T) {
	c := newFixture(t)
	r := c.do(http.MethodPost, "history/1/restore", form("base", "3"))
	wantDone(t, c, r, "history", "Revision 4 is a new draft")
	wantWritten(t, c, 4, "restore revision 1")
	if n := len(c.head().Catalog.Profiles); n != 0 {
		t.Errorf("restored revision 1 has %d profiles, want none", n)
	}
	if c.liveID() != 2 {
		t.Error("restoring published something")
	}

	// A restore from an older page is refused.
	r = c.post(http.StatusConflict, "history/2/restore", form("base", "3"))
	wantLayout(t, r, "Someone else changed the catalog", "Someone else changed the catalog")
	c.post(http.StatusNotFound, "history/99/restore", form("base", "4"))
	c.wantRevisions(4)
}

func TestImport(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    func(t *testing.T) any
		publish bool
	}{
		{"pasted", func(*testing.T) any {
			return form("content", smallList, "action", "import", "base", "3", "message", "from the repo")
		}, false},
		{"uploaded and published", func(t *testing.T) any {
			return multipartForm(t, form("content", "", "action", "import", "base", "3", "message", "from the repo", "publish", "on"),
				map[string]string{"file": smallList})
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFixture(t)
			r := c.do(http.MethodPost, "import", tc.body(t))
			state := "as a draft"
			if tc.publish {
				state = "and published"
			}
			wantDone(t, c, r, "history", "Imported 2 profile(s) as revision 4, "+state)
			wantWritten(t, c, 4, "from the repo")
			var slugs []string
			for _, p := range c.head().Catalog.Profiles {
				slugs = append(slugs, p.Slug)
			}
			if len(slugs) != 2 || slugs[0] != "small" {
				t.Errorf("profiles after the import %q", slugs)
			}
			if got := c.profile("small").NodeGroup; got != "n2-highmem-4" {
				t.Errorf("the node selector did not become node group n2-highmem-4: %q", got)
			}
			if live := c.liveID(); (live == 4) != tc.publish {
				t.Errorf("live revision %d, publish %v", live, tc.publish)
			}
		})
	}

	// An import with errors that would publish is refused with its
	// findings; a stale one too.
	c := newFixture(t)
	r := c.post(http.StatusUnprocessableEntity, "import", form("content", badValues, "action", "import", "publish", "on", "base", "3"))
	if got := texts(r.Find("#import-form .notice.error"), "li code"); !slices.Contains(got, "mem_limit") {
		t.Errorf("findings %q", got)
	}
	r = c.post(http.StatusConflict, "import", form("content", smallList, "action", "import", "base", "2"))
	if got := r.text("#import-form .notice.error"); !strings.Contains(got, "Someone else changed the catalog") {
		t.Errorf("stale import: %q", got)
	}
	if got := value(t, r, "base"); got != "3" {
		t.Errorf("stale import: base %q, want the head 3 to import again", got)
	}
	c.wantRevisions(3)
}

func TestDefaultsSettings(t *testing.T) {
	c := newFixture(t)
	r := c.get("defaults-settings")
	wantLayout(t, r, "Hub defaults", "Hub defaults")
	if got := value(t, r, "image"); got != "" {
		t.Errorf("default image %q, want none", got)
	}
	if got := r.Find(`#image option`).Length(); got != 1+len(c.head().Catalog.Images) {
		t.Errorf("%d image options", got)
	}
	if got := r.Find("main table tbody tr").Length(); got < 2 {
		t.Errorf("effective settings: %d rows, want one per profile at least", got)
	}

	v := formValues(r.Find("#defaults-form form"), "", "")
	v.Set("image", "spare")
	v.Set("default_url", "other")
	v.Set("default_url_other", "/voila")
	c.post(http.StatusSeeOther, "defaults-settings", v) // where to: TestDefaultsSaveShowsThePage
	wantWritten(t, c, 4, "hub defaults: image spare, interface /voila")
	if d := c.head().Catalog.Defaults; d.Image != "spare" || d.DefaultURL != "/voila" {
		t.Errorf("defaults written: %+v", d)
	}
	r = c.get("defaults-settings")
	if value(t, r, "image") != "spare" || value(t, r, "default_url") != "other" || value(t, r, "default_url_other") != "/voila" {
		t.Errorf("the form does not show the saved defaults")
	}

	// A path that is not one is refused next to its field.
	r = c.post(http.StatusUnprocessableEntity, "defaults-settings", form("image", "", "default_url", "other", "default_url_other", "lab", "base", "4"))
	wantFieldError(t, r, "default_url", "")
	c.wantRevisions(4)
}

// TestDefaultsSaveShowsThePage: saving the hub defaults leads back to the
// defaults page with the flash, like every other form.
//
// Was a bug, fixed (ui/defaults.go, saveDefaults: h.done(c, "defaults", ...)): the page
// is at defaults-settings; {prefix}defaults is the server's public JSON
// feed of the live defaults (server/server.go), so a browser without htmx
// lands on JSON, or on a 503 until something is published. Fix:
// h.done(c, "defaults-settings", ...).
func TestDefaultsSaveShowsThePage(t *testing.T) {
	c := newFixture(t)
	r := c.do(http.MethodPost, "defaults-settings", form("image", "spare", "default_url", "/lab", "base", "3"))
	wantDone(t, c, r, "defaults-settings", "Saved the hub defaults")
}
