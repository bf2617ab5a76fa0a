package api_test

// Issue 11, item 1, through the API: markup that KubeSpawner's spawn form
// would print unescaped is refused with 422 and the field's path, and
// nothing is written or published.

import (
	"net/http"
	"strings"
	"testing"
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
