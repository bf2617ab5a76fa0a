package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// profileSlugs lists the slugs of GET profiles, in order.
func (c *client) profileSlugs() []string {
	c.t.Helper()
	var out []string
	for _, p := range list(c.get("api/v1/profiles").JSON, "profiles") {
		out = append(out, str(p, "slug"))
	}
	return out
}

// listSlugs lists the slugs of a rendered profile list, in order.
func listSlugs(pl []any) []string {
	var out []string
	for _, p := range pl {
		out = append(out, str(p, "slug"))
	}
	return out
}

func TestProfilesCRUDAndMove(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "py", "ref": scipyRef})

	for i, s := range []string{"a", "b", "c"} {
		p := map[string]any{"slug": s, "display_name": "Profile " + s, "image": "py"}
		// Raw JSON: the override's key order is part of what is sent.
		body := fmt.Sprintf(`{"slug": %q, "display_name": %q, "image": "py", "kubespawner_override": {"mem_limit": "2G", "cpu_limit": 1}}`, s, p["display_name"])
		r := c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", body)
		if got, want := r.Header.Get("Location"), prefix+"api/v1/profiles/"+s; got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
		if got, want := etag(t, r), fmt.Sprintf(`"%d"`, i+2); got != want {
			t.Errorf("ETag %s, want %s", got, want)
		}
		if got := str(r.JSON, "revision", "message"); got != "add profile "+s {
			t.Errorf("message %q", got)
		}
		for _, f := range []string{"slug", "display_name", "image"} {
			if got := str(r.JSON, "result", f); got != p[f] {
				t.Errorf("result.%s = %q, want %q", f, got, p[f])
			}
		}
		if got := str(r.JSON, "result", "kubespawner_override", "mem_limit"); got != "2G" {
			t.Errorf("result.kubespawner_override.mem_limit = %q", got)
		}
	}
	if got := c.profileSlugs(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("GET profiles order %v, want [a b c]", got)
	}
	g := c.get("api/v1/profiles/b")
	if str(g.JSON, "display_name") != "Profile b" || etag(t, g) != `"4"` {
		t.Errorf("GET profile b = %s (ETag %s)", g.Body, etag(t, g))
	}
	// Key order of the override is kept as written.
	if got := keysAt(orderedJSON(t, g.Body), "kubespawner_override"); !slices.Equal(got, []string{"mem_limit", "cpu_limit"}) {
		t.Errorf("override keys %v, want [mem_limit cpu_limit]", got)
	}

	// PUT replaces the whole tree and keeps the place; it needs If-Match.
	repl := map[string]any{"display_name": "Bee", "description": "replaced",
		"kubespawner_override": map[string]any{"mem_limit": "4G"}}
	errorOf(t, c.do(http.MethodPut, "api/v1/profiles/b", repl), http.StatusPreconditionRequired, "precondition_required")
	c.wantRevisions(4)
	r := c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/b", repl, "If-Match", `"4"`)
	if str(r.JSON, "result", "slug") != "b" || str(r.JSON, "result", "display_name") != "Bee" || dig(r.JSON, "result", "image") != nil {
		t.Errorf("PUT result %s: want slug b (from the URL), display_name Bee, no image", r.Body)
	}
	if got := str(r.JSON, "revision", "message"); got != "edit profile b" {
		t.Errorf("message %q", got)
	}
	// Rename through PUT, keeping the position.
	r = c.must(http.StatusOK, http.MethodPut, "api/v1/profiles/b", map[string]any{"slug": "bee", "display_name": "Bee"}, "If-Match", etag(t, r))
	if got := str(r.JSON, "result", "slug"); got != "bee" {
		t.Errorf("PUT with a new slug answered slug %q, want bee", got)
	}
	if got := c.profileSlugs(); !slices.Equal(got, []string{"a", "bee", "c"}) {
		t.Errorf("after rename: %v, want [a bee c]", got)
	}
	errorOf(t, c.do(http.MethodGet, "api/v1/profiles/b", nil), http.StatusNotFound, "not_found")

	// Move c to the front: GET profiles and the rendered list follow.
	r = c.must(http.StatusOK, http.MethodPost, "api/v1/profiles/c/move?publish=true", map[string]any{"position": 0})
	if got := str(r.JSON, "revision", "message"); got != "move profile c to position 0" {
		t.Errorf("message %q", got)
	}
	if dig(r.JSON, "result") != nil {
		t.Errorf("move has a result: %s", r.Body)
	}
	if got := c.profileSlugs(); !slices.Equal(got, []string{"c", "a", "bee"}) {
		t.Errorf("GET profiles after move %v, want [c a bee]", got)
	}
	if got := listSlugs(c.profileList()); !slices.Equal(got, []string{"c", "a", "bee"}) {
		t.Errorf("profile_list after move %v, want [c a bee]", got)
	}
	// A position past the end is the end.
	c.must(http.StatusOK, http.MethodPost, "api/v1/profiles/c/move", map[string]any{"position": 99})
	if got := c.profileSlugs(); !slices.Equal(got, []string{"a", "bee", "c"}) {
		t.Errorf("GET profiles after move to 99 %v, want [a bee c]", got)
	}

	// Delete.
	r = c.must(http.StatusOK, http.MethodDelete, "api/v1/profiles/a", nil)
	if got := str(r.JSON, "revision", "message"); got != "remove profile a" {
		t.Errorf("message %q", got)
	}
	if got := c.profileSlugs(); !slices.Equal(got, []string{"bee", "c"}) {
		t.Errorf("after delete %v, want [bee c]", got)
	}
	errorOf(t, c.do(http.MethodGet, "api/v1/profiles/a", nil), http.StatusNotFound, "not_found")
	c.wantRevisions(9)
}

