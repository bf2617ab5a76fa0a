package ui_test

// The profile editor: its buttons change the form without saving; a
// refused save shows each error next to its field and keeps the input; a
// stale one says what changed meanwhile.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
)

// editorForm is the form of the editor page at path, as submitted with
// the button action=value, after set (name, value pairs) was typed in.
func editorForm(c *client, path, action string, set ...string) url.Values {
	c.t.Helper()
	v := formValues(c.get(path).Find("#profile-form form").First(), "action", action)
	for i := 0; i+1 < len(set); i += 2 {
		v.Set(set[i], set[i+1])
	}
	return v
}

// controls lists the names of the form controls in r matching prefix.
func controls(r *response, prefix string) []string {
	var out []string
	r.Find("#profile-form [name]").Each(func(_ int, s *goquery.Selection) {
		if n := s.AttrOr("name", ""); strings.HasPrefix(n, prefix) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	})
	return out
}

func TestEditorActions(t *testing.T) {
	c := newFixture(t)
	for _, tc := range []struct {
		action string
		set    []string
		check  func(t *testing.T, r *response)
	}{
		{"add-option", nil, func(t *testing.T, r *response) {
			if r.Find(byName("opt.1.key")).Length() != 1 || r.Find(byName("opt.1.choice.0.key")).Length() != 1 {
				t.Errorf("no new option with one empty choice: %q", controls(r, "opt.1."))
			}
			if got := value(t, r, "opt.1.key"); got != "" {
				t.Errorf("new option key %q", got)
			}
			if got := value(t, r, "opt.0.choice.1.key"); got != "r" {
				t.Errorf("the existing option is changed: choice 1 %q", got)
			}
		}},
		{"add-choice:0", nil, func(t *testing.T, r *response) {
			if got := value(t, r, "opt.0.choice.2.key"); got != "" || r.Find(byName("opt.0.choice.2.key")).Length() != 1 {
				t.Errorf("no third, empty choice")
			}
			if got := r.Find(byName("opt.0.default")).Length(); got != 3 {
				t.Errorf("%d default radios, want 3", got)
			}
		}},
		{"remove-choice:0:1", nil, func(t *testing.T, r *response) {
			if r.Find(byName("opt.0.choice.1.key")).Length() != 0 {
				t.Errorf("choice 1 is still there")
			}
			if got := value(t, r, "opt.0.choice.0.key"); got != "scipy" {
				t.Errorf("choice 0 is %q, want scipy", got)
			}
		}},
		{"remove-choice:0:0", nil, func(t *testing.T, r *response) {
			if got := value(t, r, "opt.0.choice.0.key"); got != "r" || r.Find(byName("opt.0.choice.1.key")).Length() != 0 {
				t.Errorf("after removing scipy, choice 0 is %q", got)
			}
			if got := value(t, r, "opt.0.choice.0.image"); got != "r-notebook" {
				t.Errorf("r's image %q: the fields did not move with the choice", got)
			}
		}},
		{"remove-option:0", nil, func(t *testing.T, r *response) {
			if got := controls(r, "opt."); len(got) != 0 {
				t.Errorf("option fields left: %q", got)
			}
		}},
		{"generate-sizes", []string{"size_group", "n2-highmem-4", "size_count", "4"}, func(t *testing.T, r *response) {
			if got := value(t, r, "opt.1.key"); got != "resources" {
				t.Fatalf("generated option key %q, want resources", got)
			}
			for j, mem := range []int64{4, 8, 16, 32} {
				p := "opt.1.choice." + strconv.Itoa(j) + "."
				// KubeSpawner's units, as real lists write them, not bytes.
				m := strconv.FormatInt(mem, 10) + "G"
				if got := value(t, r, p+"display_name"); got != m[:len(m)-1]+" GiB RAM, up to 4 CPUs" {
					t.Errorf("%sdisplay_name %q, want %s GiB", p, got, m)
				}
				if got := value(t, r, p+"mem_limit"); got != m {
					t.Errorf("%smem_limit %q, want %s", p, got, m)
				}
				if got := value(t, r, p+"mem_guarantee"); got != m {
					t.Errorf("%smem_guarantee %q, want %s", p, got, m)
				}
				if got := value(t, r, p+"cpu_limit"); got != "4" {
					t.Errorf("%scpu_limit %q, want 4", p, got)
				}
				if got := value(t, r, p+"cpu_guarantee"); got != strconv.FormatFloat(float64(mem)/32*4, 'f', -1, 64) {
					t.Errorf("%scpu_guarantee %q", p, got)
				}
				if got := value(t, r, p+"node_group"); got != "n2-highmem-4" {
					t.Errorf("%snode_group %q", p, got)
				}
			}
			if r.Find(byName("opt.1.choice.4.key")).Length() != 0 {
				t.Error("more than 4 sizes")
			}
			if got := r.Find(byName("opt.1.default")+"[checked]").AttrOr("value", ""); got != "0" {
				t.Errorf("default size %q, want the smallest (0)", got)
			}
		}},
		{"apply-offers", []string{"offer_image", "spare"}, func(t *testing.T, r *response) {
			if got := value(t, r, "image"); got != "spare" {
				t.Errorf("one image ticked: the profile's image %q, want spare", got)
			}
			if got := controls(r, "opt."); len(got) != 0 {
				t.Errorf("one image ticked: the image option stays: %q", got[:min(3, len(got))])
			}
		}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			// What the admin typed before pressing the button is kept.
			v := editorForm(c, "profiles/small", tc.action, append([]string{"display_name", "Typed but not saved"}, tc.set...)...)
			r := c.post(http.StatusOK, "profiles/small", v)
			wantLayout(t, r, "Profile Typed but not saved", "Profile Typed but not saved")
			if got := value(t, r, "display_name"); got != "Typed but not saved" {
				t.Errorf("display_name %q: the input is lost", got)
			}
			if got := value(t, r, "base"); got != "3" {
				t.Errorf("base %q, want 3 still", got)
			}
			tc.check(t, r)
			c.wantRevisions(3)
			// And htmx gets the form alone.
			r = c.post(http.StatusOK, "profiles/small", v, htmx...)
			if r.Find("html main").Length() != 0 || r.Find("#profile-form").Length() != 1 {
				t.Error("htmx: not the #profile-form fragment")
			}
			c.wantRevisions(3)
		})
	}
}

