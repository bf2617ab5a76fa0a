package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/internal/roundtrip"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// TestCorpusRoundTripThroughAPI: the largest real list, imported with
// ?publish=true, is served by profile_list exactly as hubprofiles renders
// it, and equal to the source up to the normalisations DESIGN.md section 3
// allows.
func TestCorpusRoundTripThroughAPI(t *testing.T) {
	var path string
	for _, f := range corpus.Files(t, "json") {
		if filepath.Base(f) == "awi-ciroh__prod.json" {
			path = f
		}
	}
	if path == "" {
		t.Fatal("awi-ciroh__prod.json is not in the corpus")
	}
	roundTrip(t, path)
}

// TestCorpusThroughAPI does the same for every list of the corpus, JSON and
// YAML.
func TestCorpusThroughAPI(t *testing.T) {
	for _, path := range append(corpus.Files(t, "json"), corpus.Files(t, "yaml")...) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			roundTrip(t, path)
		})
	}
}

func roundTrip(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := profilelist.Parse(data, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := profilelist.Import(src.List, profilelist.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := profilelist.RenderJSON(cat)
	if err != nil {
		t.Fatal(err)
	}

	c := newTestServer(t)
	v := c.must(http.StatusOK, http.MethodPost, "api/v1/validate", data)
	if n := num(v.JSON, "errors"); n != 0 {
		t.Errorf("validate: %d errors in a list production runs: %s", n, v.Body)
	}
	// Eight lists carry settings editors may not add (init_containers,
	// volume_mounts, cmd: issue 11). Through the API they are refused,
	// naming each; once an operator has imported the list with the command
	// line, the same list goes through the API, and so do editors'
	// unrelated edits.
	operator := false
	if first := c.do(http.MethodPost, "api/v1/import?publish=true", data); first.Status != http.StatusCreated {
		e := errorOf(t, first, http.StatusUnprocessableEntity, "invalid")
		for _, f := range e.Error.Fields {
			if !strings.Contains(f.Message, "policy.editorOverrides") {
				t.Errorf("import refused for another reason than the override boundary: %s: %s", f.Path, f.Message)
			}
		}
		operatorImport(t, c, string(data))
		operator = true
	}
	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/import?publish=true", data)
	if dig(r.JSON, "revision", "live") != true || num(r.JSON, "profiles") != int64(len(src.List.([]any))) {
		t.Errorf("import = %s", r.Body)
	}
	pl := c.get("profile_list")
	if pl.Header.Get("X-Hubprofiles-Revision") != fmt.Sprint(num(r.JSON, "revision", "id")) {
		t.Errorf("profile_list serves revision %s", pl.Header.Get("X-Hubprofiles-Revision"))
	}
	got := orderedJSON(t, pl.Body)

	// Exactly what hubprofiles renders, key order included.
	if want := orderedJSON(t, rendered); !sameOrderedJSON(got, want) {
		t.Errorf("profile_list differs from the rendered list:\n got %s\nwant %s", pl.Body, rendered)
	}
	// The source, up to the allowed normalisations, with the order of
	// profiles, profile_options and choices kept.
	want := roundtrip.Normalized(src.List)
	if !ordered.Equal(got, want) {
		w, _ := ordered.MarshalIndent(want, " ")
		g, _ := ordered.MarshalIndent(got, " ")
		t.Errorf("profile_list is not the imported list:\n got %s\nwant %s", g, w)
	}
	if msg := sameOrder("", want, got); msg != "" {
		t.Error(msg)
	}
	// The same list in the revision and in the JSON export.
	rev := c.get(fmt.Sprintf("api/v1/revisions/%d", num(r.JSON, "revision", "id")))
	if !sameOrderedJSON(orderedJSON(t, mustMarshalOrdered(t, orderedJSON(t, rev.Body), "profile_list")), got) {
		t.Errorf("the revision's profile_list differs from what is served")
	}
	if !sameOrderedJSON(orderedJSON(t, c.get("api/v1/export?format=json").Body), got) {
		t.Errorf("export?format=json differs from what is served")
	}
	if operator {
		// An editor's unrelated edit of a profile carrying the operator's
		// settings: its description.
		var slug string
		for i := 0; slug == ""; i++ {
			pv := dig(c.get("api/v1/profiles").JSON, "profiles", i)
			if pv == nil {
				t.Fatal("no profile carries the settings the API refused")
			}
			if b, _ := json.Marshal(pv); strings.Contains(string(b), `"init_containers"`) || strings.Contains(string(b), `"volume_mounts"`) || strings.Contains(string(b), `"cmd"`) {
				slug = str(pv, "slug")
			}
		}
		p := c.get("api/v1/profiles/" + slug)
		var prof map[string]any
		if err := json.Unmarshal(p.Body, &prof); err != nil {
			t.Fatal(err)
		}
		prof["description"] = "Edited in the browser."
		c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/"+slug, prof, "If-Match", p.Header.Get("ETag"))
	}
}

// sameOrder says where the keys of profile_options or choices are in
// another order ("" when nowhere).
func sameOrder(path string, want, got any) string {
	switch w := want.(type) {
	case []any:
		g, _ := got.([]any)
		for i := range w {
			if i < len(g) {
				if msg := sameOrder(fmt.Sprintf("%s/%d", path, i), w[i], g[i]); msg != "" {
					return msg
				}
			}
		}
	case *ordered.Map:
		g, ok := got.(*ordered.Map)
		if !ok {
			return path + ": want an object"
		}
		if (strings.HasSuffix(path, "/profile_options") || strings.HasSuffix(path, "/choices")) && !slices.Equal(w.Keys(), g.Keys()) {
			return fmt.Sprintf("%s: key order %v, want %v", path, g.Keys(), w.Keys())
		}
		for _, k := range w.Keys() {
			wv, _ := w.Get(k)
			gv, _ := g.Get(k)
			if msg := sameOrder(path+"/"+k, wv, gv); msg != "" {
				return msg
			}
		}
	}
	return ""
}