func TestProfileWithOptionsRendersInOrder(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "py", "ref": scipyRef})
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "r", "ref": rRef})
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles?publish=true", map[string]any{
		"slug": "small", "display_name": "Small", "default": true,
		"options": []any{map[string]any{"key": "image", "display_name": "Image", "choices": []any{
			map[string]any{"key": "zeta", "display_name": "R", "image": "r"},
			map[string]any{"key": "alpha", "display_name": "Python", "default": true, "image": "py"},
		}, "unlisted_choice": map[string]any{"enabled": true, "display_name": "Other",
			"validation_regex": "^quay\\.io/.+:.+$", "kubespawner_override": map[string]any{"image": "{value}"}}}},
	})
	pl := c.get("profile_list")
	v := orderedJSON(t, pl.Body)
	if got := keysAt(v, "0", "profile_options", "image", "choices"); !slices.Equal(got, []string{"zeta", "alpha"}) {
		t.Errorf("choices order %s, want [zeta alpha] as the admin set it", got)
	}
	if got := str(pl.JSON, 0, "profile_options", "image", "choices", "alpha", "kubespawner_override", "image"); got != scipyRef {
		t.Errorf("choice alpha image %q, want %q", got, scipyRef)
	}
	if got := str(pl.JSON, 0, "profile_options", "image", "unlisted_choice", "kubespawner_override", "image"); got != "{value}" {
		t.Errorf("unlisted override %q", got)
	}
}

