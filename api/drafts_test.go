package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
)

// historyList reads one list of the corpus history.
func historyList(t *testing.T, hub, date string) []byte {
	t.Helper()
	files := corpus.History(t)[hub]
	for _, f := range files {
		if filepath.Base(f) == date+".json" {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	t.Fatalf("%s/%s.json is not in the corpus history", hub, date)
	return nil
}

// findField returns the first field whose path ends with suffix and whose
// message says says.
func findField(fs []any, suffix, says string) map[string]any {
	for _, f := range fs {
		m := f.(map[string]any)
		if strings.HasSuffix(m["path"].(string), suffix) && strings.Contains(m["message"].(string), says) {
			return m
		}
	}
	return nil
}

// TestImportBrokenListKeepsDraft: the two broken production lists import
// as drafts that name what is wrong, and cannot be published until fixed.
func TestImportBrokenListKeepsDraft(t *testing.T) {
	for _, tc := range []struct {
		hub, date  string
		file, path string // where the error is, in the file and in the catalog
		says       string // what the message must say
	}{
		{"cloudbank__gpu-demo", "2026-07-01", "/kubespawner_override/name", "/kubespawner_override/name", "read-only property of the spawner"},
		{"neurohackademy__prod", "2025-07-01", "/choices/unlisted_choice", "/choices/3", "written inside choices"},
	} {
		t.Run(tc.hub, func(t *testing.T) {
			// Editors may write every setting here (policy.editorOverrides: ["*"]):
			// what is measured is whether the API can express a change at all;
			// TestDefaultBoundaryOnRealHistory (edit) measures which real changes
			// need an operator under the default policy.
			c := newTestServer(t, withInfra(allSettingsForEditors))
			data := historyList(t, tc.hub, tc.date)

			// Publishing at import refuses it whole, pointing into the file.
			r := c.must(http.StatusUnprocessableEntity, http.MethodPost, "api/v1/import?publish=true", data)
			if f := findField(list(r.JSON, "error", "fields"), tc.file, tc.says); f == nil {
				t.Errorf("import?publish=true: want an error at …%s saying %q: %s", tc.file, tc.says, r.Body)
			}
			if n := c.revisions(); n != 0 {
				t.Fatalf("a refused import wrote %d revision(s)", n)
			}

			// Without publish it is kept, with its errors listed.
			r = c.must(http.StatusCreated, http.MethodPost, "api/v1/import", data)
			if dig(r.JSON, "publishable") != false {
				t.Errorf("publishable = %v, want false", dig(r.JSON, "publishable"))
			}
			f := findField(list(r.JSON, "errors"), tc.path, tc.says)
			if f == nil || f["severity"] != "error" {
				t.Fatalf("want an error at …%s saying %q: %s", tc.path, tc.says, r.Body)
			}
			id := num(r.JSON, "revision", "id")

			// Publishing refuses it, and says why.
			p := c.must(http.StatusUnprocessableEntity, http.MethodPost, fmt.Sprintf("api/v1/revisions/%d/publish", id), nil)
			if findField(list(p.JSON, "error", "fields"), tc.path, tc.says) == nil {
				t.Errorf("publish refused without naming the error: %s", p.Body)
			}
			if pl := c.do(http.MethodGet, "profile_list", nil); pl.Status == http.StatusOK && strings.Contains(string(pl.Body), "display_name") {
				t.Errorf("the broken draft is served: %s", pl.Body)
			}

			// An edit that adds no error of its own is accepted on the
			// draft, which still lists its errors.
			w := c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]string{
				"slug": "extra-image", "display_name": "Extra", "ref": "quay.io/jupyter/base-notebook:2024-01-01"})
			if findField(list(w.JSON, "errors"), tc.path, tc.says) == nil {
				t.Errorf("the edited draft no longer lists its error: %s", w.Body)
			}
			// One that adds an error is refused.
			c.must(http.StatusUnprocessableEntity, http.MethodPost, "api/v1/profiles", map[string]any{
				"slug": "bad", "display_name": "Bad", "kubespawner_override": map[string]any{"mem_limit": "4Gi"}})
		})
	}
}

// TestFixedDraftPublishes: fixing the broken choice (dropping the
// read-only name it sets) makes the draft publishable.
func TestFixedDraftPublishes(t *testing.T) {
	// Editors may write every setting here (policy.editorOverrides: ["*"]):
	// what is measured is whether the API can express a change at all;
	// TestDefaultBoundaryOnRealHistory (edit) measures which real changes
	// need an operator under the default policy.
	c := newTestServer(t, withInfra(allSettingsForEditors))
	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/import", historyList(t, "cloudbank__gpu-demo", "2026-07-01"))
	f := findField(list(r.JSON, "errors"), "/kubespawner_override/name", "read-only")
	if f == nil {
		t.Fatalf("no error at the choice's name: %s", r.Body)
	}
	// /profiles/P/options/O/choices/C/kubespawner_override/name
	var pi, oi, ci int
	if _, err := fmt.Sscanf(f["path"].(string), "/profiles/%d/options/%d/choices/%d/", &pi, &oi, &ci); err != nil {
		t.Fatalf("path %q: %v", f["path"], err)
	}
	slug := str(c.get("api/v1/profiles").JSON, "profiles", pi, "slug")
	got := c.get("api/v1/profiles/" + slug)
	profile := got.JSON.(map[string]any)
	ov := dig(profile, "options", oi, "choices", ci, "kubespawner_override").(map[string]any)
	delete(ov, "name")
	w := c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/"+slug, profile, "If-Match", etag(t, got))
	if len(list(w.JSON, "errors")) != 0 {
		t.Fatalf("the fixed draft still has errors: %s", w.Body)
	}
	c.must(http.StatusOK, http.MethodPost, fmt.Sprintf("api/v1/revisions/%d/publish", num(w.JSON, "revision", "id")), nil)
}
