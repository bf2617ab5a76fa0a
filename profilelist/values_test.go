package profilelist

import (
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
)

const nestedValues = `basehub:
  jupyterhub:
    singleuser:
      defaultUrl: /lab
      image:
        name: quay.io/jupyter/scipy-notebook
        tag: 2024-03-18
      profileList:
        - display_name: Small
          kubespawner_override:
            image: quay.io/jupyter/r-notebook:2024-03-18
`

// TestValuesDefaultsRoundTrip: a values file's hub-wide image and
// interface become the catalog's defaults, and a values export writes them
// back under the same nesting, pre-pulling only images in use.
func TestValuesDefaultsRoundTrip(t *testing.T) {
	src, err := Parse([]byte(nestedValues), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Import(src.List, ImportOptions{Images: []model.Image{{Slug: "unused", DisplayName: "Unused", Ref: "quay.io/jupyter/base-notebook:2023-01-01"}}})
	if err != nil {
		t.Fatal(err)
	}
	ValuesDefaults(c, src)
	im, ok := c.Image(c.Defaults.Image)
	if !ok || im.Ref != "quay.io/jupyter/scipy-notebook:2024-03-18" || c.Defaults.DefaultURL != "/lab" {
		t.Fatalf("defaults %+v (image %+v)", c.Defaults, im)
	}
	if c.ValuesNesting != "basehub.jupyterhub" {
		t.Errorf("nesting %q", c.ValuesNesting)
	}
	out, err := ExportValues(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(out, DefaultLimits)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if back.ListPath != "/basehub/jupyterhub/singleuser/profileList" {
		t.Errorf("export nests at %s:\n%s", back.ListPath, out)
	}
	again := &model.Catalog{}
	ValuesDefaults(again, back)
	if again.Defaults.DefaultURL != "/lab" || again.Images[0].Ref != "quay.io/jupyter/scipy-notebook:2024-03-18" {
		t.Errorf("the exported defaults do not read back: %+v\n%s", again, out)
	}
	if strings.Contains(string(out), "base-notebook") {
		t.Errorf("an image nothing uses is pre-pulled:\n%s", out)
	}
	if !strings.Contains(string(out), "prePuller") || !strings.Contains(string(out), "r-notebook") {
		t.Errorf("the images in use are not pre-pulled:\n%s", out)
	}
}