func TestProfileErrors(t *testing.T) {
	c := newTestServer(t)
	c.seed() // profiles small, gpu
	mem := func(v any) map[string]any {
		return map[string]any{"slug": "new", "display_name": "New", "kubespawner_override": map[string]any{"mem_limit": v}}
	}
	for _, tc := range []struct {
		name          string
		method, path  string
		body          any
		hdr           []string
		status        int
		code          string
		field, substr string
	}{
		{"mem_limit 4Gi", http.MethodPost, "api/v1/profiles", mem("4Gi"), nil, 422, "invalid", "/profiles/2/kubespawner_override/mem_limit", "4Gi"},
		{"mem_limit 4g", http.MethodPost, "api/v1/profiles", mem("4g"), nil, 422, "invalid", "/profiles/2/kubespawner_override/mem_limit", ""},
		{"mem_limit string number", http.MethodPost, "api/v1/profiles", mem("1024"), nil, 422, "invalid", "/profiles/2/kubespawner_override/mem_limit", ""},
		{"put mem_limit 4Gi keeps the index", http.MethodPut, "api/v1/profiles/small", mem("4Gi"), []string{"If-Match", `"1"`}, 422, "invalid", "/profiles/0/kubespawner_override/mem_limit", ""},
		{"unknown image", http.MethodPost, "api/v1/profiles", map[string]any{"slug": "new", "display_name": "New", "image": "nope"}, nil, 422, "invalid", "/profiles/2/image", "nope"},
		{"unknown node group", http.MethodPost, "api/v1/profiles", map[string]any{"slug": "new", "display_name": "New", "node_group": "nope"}, nil, 422, "invalid", "/profiles/2/node_group", "nope"},
		{"no display name", http.MethodPost, "api/v1/profiles", map[string]any{"slug": "new"}, nil, 422, "invalid", "/profiles/2", "display_name"},
		{"no slug", http.MethodPost, "api/v1/profiles", map[string]any{"display_name": "New"}, nil, 422, "invalid", "/slug", "slug"},
		{"duplicate slug", http.MethodPost, "api/v1/profiles", map[string]any{"slug": "gpu", "display_name": "GPU again"}, nil, 409, "exists", "", ""},
		{"rename onto another", http.MethodPut, "api/v1/profiles/small", map[string]any{"slug": "gpu", "display_name": "x"}, []string{"If-Match", `"1"`}, 409, "exists", "", ""},
		{"put without If-Match", http.MethodPut, "api/v1/profiles/small", map[string]any{"display_name": "x"}, nil, 428, "precondition_required", "", ""},
		{"put If-Match *", http.MethodPut, "api/v1/profiles/small", map[string]any{"display_name": "x"}, []string{"If-Match", "*"}, 428, "precondition_required", "", ""},
		{"put unknown", http.MethodPut, "api/v1/profiles/nope", map[string]any{"display_name": "x"}, []string{"If-Match", `"1"`}, 404, "not_found", "", ""},
		{"get unknown", http.MethodGet, "api/v1/profiles/nope", nil, nil, 404, "not_found", "", ""},
		{"delete unknown", http.MethodDelete, "api/v1/profiles/nope", nil, nil, 404, "not_found", "", ""},
		{"move unknown", http.MethodPost, "api/v1/profiles/nope/move", map[string]any{"position": 0}, nil, 404, "not_found", "", ""},
		{"move without position", http.MethodPost, "api/v1/profiles/gpu/move", map[string]any{}, nil, 400, "bad_request", "", ""},
		{"move position string", http.MethodPost, "api/v1/profiles/gpu/move", `{"position": "first"}`, nil, 400, "bad_request", "/position", ""},
		{"profile options of the wrong type", http.MethodPost, "api/v1/profiles", `{"slug": "x", "display_name": "x", "options": {}}`, nil, 400, "bad_request", "/options", ""},
		{"bad option key", http.MethodPost, "api/v1/profiles", map[string]any{"slug": "x", "display_name": "x",
			"options": []any{map[string]any{"key": "profile", "choices": []any{map[string]any{"key": "a", "display_name": "A"}}}}},
			nil, 422, "invalid", "/profiles/2/options/0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, tc.body, tc.hdr...)
			e := errorOf(t, r, tc.status, tc.code)
			if tc.field != "" && !hasFieldPrefix(e, tc.field, tc.substr) {
				t.Errorf("no field at %s (message containing %q): %+v", tc.field, tc.substr, e.Error.Fields)
			}
			c.wantRevisions(1)
		})
	}
}

