package profilelist

import (
	"regexp"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"go.yaml.in/yaml/v3"
)

// TestExportValuesPrePullsImagesInUse: prePuller.extraImages holds exactly
// the images servers start with (profiles, choices, an image given in an
// override, the hub-wide default), in z2jh's {name, tag} form; a catalog
// image nothing uses is not pulled onto every node.
func TestExportValuesPrePullsImagesInUse(t *testing.T) {
	c := &model.Catalog{
		Images: []model.Image{
			{Slug: "scipy", DisplayName: "SciPy", Ref: "quay.io/jupyter/scipy-notebook:2025-06-02"},
			{Slug: "r", DisplayName: "R", Ref: "quay.io/jupyter/r-notebook:2025-06-02"},
			{Slug: "unused", DisplayName: "Old", Ref: "docker.io/jupyter/datascience-notebook:2023-01-01"},
			{Slug: "base", DisplayName: "Base", Ref: "quay.io/jupyter/base-notebook:2025-06-02"},
			{Slug: "pinned", DisplayName: "Pinned", Ref: "quay.io/jupyter/minimal-notebook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		},
		Defaults: model.Defaults{Image: "base"},
		Profiles: []model.Profile{
			{DisplayName: "Python", Image: "scipy"},
			{DisplayName: "Pick", Options: []model.Option{{Key: "image", Choices: []model.Choice{
				{Key: "r", DisplayName: "R", Image: "r"},
				{Key: "scipy", DisplayName: "SciPy again", Image: "scipy"},
				{Key: "pinned", DisplayName: "Pinned", Image: "pinned"},
			}}}},
			{DisplayName: "Custom", Override: ordered.MapOf("image", "ghcr.io/example/Custom_Image:v1")},
		},
	}
	out, err := ExportValues(c)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		PrePuller struct {
			ExtraImages map[string]struct {
				Name string `yaml:"name"`
				Tag  string `yaml:"tag"`
			} `yaml:"extraImages"`
		} `yaml:"prePuller"`
	}
	if err := yaml.Unmarshal(out, &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string][2]string{
		"scipy":                           {"quay.io/jupyter/scipy-notebook", "2025-06-02"},
		"r":                               {"quay.io/jupyter/r-notebook", "2025-06-02"},
		"base":                            {"quay.io/jupyter/base-notebook", "2025-06-02"},
		"ghcr-io-example-custom-image-v1": {"ghcr.io/example/Custom_Image", "v1"},
	}
	got := v.PrePuller.ExtraImages
	if len(got) != len(want) {
		t.Errorf("prePuller.extraImages has %d images, want %d (unused and digest-pinned ones left out):\n%s", len(got), len(want), out)
	}
	for key, w := range want {
		if g, ok := got[key]; !ok || g.Name != w[0] || g.Tag != w[1] {
			t.Errorf("prePuller.extraImages.%s = %+v, want {name: %s, tag: %s}:\n%s", key, g, w[0], w[1], out)
		}
	}
	if _, ok := got["unused"]; ok {
		t.Errorf("the catalog image nothing uses is pre-pulled:\n%s", out)
	}
}

// TestPrePullKeyIsADNSLabel: z2jh names the pre-puller's container
// image-pull-<key>, which must be a DNS label of at most 63 characters.
func TestPrePullKeyIsADNSLabel(t *testing.T) {
	for _, ref := range []string{
		"ghcr.io/Example/Image:v1",
		"registry.example.org:5000/a/very/long/path/of/many/parts/and/even/more/parts/image:2025-06-02-with-a-long-tag",
		"___:___",
	} {
		key := prePullKey(ref)
		name := "image-pull-" + key
		if len(name) > 63 || !dnsLabel.MatchString(name) {
			t.Errorf("prePullKey(%q) = %q: image-pull-%s is not a DNS label", ref, key, key)
		}
	}
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
