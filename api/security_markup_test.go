package api_test

// Issue 11, item 1, through the API: markup that KubeSpawner's spawn form
// would print unescaped is refused with 422 and the field's path, and
// nothing is written or published.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/store"
)

func TestSecurityScriptInDisplayNameIsRefusedOnImportAndPublish(t *testing.T) {
	c := newTestServer(t)
	// The reproduction, which answered 201 and served the script.
	body := `[{"display_name":"A <script>alert(1)</script>","kubespawner_override":{"image":"quay.io/jupyter/base-notebook:2025-06-02"}}]`
	e := errorOf(t, c.do(http.MethodPost, "api/v1/import?publish=true", body), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/0/display_name", "markup (<script>)") {
		t.Errorf("fields %s, want /0/display_name naming <script>", e.Error.Fields)
	}
	c.wantRevisions(0)
	if c.publications() != 0 {
		t.Errorf("a refused import published")
	}
	errorOf(t, c.do(http.MethodGet, "profile_list", nil), http.StatusServiceUnavailable, "nothing_published")
}

func TestSecurityQuoteInValidationMessageIsRefusedOnImport(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/1/publish", nil)
	body := `[{"display_name": "A", "profile_options": {"image": {"display_name": "Image",
		"choices": {"base": {"display_name": "Base", "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02"}}},
		"unlisted_choice": {"enabled": true, "validation_message": "x\" autofocus onfocus=\"alert(1)",
			"kubespawner_override": {"image": "{value}"}}}}}]`
	e := errorOf(t, c.do(http.MethodPost, "api/v1/import?publish=true", body), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/0/profile_options/image/unlisted_choice/validation_message", `a double quote (")`) {
		t.Errorf("fields %s, want the validation_message's path", e.Error.Fields)
	}
	c.wantRevisions(1)
	if got := c.get("profile_list").Header.Get("X-Hubprofiles-Revision"); got != "1" {
		t.Errorf("profile_list serves revision %q, want 1 still", got)
	}
}

func TestSecurityMarkupInProfileEditIsRefused(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	p := c.get("api/v1/profiles/small")
	var prof map[string]any
	if m, ok := p.JSON.(map[string]any); ok {
		prof = m
	} else {
		t.Fatalf("GET profile: %s", p.Body)
	}
	prof["description"] = `2 GB</p><img src=x onerror="alert(document.cookie)">`
	e := errorOf(t, c.do(http.MethodPut, "api/v1/profiles/small", prof, "If-Match", etag(t, p)), http.StatusUnprocessableEntity, "invalid")
	found := false
	for _, f := range e.Error.Fields {
		if strings.HasSuffix(f.Path, "/description") && strings.Contains(f.Message, "markup (<img") && f.Severity == "error" {
			found = true
		}
	}
	if !found {
		t.Errorf("fields %s, want an error at the profile's description naming <img", e.Error.Fields)
	}
	c.wantRevisions(1)

	// The allowed subset is saved as written.
	prof["description"] = `2 GB</p>` + "\n" + `<p>See <a href="https://example.org/docs">the docs</a>`
	r := c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/small", prof, "If-Match", etag(t, p))
	if got := str(r.JSON, "result", "description"); got != prof["description"] {
		t.Errorf("description saved as %q", got)
	}
}

func TestSecurityOldRevisionWithMarkupCannotBePublishedOrRestored(t *testing.T) {
	// A revision written before display text was checked (straight to the
	// store here): publishing or restoring it runs the same check.
	c := newTestServer(t)
	c.seed()
	list, err := ordered.DecodeJSON([]byte(`[{"display_name": "Old", "slug": "old", "description": "<script>alert(1)</script>",
		"kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02"}}]`), 64)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := profilelist.Import(list, profilelist.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := profilelist.MarshalDocument(cat)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := ordered.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.store.Append(context.Background(), store.NewRevision{Base: 1, Catalog: doc, ProfileList: rendered, Author: "old", Message: "before the check"}); err != nil {
		t.Fatal(err)
	}
	c.wantRevisions(2)

	e := errorOf(t, c.do(http.MethodPost, "api/v1/revisions/2/publish", nil), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/0/description", "markup (<script>)") {
		t.Errorf("publish: fields %s, want the description's path", e.Error.Fields)
	}
	if c.publications() != 0 {
		t.Errorf("the revision was published")
	}
	// A clean head on top (revision 1's content again), so that restoring
	// revision 2 would be a change, not a write that changes nothing.
	first, err := c.store.Get(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.store.Append(context.Background(), store.NewRevision{Base: 2, Catalog: first.Catalog, ProfileList: first.ProfileList, Author: "t", Message: "clean again"}); err != nil {
		t.Fatal(err)
	}
	e = errorOf(t, c.do(http.MethodPost, "api/v1/revisions/2/restore", nil, "If-Match", `"3"`), http.StatusUnprocessableEntity, "invalid")
	if len(e.Error.Fields) == 0 {
		t.Errorf("restore: no field in %+v", e)
	}
	c.wantRevisions(3)
}