// TestRefusedCreateHasNoLocation: a Location header says "created here";
// a refused create must not send one.
//
// BUG (api/profiles.go, createProfile): the Location header is set before
// h.write runs, so a 409 or 422 still carries it. Set it in the view
// callback, as createImage does.
func TestRefusedCreateHasNoLocation(t *testing.T) {
	c := newTestServer(t)
	c.seed()
	for _, tc := range []struct {
		path   string
		body   any
		status int
	}{
		{"api/v1/profiles", map[string]any{"slug": "gpu", "display_name": "again"}, http.StatusConflict},
		{"api/v1/profiles", map[string]any{"slug": "new", "display_name": "New", "image": "nope"}, http.StatusUnprocessableEntity},
		{"api/v1/images", map[string]any{"slug": "r-notebook", "ref": rRef}, http.StatusConflict},
		{"api/v1/images", map[string]any{"slug": "new", "ref": "has space:1"}, http.StatusUnprocessableEntity},
	} {
		r := c.do(http.MethodPost, tc.path, tc.body)
		if r.Status != tc.status {
			t.Errorf("POST %s: status %d, want %d", tc.path, r.Status, tc.status)
		}
		if loc := r.Header.Get("Location"); loc != "" {
			t.Errorf("POST %s refused with %d but answers Location: %s", tc.path, r.Status, loc)
		}
	}
	c.wantRevisions(1)
}

// hasFieldPrefix reports whether e has a field at path or below it whose
// message contains substr.
func hasFieldPrefix(e apiError, path, substr string) bool {
	for _, f := range e.Error.Fields {
		if (f.Path == path || strings.HasPrefix(f.Path, path+"/")) && strings.Contains(f.Message, substr) {
			return true
		}
	}
	return false
}

// keysAt walks an ordered value by object keys and array indexes (as
// strings) and returns the keys of the object it ends at, in order.
func keysAt(v any, path ...string) []string {
	for _, k := range path {
		switch t := v.(type) {
		case *ordered.Map:
			v, _ = t.Get(k)
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	m, _ := v.(*ordered.Map)
	return m.Keys()
}

// TestSlugsAreAddressable: whatever slug the API accepts, the resource can
// then be read and removed at the Location it answered (or the slug is
// refused with 422 naming it).
//
// BUG (api/profiles.go, api/images.go, api/checks.go): path parameters are
// used as Echo gives them, still percent-encoded. A profile slug with "/" is
// accepted (only a warning: KubeSpawner takes it, DESIGN.md section 3 rule
// 2), and Location is now escaped (".../profiles/gpu%2Ft4"), but GET, PUT,
// DELETE and move of that Location look up "gpu%2Ft4" and answer 404.
// Fix: one helper, slugParam(c) = url.PathUnescape(c.Param("slug")), used
// by every handler.
func TestSlugsAreAddressable(t *testing.T) {
	for _, tc := range []struct {
		collection string
		body       map[string]any
	}{
		{"profiles", map[string]any{"slug": "gpu/t4", "display_name": "GPU"}},
		{"images", map[string]any{"slug": "a/b", "ref": scipyRef}},
		{"images", map[string]any{"slug": "python 3", "ref": scipyRef}},
	} {
		slug := tc.body["slug"].(string)
		t.Run(tc.collection+" "+slug, func(t *testing.T) {
			c := newTestServer(t)
			r := c.do(http.MethodPost, "api/v1/"+tc.collection, tc.body)
			if r.Status == http.StatusUnprocessableEntity {
				e := errorOf(t, r, http.StatusUnprocessableEntity, "invalid")
				if !hasFieldPrefix(e, "/"+tc.collection, "slug") {
					t.Errorf("refused without saying the slug is the problem: %+v", e.Error.Fields)
				}
				return
			}
			if r.Status != http.StatusCreated {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			want := prefix + "api/v1/" + tc.collection + "/" + url.PathEscape(slug)
			if got := r.Header.Get("Location"); got != want {
				t.Errorf("Location %q, want %q", got, want)
			}
			g := c.do(http.MethodGet, "api/v1/"+tc.collection+"/"+url.PathEscape(slug), nil)
			if g.Status != http.StatusOK || str(g.JSON, "slug") != slug {
				t.Errorf("GET the created %s %q: %d %s", tc.collection, slug, g.Status, g.Body)
			}
			if d := c.do(http.MethodDelete, "api/v1/"+tc.collection+"/"+url.PathEscape(slug), nil); d.Status != http.StatusOK {
				t.Errorf("DELETE the created %s %q: %d %s", tc.collection, slug, d.Status, d.Body)
			}
		})
	}
}