// TestEditorMultipleOffers: several images ticked become an option with a
// choice each, the first the default; several node groups another.
func TestEditorMultipleOffers(t *testing.T) {
	c := newFixture(t)
	v := editorForm(c, "profiles/new", "apply-offers", "display_name", "Quick", "slug", "quick")
	v["offer_image"] = []string{"spare", "r-notebook"}
	v["offer_group"] = []string{"n2-highmem-4", "gpu-t4"}
	r := c.post(http.StatusOK, "profiles/new", v)
	for name, want := range map[string]string{
		"opt.0.key": "image", "opt.0.choice.0.image": "spare", "opt.0.choice.1.image": "r-notebook",
		"opt.1.key": "node", "opt.1.choice.0.node_group": "n2-highmem-4", "opt.1.choice.1.node_group": "gpu-t4",
		"opt.1.choice.1.display_name": "One NVIDIA T4",
	} {
		if got := value(t, r, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	c.wantRevisions(3)
	// Saved as it shows.
	r = c.do(http.MethodPost, "profiles/new", formValues(r.Find("#profile-form form").First(), "action", "save"))
	wantDone(t, c, r, "profiles", "Saved profile Quick.")
	p := c.profile("quick")
	if len(p.Options) != 2 || len(p.Options[0].Choices) != 2 || !p.Options[0].Choices[0].Default || p.Options[1].Choices[1].NodeGroup != "gpu-t4" {
		t.Errorf("the quick setup saved: %+v", p.Options)
	}

	r = c.post(http.StatusUnprocessableEntity, "profiles/new", editorForm(c, "profiles/new", "apply-offers"))
	if got := r.text("#err-offer"); got == "" {
		t.Error("nothing ticked: no error next to the quick setup")
	}
	c.wantRevisions(4)
}

// TestGenerateSizesThenSave: the generated option saves as it shows.
func TestGenerateSizesThenSave(t *testing.T) {
	c := newFixture(t)
	r := c.post(http.StatusOK, "profiles/gpu", editorForm(c, "profiles/gpu", "generate-sizes", "size_group", "gpu-t4", "size_count", "2"))
	v := formValues(r.Find("#profile-form form").First(), "action", "save")
	r = c.do(http.MethodPost, "profiles/gpu", v)
	wantDone(t, c, r, "profiles", "Saved profile Large, with a GPU.")
	o := c.profile("gpu").Options
	// The profile runs on gpu-t4 already: its sizes need not say it again.
	if len(o) != 1 || o[0].Key != "resources" || len(o[0].Choices) != 2 || o[0].Choices[1].NodeGroup != "" || c.profile("gpu").NodeGroup != "gpu-t4" {
		t.Fatalf("the sizes saved: %+v", o)
	}
	if got := fmt.Sprint(o[0].Choices[1].MemLimit.Value()); got != "24G" {
		t.Errorf("the largest size on a 24G node: %s", got)
	}
	if o[0].Choices[0].MemLimit.IsZero() {
		t.Errorf("a size without mem_limit: %+v", o[0].Choices[0])
	}

	for _, set := range [][]string{
		{"size_group", "", "size_count", "4"},
		{"size_group", "n2-highmem-4", "size_count", "9"},
		{"size_group", "n2-highmem-4", "size_count", "many"},
	} {
		r := c.post(http.StatusUnprocessableEntity, "profiles/small", editorForm(c, "profiles/small", "generate-sizes", set...))
		// The select itself is not marked: TestSelectErrorsAreTiedToTheSelect.
		if got := r.text("#err-size_group"); !strings.Contains(got, "pick a node group") {
			t.Errorf("%q: #err-size_group says %q", set, got)
		}
	}
	c.wantRevisions(4)
}

// TestGenerateSizesFitTheNodeOption is issue 14's contradiction: with a
// "Node type" drop-down (two node groups from the quick setup), sizes for
// one group would send every size to it. Asked for one group, the
// generator refuses and says why; asked for none, it makes sizes for each
// node type, in place of the node-type option. A profile that runs on one
// node group gets sizes for that group only.
func TestGenerateSizesFitTheNodeOption(t *testing.T) {
	c := newFixture(t)
	quick := editorForm(c, "profiles/new", "apply-offers", "display_name", "Two kinds", "slug", "two-kinds")
	quick["offer_group"] = []string{"n2-highmem-4", "gpu-t4"}
	r := c.post(http.StatusOK, "profiles/new", quick)
	if got := value(t, r, "opt.0.key"); got != "node" {
		t.Fatalf("the quick setup made option %q, want node", got)
	}

	one := formValues(r.Find("#profile-form form").First(), "action", "generate-sizes")
	one.Set("size_group", "n2-highmem-4")
	one.Set("size_count", "2")
	refused := c.post(http.StatusUnprocessableEntity, "profiles/new", one)
	if got := refused.text("#err-size_group"); !strings.Contains(got, `users pick the node type in option "node"`) {
		t.Errorf("sizes for one group beside a node-type option: %q", got)
	}

	each := formValues(r.Find("#profile-form form").First(), "action", "generate-sizes")
	each.Set("size_group", "")
	each.Set("size_count", "2")
	r = c.post(http.StatusOK, "profiles/new", each)
	if r.Find(byName("opt.1.key")).Length() != 0 {
		t.Error("a separate size option beside the node-type option")
	}
	var got []string
	for j := 0; r.Find(byName("opt.0.choice."+strconv.Itoa(j)+".key")).Length() > 0; j++ {
		p := "opt.0.choice." + strconv.Itoa(j) + "."
		got = append(got, value(t, r, p+"node_group")+" "+value(t, r, p+"mem_limit")+" "+value(t, r, p+"display_name"))
	}
	want := []string{
		"n2-highmem-4 16G 16 GiB RAM, up to 4 CPUs — n2-highmem-4: 4 CPU, 32 GB",
		"n2-highmem-4 32G 32 GiB RAM, up to 4 CPUs — n2-highmem-4: 4 CPU, 32 GB",
		"gpu-t4 12G 12 GiB RAM, up to 3.5 CPUs — One NVIDIA T4",
		"gpu-t4 24G 24 GiB RAM, up to 3.5 CPUs — One NVIDIA T4",
	}
	if !slices.Equal(got, want) {
		t.Errorf("sizes per node type:\n got %q\nwant %q", got, want)
	}
	wantDone(t, c, c.do(http.MethodPost, "profiles/new", formValues(r.Find("#profile-form form").First(), "action", "save")), "profiles", "Saved profile Two kinds.")

	// A profile on one node group: sizes for another are refused.
	r = c.post(http.StatusUnprocessableEntity, "profiles/gpu", editorForm(c, "profiles/gpu", "generate-sizes", "size_group", "n2-highmem-4", "size_count", "2"))
	if got := r.text("#err-size_group"); !strings.Contains(got, "the profile runs on node group gpu-t4") {
		t.Errorf("sizes for another group than the profile's: %q", got)
	}
}

// TestEmptySlugFromTheName: a new profile with no slug gets the one
// KubeSpawner would make from its name, instead of an error (issue 14).
func TestEmptySlugFromTheName(t *testing.T) {
	c := newFixture(t)
	wantDone(t, c, c.do(http.MethodPost, "profiles/new", form("display_name", "Data Science (R & Python)", "slug", "", "base", "3", "action", "save")),
		"profiles", "Saved profile Data Science (R & Python).")
	if p := c.profile("data-science-r-python"); p.DisplayName != "Data Science (R & Python)" {
		t.Errorf("the profile with the slug made from the name: %+v", p)
	}
	// With neither, the slug field says what to do.
	r := c.post(http.StatusUnprocessableEntity, "profiles/new", form("display_name", "", "slug", "", "base", "4", "action", "save"))
	if got := r.text("#err-slug"); !strings.Contains(got, "a profile needs a slug") || !strings.Contains(got, "or a name to make one from") {
		t.Errorf("no slug and no name: %q", got)
	}
}

// TestEditorErrorsInPlace: what is wrong is said next to the field, the
// input is kept, and nothing is written.
func TestEditorErrorsInPlace(t *testing.T) {
	c := newFixture(t)
	for _, tc := range []struct {
		name  string
		set   []string
		field string
		want  string
	}{
		{"memory in Kubernetes units", []string{"mem_limit", "4Gi"}, "mem_limit", "4Gi"},
		{"CPU not a number", []string{"cpu_limit", "two"}, "cpu_limit", "a number of CPUs"},
		{"GPU not a whole number", []string{"gpu", "1.5"}, "gpu", "a whole number of GPUs"},
		{"override not JSON", []string{"override", `{"default_url": "/lab"`}, "override", "not valid JSON"},
		{"override not an object", []string{"override", `["x"]`}, "override", "must be a JSON object"},
		{"override repeats a field", []string{"override", `{"mem_limit": "1G"}`}, "override", `"mem_limit" is set both`},
		{"extra not JSON", []string{"extra", `{`}, "extra", "not valid JSON"},
		{"interface not a path", []string{"default_url", "lab"}, "default_url", ""},
		{"choice memory", []string{"opt.0.choice.0.mem_limit", "4Gi"}, "opt.0.choice.0.mem_limit", "4Gi"},
		{"choice CPU", []string{"opt.0.choice.1.cpu_guarantee", "-1"}, "opt.0.choice.1.cpu_guarantee", "a number of CPUs"},
		{"choice override", []string{"opt.0.choice.0.override", "{nope}"}, "opt.0.choice.0.override", "not valid JSON"},
		{"choice without key", []string{"opt.0.choice.1.key", ""}, "opt.0.choice.1.key", "a choice needs a key"},
		{"option without key", []string{"opt.0.key", ""}, "opt.0.key", "an option needs a key"},
		{"free-text regex", []string{"opt.0.unlisted.regex", "(unclosed"}, "opt.0.unlisted.regex", ""},
		{"free-text override", []string{"opt.0.unlisted.override", "[1]"}, "opt.0.unlisted.override", "must be a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := editorForm(c, "profiles/small", "save", append([]string{"display_name", "Kept"}, tc.set...)...)
			r := c.post(http.StatusUnprocessableEntity, "profiles/small", v)
			wantLayout(t, r, "Profile Kept", "Profile Kept")
			wantFieldError(t, r, tc.field, tc.want)
			if got := r.text("#profile-form > .notice.error[role=alert]"); !strings.Contains(got, "Nothing was saved") {
				t.Errorf("form notice %q, want \"Nothing was saved\"", got)
			}
			// Every field keeps what was typed.
			for _, name := range []string{tc.set[0], "display_name", "mem_guarantee", "opt.0.choice.0.key"} {
				if got := value(t, r, name); strings.TrimSpace(got) != strings.TrimSpace(v.Get(name)) {
					t.Errorf("%s = %q, want the input %q", name, got, v.Get(name))
				}
			}
			// Only that field is marked.
			if n := r.Find(`[aria-invalid="true"]`).Length(); n != 1 {
				t.Errorf("%d fields marked invalid, want 1", n)
			}
			c.wantRevisions(3)
		})
	}
}

// TestEditorFormLevelErrors: what has no field of its own is said at the
// top of the form.
func TestEditorFormLevelErrors(t *testing.T) {
	c := newFixture(t)
	// A new profile with a slug in use.
	v := editorForm(c, "profiles/new", "save", "display_name", "Twin", "slug", "gpu")
	r := c.post(http.StatusConflict, "profiles/new", v)
	if got := r.text("#profile-form > .notice.error"); !strings.Contains(got, "gpu") {
		t.Errorf("duplicate slug: notice %q", got)
	}
	if got := value(t, r, "display_name"); got != "Twin" {
		t.Errorf("input lost: %q", got)
	}
	c.wantRevisions(3)
}

// TestEditorStale: a form from an older head is refused (409) with the
// notice and what the other change did; the admin's input is kept and the
// form now names the new head, so saving again applies it over their
// change.
func TestEditorStale(t *testing.T) {
	c := newFixture(t)
	mine := editorForm(c, "profiles/small", "save", "display_name", "Small (mine)", "mem_limit", "3G")
	if _, err := c.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "carol", Message: "theirs",
		Apply: func(cat *model.Catalog) error {
			cat.Profiles[1].Description = "changed by carol"
			return cat.AddImage(model.Image{Slug: "julia", Ref: "quay.io/jupyter/julia-notebook:2025-06-02"})
		}}); err != nil {
		t.Fatal(err)
	}
	c.wantRevisions(4)

	r := c.post(http.StatusConflict, "profiles/small", mine)
	wantLayout(t, r, "Profile Small (mine)", "Profile Small (mine)")
	if got := r.text("#profile-form > .notice.error"); !strings.HasPrefix(got, "Someone else changed the catalog while you were editing (revision 3 → 4)") {
		t.Errorf("notice %q", got)
	}
	// What the other change did, in words (or as paths).
	changes := textOf(r.Find("#profile-form .notice.warning li"))
	for _, want := range []string{"julia", "Large, with a GPU"} {
		if !strings.Contains(changes, want) {
			t.Errorf("the changes listed %q do not mention %q", changes, want)
		}
	}
	for name, want := range map[string]string{"display_name": "Small (mine)", "mem_limit": "3G", "opt.0.choice.1.key": "r", "base": "4"} {
		if got := value(t, r, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	c.wantRevisions(4)

	// Saving the form again writes it over the other change.
	wantDone(t, c, c.do(http.MethodPost, "profiles/small", formValues(r.Find("#profile-form form").First(), "action", "save")), "profiles", "Saved profile Small (mine).")
	c.wantRevisions(5)
	if p := c.profile("small"); p.DisplayName != "Small (mine)" {
		t.Errorf("display name %q", p.DisplayName)
	}
	if p := c.profile("gpu"); p.Description != "changed by carol" {
		t.Errorf("carol's change is lost: %q", p.Description)
	}
}

// TestSelectErrorsAreTiedToTheSelect: an error about a field shown as a
// select (an image, a node group, the size generator's node group) marks
// the select as the text fields are marked, so that a screen reader
// announces it with the select.
//
// Was a bug (ui/templates/pages/profile.html, "image-select" and "group-select", fixed):
// the selects are rendered without {{template "invalid" ...}}, so the
// message #err-image shows but the select has no aria-invalid and no
// aria-describedby (defaults.html does it for its own selects). Fix: pass
// "Errors" to both templates and add
// {{template "invalid" dict "Errors" .Errors "Name" .Name}} to their <select>.
func TestSelectErrorsAreTiedToTheSelect(t *testing.T) {
	c := newFixture(t)
	for _, tc := range []struct {
		set   []string
		field string
	}{
		{[]string{"action", "generate-sizes", "size_group", ""}, "size_group"},
		{[]string{"image", "no-such-image"}, "image"},
		{[]string{"opt.0.choice.0.image", "no-such-image"}, "opt.0.choice.0.image"},
	} {
		r := c.post(http.StatusUnprocessableEntity, "profiles/small", editorForm(c, "profiles/small", "save", tc.set...))
		wantFieldError(t, r, tc.field, "")
	}
	c.wantRevisions(3)
}
