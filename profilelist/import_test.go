package profilelist

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
)

// imagesOf is slug=ref for each catalog image, in order.
func imagesOf(c *model.Catalog) string {
	var out []string
	for _, im := range c.Images {
		out = append(out, im.Slug+"="+im.Ref)
	}
	return strings.Join(out, " ")
}

// listWith is a profile list with one choice per image reference.
func listWith(refs ...string) string {
	var choices []string
	for i, ref := range refs {
		choices = append(choices, fmt.Sprintf(`"c%d": {"display_name": "C%d", "kubespawner_override": {"image": %q}}`, i, i, ref))
	}
	return `[{"display_name": "P", "profile_options": {"image": {"display_name": "Image", "choices": {` + strings.Join(choices, ", ") + `}}}}]`
}

// TestImportNamesImagesByRepository (issue 13): an imported image is named
// after its repository, so that its name stays true after a tag bump; a
// repository with two tags in one list is told apart by its tags; an image
// the catalog already has keeps its name, old-style ones included (an
// upgrade renames nothing).
func TestImportNamesImagesByRepository(t *testing.T) {
	cases := []struct {
		name     string
		existing []model.Image
		refs     []string
		want     string
	}{
		{"one tag each: the repository",
			nil,
			[]string{"quay.io/jupyter/scipy-notebook:2024-03-18", "rocker/binder:4.3", "quay.io/jupyter/base-notebook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
			"scipy-notebook=quay.io/jupyter/scipy-notebook:2024-03-18 binder=rocker/binder:4.3 base-notebook=quay.io/jupyter/base-notebook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"the same reference twice: one image",
			nil,
			[]string{"pangeo/pangeo-notebook:2024.01.02", "pangeo/pangeo-notebook:2024.01.02"},
			"pangeo-notebook=pangeo/pangeo-notebook:2024.01.02"},
		{"one repository with two tags: the tags tell them apart",
			nil,
			[]string{"pangeo/pangeo-notebook:2024.01.02", "pangeo/pangeo-notebook:2023.05.01", "rocker/binder:4.3"},
			"pangeo-notebook-2024-01-02=pangeo/pangeo-notebook:2024.01.02 pangeo-notebook-2023-05-01=pangeo/pangeo-notebook:2023.05.01 binder=rocker/binder:4.3"},
		{"two repositories with one name: a number",
			nil,
			[]string{"quay.io/jupyter/base-notebook:2024-03-18", "ghcr.io/other/base-notebook:1.0"},
			"base-notebook=quay.io/jupyter/base-notebook:2024-03-18 base-notebook-2=ghcr.io/other/base-notebook:1.0"},
		{"an image the catalog has keeps its old-style name",
			[]model.Image{{Slug: "scipy-notebook-2024-03-18", DisplayName: "scipy-notebook:2024-03-18", Ref: "quay.io/jupyter/scipy-notebook:2024-03-18"}},
			[]string{"quay.io/jupyter/scipy-notebook:2024-03-18", "rocker/binder:4.3"},
			"scipy-notebook-2024-03-18=quay.io/jupyter/scipy-notebook:2024-03-18 binder=rocker/binder:4.3"},
		{"a new tag of a repository the catalog has: named with its tag",
			[]model.Image{{Slug: "scipy-notebook", DisplayName: "scipy-notebook", Ref: "quay.io/jupyter/scipy-notebook:2024-03-18"}},
			[]string{"quay.io/jupyter/scipy-notebook:2024-06-01"},
			"scipy-notebook=quay.io/jupyter/scipy-notebook:2024-03-18 scipy-notebook-2024-06-01=quay.io/jupyter/scipy-notebook:2024-06-01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Import(mustDecode(t, listWith(tc.refs...)), ImportOptions{Images: tc.existing})
			if err != nil {
				t.Fatal(err)
			}
			if got := imagesOf(c); got != tc.want {
				t.Errorf("images:\n got %s\nwant %s", got, tc.want)
			}
			if fs := c.Check(); model.HasErrors(fs) {
				t.Errorf("the imported catalog has errors: %v", fs)
			}
		})
	}
}

// TestImportedImageNameSurvivesATagBump: the name an import gives is the
// repository's, so after the reference moves to a newer tag (what the
// pages' "Use tag" and the API's PATCH do) name and display name still say
// what the image is, and the rendered list carries the new reference.
func TestImportedImageNameSurvivesATagBump(t *testing.T) {
	c, err := Import(mustDecode(t, listWith("quay.io/jupyter/scipy-notebook:2024-03-18")), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	im, ok := c.Image("scipy-notebook")
	if !ok || im.DisplayName != "scipy-notebook" {
		t.Fatalf("images %+v, want scipy-notebook named without its tag", c.Images)
	}
	im.Ref = WithTag(im.Ref, "2024-06-01")
	if got := ListImages(mustRender(t, c)); len(got) != 1 || got[0] != "quay.io/jupyter/scipy-notebook:2024-06-01" {
		t.Errorf("rendered images %v", got)
	}
}

func mustRender(t *testing.T, c *model.Catalog) []any {
	t.Helper()
	list, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
