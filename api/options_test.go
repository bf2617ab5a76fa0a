package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// choiceKeys lists the choice keys of an option, as GET shows them.
func (c *client) choiceKeys(profile, option string) []string {
	c.t.Helper()
	var out []string
	for _, ch := range list(c.get("api/v1/profiles/"+profile+"/options/"+option).JSON, "choices") {
		out = append(out, str(ch, "key"))
	}
	return out
}

// renderedOverride is a choice's kubespawner_override in the published
// profile_list, with its key order.
func (c *client) renderedOverride(t *testing.T, profile int, option, choice string) *ordered.Map {
	t.Helper()
	v := orderedJSON(t, c.get("profile_list").Body)
	p := v.([]any)[profile].(*ordered.Map)
	opts, _ := p.Get("profile_options")
	o, _ := opts.(*ordered.Map).Get(option)
	chs, _ := o.(*ordered.Map).Get("choices")
	ch, ok := chs.(*ordered.Map).Get(choice)
	if !ok {
		t.Fatalf("no choice %s in the profile_list", choice)
	}
	ov, _ := ch.(*ordered.Map).Get("kubespawner_override")
	m, _ := ov.(*ordered.Map)
	return m
}

// An admin adds a size to a profile one choice at a time, with typed sizes,
// and never sends the whole profile.
func TestChoiceWritesWithTypedSizes(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "py", "ref": scipyRef})
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", map[string]any{
		"slug": "cpu", "display_name": "CPU", "image": "py",
		"options": []any{map[string]any{"key": "size", "display_name": "Size", "choices": []any{
			map[string]any{"key": "small", "display_name": "Small", "default": true, "mem_guarantee": "1G", "mem_limit": "2G", "cpu_limit": 1},
		}}},
	})
	c.wantRevisions(2)

	// Add a choice: typed sizes, a GPU and environment; sizes stay as written.
	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles/cpu/options/size/choices?publish=true", `{
		"key": "large", "display_name": "Large", "mem_guarantee": 4294967296, "mem_limit": "4.5G",
		"cpu_guarantee": 0.5, "cpu_limit": 2, "gpu": {"resource": "nvidia.com/gpu", "count": "1"},
		"environment": {"OMP_NUM_THREADS": "2"},
		"kubespawner_override": {"node_selector": {"node.kubernetes.io/instance-type": "g4dn.xlarge"}}}`)
	if got, want := r.Header.Get("Location"), prefix+"api/v1/profiles/cpu/options/size/choices/large"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if str(r.JSON, "result", "mem_limit") != "4.5G" || num(r.JSON, "result", "cpu_limit") != 2 {
		t.Errorf("result %s: want the sizes as sent", r.Body)
	}
	if got := str(r.JSON, "revision", "message"); got != "profile cpu, option size: add choice large" {
		t.Errorf("message %q", got)
	}
	ov := c.renderedOverride(t, 0, "size", "large")
	if got := ov.Keys(); !slices.Equal(got, []string{"environment", "mem_guarantee", "mem_limit", "cpu_guarantee", "cpu_limit", "extra_resource_limits", "node_selector"}) {
		t.Errorf("rendered override keys %v", got)
	}
	b, _ := ordered.Marshal(ov)
	if want := `{"environment":{"OMP_NUM_THREADS":"2"},"mem_guarantee":4294967296,"mem_limit":"4.5G","cpu_guarantee":0.5,"cpu_limit":2,"extra_resource_limits":{"nvidia.com/gpu":"1"},"node_selector":{"node.kubernetes.io/instance-type":"g4dn.xlarge"}}`; string(b) != want {
		t.Errorf("rendered override\n%s\nwant\n%s", b, want)
	}

	// Change one size with a merge patch: the rest of the choice stays.
	head := etag(t, c.get("api/v1/profiles/cpu/options/size/choices/large"))
	r = c.must(http.StatusOK, http.MethodPatch, "api/v1/profiles/cpu/options/size/choices/large?publish=true",
		`{"mem_limit": "8G", "environment": {"EXTRA": "x"}}`, "If-Match", head)
	if str(r.JSON, "result", "mem_limit") != "8G" || str(r.JSON, "result", "mem_guarantee") != "" && num(r.JSON, "result", "mem_guarantee") != 4294967296 {
		t.Errorf("patched choice %s", r.Body)
	}
	if str(r.JSON, "result", "environment", "OMP_NUM_THREADS") != "2" || str(r.JSON, "result", "environment", "EXTRA") != "x" {
		t.Errorf("environment after patch %v, want both variables", dig(r.JSON, "result", "environment"))
	}
	if v, _ := c.renderedOverride(t, 0, "size", "large").Get("mem_limit"); v != "8G" {
		t.Errorf("served mem_limit %v, want 8G", v)
	}
	// The same If-Match again is stale: the head moved.
	errorOf(t, c.do(http.MethodPatch, "api/v1/profiles/cpu/options/size/choices/large", `{"mem_limit": "9G"}`, "If-Match", head), http.StatusPreconditionFailed, "stale")

	// A guarantee above its limit is refused: Kubernetes would refuse the pod.
	e := errorOf(t, c.do(http.MethodPatch, "api/v1/profiles/cpu/options/size/choices/large", `{"mem_guarantee": "16G"}`), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/0/options/0/choices/1", "mem_guarantee (16 GiB) is above mem_limit (8 GiB)") {
		t.Errorf("fields %v, want the guarantee above the limit named", e.Error.Fields)
	}
	// Memory in Kubernetes units is not KubeSpawner's: refused with where.
	e = errorOf(t, c.do(http.MethodPatch, "api/v1/profiles/cpu/options/size/choices/large", `{"mem_limit": "8Gi"}`), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/0/options/0/choices/1/mem_limit", "8Gi") {
		t.Errorf("fields %v, want mem_limit named", e.Error.Fields)
	}
	// Setting a size both ways is refused.
	e = errorOf(t, c.do(http.MethodPatch, "api/v1/profiles/cpu/options/size/choices/large", `{"kubespawner_override": {"mem_limit": "1G"}}`), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/0/options/0/choices/1/kubespawner_override/mem_limit", "set twice") {
		t.Errorf("fields %v", e.Error.Fields)
	}
	// A field the model does not know is refused, not dropped.
	errorOf(t, c.do(http.MethodPatch, "api/v1/profiles/cpu/options/size/choices/large", `{"memory": "8G"}`), http.StatusBadRequest, "bad_request")

	// Duplicate: every setting comes along, the copy is not the default.
	r = c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles/cpu/options/size/choices/small/duplicate",
		map[string]any{"key": "small-gpu", "display_name": "Small with GPU"})
	if got, want := r.Header.Get("Location"), prefix+"api/v1/profiles/cpu/options/size/choices/small-gpu"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if str(r.JSON, "result", "mem_limit") != "2G" || dig(r.JSON, "result", "default") != nil || str(r.JSON, "result", "display_name") != "Small with GPU" {
		t.Errorf("duplicate %s", r.Body)
	}
	if got := c.choiceKeys("cpu", "size"); !slices.Equal(got, []string{"small", "small-gpu", "large"}) {
		t.Errorf("choices %v, want the copy right after its original", got)
	}
	errorOf(t, c.do(http.MethodPost, "api/v1/profiles/cpu/options/size/choices/small/duplicate", map[string]any{"key": "large"}), http.StatusConflict, "exists")

	// Move and remove.
	c.must(http.StatusOK, http.MethodPost, "api/v1/profiles/cpu/options/size/choices/large/move", map[string]any{"position": 0})
	if got := c.choiceKeys("cpu", "size"); !slices.Equal(got, []string{"large", "small", "small-gpu"}) {
		t.Errorf("after move %v", got)
	}
	c.must(http.StatusOK, http.MethodDelete, "api/v1/profiles/cpu/options/size/choices/small-gpu", nil)
	if got := c.choiceKeys("cpu", "size"); !slices.Equal(got, []string{"large", "small"}) {
		t.Errorf("after remove %v", got)
	}
	errorOf(t, c.do(http.MethodDelete, "api/v1/profiles/cpu/options/size/choices/small-gpu", nil), http.StatusNotFound, "not_found")
	errorOf(t, c.do(http.MethodGet, "api/v1/profiles/cpu/options/nope/choices/small", nil), http.StatusNotFound, "not_found")
}

// Options are added, changed, copied, moved and removed one at a time, and
// a whole profile is copied with every setting, raw override included.
func TestOptionWritesAndDuplicates(t *testing.T) {
	c := newTestServer(t)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "py", "ref": scipyRef})
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", `{"slug": "p", "display_name": "P", "default": true,
		"mem_limit": "2G", "kubespawner_override": {"image_pull_policy": "Always"}, "extra": {"allowed_teams": ["a:b"]}}`)

	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles/p/options", map[string]any{
		"key": "image", "display_name": "Image", "choices": []any{map[string]any{"key": "py", "display_name": "Python", "image": "py"}}})
	if got, want := r.Header.Get("Location"), prefix+"api/v1/profiles/p/options/image"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles/p/options", map[string]any{"key": "size", "display_name": "Size",
		"choices": []any{map[string]any{"key": "s", "display_name": "S", "mem_limit": "1G"}}})
	errorOf(t, c.do(http.MethodPost, "api/v1/profiles/p/options", map[string]any{"key": "size"}), http.StatusConflict, "exists")
	errorOf(t, c.do(http.MethodPost, "api/v1/profiles/p/options", map[string]any{"display_name": "x"}), http.StatusUnprocessableEntity, "invalid")

	r = c.must(http.StatusOK, http.MethodPatch, "api/v1/profiles/p/options/size", `{"display_name": "Machine size"}`)
	if str(r.JSON, "result", "display_name") != "Machine size" || str(r.JSON, "result", "key") != "size" {
		t.Errorf("patched option %s", r.Body)
	}
	c.must(http.StatusOK, http.MethodPost, "api/v1/profiles/p/options/size/move", map[string]any{"position": 0})
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles/p/options/image/duplicate", map[string]any{"key": "image2"})
	var keys []string
	for _, o := range list(c.get("api/v1/profiles/p").JSON, "options") {
		keys = append(keys, str(o, "key"))
	}
	if !slices.Equal(keys, []string{"size", "image", "image2"}) {
		t.Errorf("options %v, want [size image image2]", keys)
	}
	if got := c.choiceKeys("p", "image2"); !slices.Equal(got, []string{"py"}) {
		t.Errorf("copied option's choices %v", got)
	}
	c.must(http.StatusOK, http.MethodDelete, "api/v1/profiles/p/options/image2", nil)

	// A profile copy carries the raw override, extra keys and the typed
	// sizes; it is not the default.
	r = c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles/p/duplicate", map[string]any{"slug": "p2", "display_name": "P two"})
	if got, want := r.Header.Get("Location"), prefix+"api/v1/profiles/p2"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	res := dig(r.JSON, "result")
	if str(res, "kubespawner_override", "image_pull_policy") != "Always" || str(res, "mem_limit") != "2G" ||
		len(list(res, "extra", "allowed_teams")) != 1 || dig(res, "default") != nil {
		t.Errorf("duplicate %s", r.Body)
	}
	if got := c.profileSlugs(); !slices.Equal(got, []string{"p", "p2"}) {
		t.Errorf("profiles %v", got)
	}
	errorOf(t, c.do(http.MethodPost, "api/v1/profiles/p/duplicate", map[string]any{"key": "p3"}), http.StatusBadRequest, "bad_request")

	// PATCH on a profile changes one size and nothing else.
	r = c.must(http.StatusOK, http.MethodPatch, "api/v1/profiles/p2", `{"mem_limit": "4G", "kubespawner_override": {"image_pull_policy": null}}`)
	if str(r.JSON, "result", "mem_limit") != "4G" || dig(r.JSON, "result", "kubespawner_override", "image_pull_policy") != nil || len(list(r.JSON, "result", "options")) != 2 {
		t.Errorf("patched profile %s", r.Body)
	}
}

// A size of the wrong JSON type is refused with its field named.
func TestTypedSizeOfWrongTypeNamesTheField(t *testing.T) {
	c := newTestServer(t)
	e := errorOf(t, c.do(http.MethodPost, "api/v1/profiles", `{"slug": "a", "display_name": "A", "mem_limit": true}`), http.StatusBadRequest, "bad_request")
	if !e.hasField("/mem_limit", "a string or a number") {
		t.Errorf("error %+v, want mem_limit named", e.Error)
	}
	c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", `{"slug": "a", "display_name": "A", "mem_limit": "2G"}`)
	e = errorOf(t, c.do(http.MethodPatch, "api/v1/profiles/a", `{"cpu_limit": [1]}`), http.StatusBadRequest, "bad_request")
	if !e.hasField("/cpu_limit", "a string or a number") {
		t.Errorf("error %+v, want cpu_limit named", e.Error)
	}
}
