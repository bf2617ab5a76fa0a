package api_test

// Security tests of the API (issue 11, items 5 and 8): what a script with an
// editor's token could send to make the service unreadable or the hub's
// spawn form huge, refused with the field and the limit named.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/store"
)

// hugeList is a profile list of n minimal profiles, as JSON.
func hugeList(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"display_name":"p%d","kubespawner_override":{"cpu_limit":1}}`, i)
	}
	b.WriteString("]")
	return b.String()
}

func TestSecurityHugeListIsRefusedByImport(t *testing.T) {
	c := newTestServer(t)
	before := c.revisions()
	list := hugeList(60_000)
	if int64(len(list)) > model.DefaultLimits.FileBytes {
		t.Fatalf("the test list is %d bytes: it must pass the body limit to reach the list limit", len(list))
	}
	r := c.do(http.MethodPost, "api/v1/import?publish=true", list)
	e := errorOf(t, r, http.StatusUnprocessableEntity, "invalid")
	want := fmt.Sprintf("the list is 60000 profiles; the limit is %d", model.DefaultLimits.Profiles)
	if !e.hasField("", want) {
		t.Errorf("the refusal does not say %q: %s", want, r.Body)
	}
	if got := c.revisions(); got != before {
		t.Errorf("%d revisions after a refused import, want %d", got, before)
	}
	if r := c.do(http.MethodGet, "profile_list", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("profile_list: status %d, want 503 (nothing was published)", r.Status)
	}
	// The same list through validate: the same limit.
	r = c.do(http.MethodPost, "api/v1/validate", list)
	if !strings.Contains(string(r.Body), want) {
		t.Errorf("validate does not say %q: %.500s", want, r.Body)
	}
}

func TestSecurityLongFieldIsRefusedWithItsLimit(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import", string(examples.ProfileList))
	before := c.revisions()
	for _, tc := range []struct {
		body any
		path string
		want string
	}{
		{map[string]any{"slug": "long", "display_name": strings.Repeat("x", 60_000)}, "/display_name",
			"display_name is 60000 characters; the limit is 200"},
		{map[string]any{"slug": "desc", "display_name": "Desc", "description": strings.Repeat("x", 5000)}, "/description",
			"description is 5000 characters; the limit is 4000"},
		{map[string]any{"slug": "ov", "display_name": "Ov", "kubespawner_override": map[string]any{"environment": map[string]any{"BIG": strings.Repeat("x", 70_000)}}},
			"/kubespawner_override", "the limit is 65536"},
	} {
		r := c.do(http.MethodPost, "api/v1/profiles", tc.body)
		e := errorOf(t, r, http.StatusUnprocessableEntity, "invalid")
		found := false
		for _, f := range e.Error.Fields {
			found = found || (strings.HasSuffix(f.Path, tc.path) && strings.Contains(f.Message, tc.want))
		}
		if !found {
			t.Errorf("no field ending in %s saying %q: %.600s", tc.path, tc.want, r.Body)
		}
	}
	if got := c.revisions(); got != before {
		t.Errorf("%d revisions after refused writes, want %d", got, before)
	}
}

func TestSecurityNULAndInvalidUTF8InJSONAreRefused(t *testing.T) {
	c := newTestServer(t)
	before := c.revisions()
	for name, body := range map[string]string{
		"NUL":         "[\n{\"display_name\": \"Small\\u0000\", \"slug\": \"small\"}]",
		"invalid UTF": "[\n{\"display_name\": \"Sm\xffall\", \"slug\": \"small\"}]",
	} {
		r := c.do(http.MethodPost, "api/v1/import", body)
		e := errorOf(t, r, http.StatusBadRequest, "bad_request")
		if !strings.Contains(e.Error.Message, "line 2, column") {
			t.Errorf("%s: the error does not say where: %q", name, e.Error.Message)
		}
		if !strings.Contains(e.Error.Message, `\u0000`) && !strings.Contains(e.Error.Message, "UTF-8") {
			t.Errorf("%s: the error does not say what: %q", name, e.Error.Message)
		}
	}
	if got := c.revisions(); got != before {
		t.Errorf("%d revisions after refused imports, want %d", got, before)
	}
}

func TestSecurityHugeBodyIsRefused(t *testing.T) {
	c := newTestServer(t)
	r := c.do(http.MethodPost, "api/v1/import", strings.Repeat(" ", int(model.DefaultLimits.FileBytes)+1))
	e := errorOf(t, r, http.StatusRequestEntityTooLarge, "too_large")
	if !strings.Contains(e.Error.Message, fmt.Sprint(model.DefaultLimits.FileBytes)) {
		t.Errorf("the error does not name the limit: %q", e.Error.Message)
	}
	r = c.do(http.MethodPost, "api/v1/profiles", map[string]any{"slug": "x", "description": strings.Repeat("x", int(model.DefaultLimits.RequestBody))})
	errorOf(t, r, http.StatusRequestEntityTooLarge, "too_large")
}

// An unreadable revision (written by an older version, or behind the
// writer's back) is refused clearly by restore and export, and the feed
// keeps the newest readable publication.
func TestSecurityUnreadableRevisionIsRefusedByRestoreAndExport(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import?publish=true", string(examples.ProfileList))
	good := c.get("profile_list").Body
	goodID := c.revisions()

	ctx := context.Background()
	doc := `{"schema_version":1,"images":[],"node_groups":[],"profiles":[{"slug":"big","display_name":"Big","description":"` +
		strings.Repeat("x", 5_000_000) + `"}],"defaults":{}}`
	bad, err := c.store.Append(ctx, store.NewRevision{Base: goodID, Catalog: []byte(doc), ProfileList: []byte(`[]`),
		Author: "old-version", Message: "written by an older version", Publish: true})
	if err != nil {
		t.Fatalf("writing the unreadable revision through the store: %v", err)
	}
	if err := c.srv.Refresh(ctx); err != nil {
		t.Fatalf("Refresh with an unreadable live revision: %v", err)
	}
	if got := c.get("profile_list").Body; string(got) != string(good) {
		t.Errorf("profile_list changed to %.200s, want the last readable live list", got)
	}
	for _, req := range []struct{ method, path string }{
		{http.MethodPost, fmt.Sprintf("api/v1/revisions/%d/restore", bad.ID)},
		{http.MethodGet, fmt.Sprintf("api/v1/export?revision=%d&format=document", bad.ID)},
	} {
		r := c.do(req.method, req.path, nil)
		e := errorOf(t, r, http.StatusConflict, "unreadable")
		if !strings.Contains(e.Error.Message, fmt.Sprintf("revision %d", bad.ID)) || !strings.Contains(e.Error.Message, "4194304") {
			t.Errorf("%s %s: the error should name the revision and the limit: %q", req.method, req.path, e.Error.Message)
		}
	}
	// A new write goes on from the newest readable revision, replacing the
	// unreadable head.
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles",
		map[string]any{"slug": "after", "display_name": "After", "kubespawner_override": map[string]any{"image": "quay.io/jupyter/base-notebook:2025-06-02"}})
	r := c.get("api/v1/profiles")
	if !strings.Contains(string(r.Body), `"after"`) || !strings.Contains(string(r.Body), `"small"`) {
		t.Errorf("after the write the profiles are %.500s, want the readable ones plus \"after\"", r.Body)
	}
}
