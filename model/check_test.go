package model

import (
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
)

func TestPointer(t *testing.T) {
	if got := Pointer("profiles", 2, "extra", "a/b~c"); got != "/profiles/2/extra/a~1b~0c" {
		t.Errorf("Pointer = %q", got)
	}
	if got := Pointer(); got != "" {
		t.Errorf("Pointer() = %q, want the whole document", got)
	}
}

func TestCheck(t *testing.T) {
	ng := NodeGroup{Slug: "small", NodeSelector: ordered.MapOf("pool", "small")}
	tests := []struct {
		name  string
		c     Catalog
		paths []string
	}{
		{"consistent", Catalog{
			Images:     []Image{{Slug: "py", Ref: "quay.io/jupyter/scipy-notebook:2025-06-02"}},
			NodeGroups: []NodeGroup{ng},
			Profiles: []Profile{{Slug: "a", DisplayName: "A", Image: "py", NodeGroup: "small",
				Extra:   ordered.MapOf("dynamic_image_building", ordered.MapOf("enabled", true)),
				Options: []Option{{Key: "o", Choices: []Choice{{Key: "x", Image: "py"}}}}}},
		}, nil},
		{"duplicate and missing", Catalog{
			Images: []Image{{Slug: "py", Ref: "a:1"}, {Slug: "py", Ref: " b:1"}, {Ref: ""}, {Slug: "Python 3", Ref: "c:1"}},
			Profiles: []Profile{
				{Slug: "a", Image: "nope", NodeGroup: "gone"},
				{Slug: "a", Options: []Option{{Key: "o"}, {Key: "o", Choices: []Choice{{Key: "x"}, {Key: "x"}}}}},
			},
		}, []string{"/images/1/slug", "/images/1/ref", "/images/2/slug", "/images/2/ref", "/images/3/slug",
			"/profiles/0/image", "/profiles/0/node_group", "/profiles/1/slug",
			"/profiles/1/options/1/key", "/profiles/1/options/1/choices/1/key"}},
		{"set twice", Catalog{
			Images:     []Image{{Slug: "py", Ref: "a:1"}},
			NodeGroups: []NodeGroup{ng},
			Profiles: []Profile{{Slug: "a", Image: "py", NodeGroup: "small", Default: true,
				Override: ordered.MapOf("image", "b:1", "node_selector", ordered.MapOf()),
				Extra:    ordered.MapOf("default", "True", "slug", "x")}},
		}, []string{"/profiles/0/kubespawner_override/image", "/profiles/0/kubespawner_override/node_selector",
			"/profiles/0/extra/default", "/profiles/0/extra/slug"}},
		{"typed placement, traits and extra keys set twice or wrong", Catalog{
			NodeGroups: []NodeGroup{ng},
			Profiles: []Profile{{Slug: "a", NodeGroup: "small", AllowedTeams: []string{"o:t"},
				Settings: Settings{NodeSelector: ordered.MapOf("pool", "big", "n", 1), ImagePullPolicy: "Sometimes",
					NoMemLimit: true, MemLimit: Quantity{"4G"}, WorkingDir: "/w"},
				Override: ordered.MapOf("working_dir", "/x"),
				Extra:    ordered.MapOf("allowed_teams", []any{"o:u"}),
				Options: []Option{{Key: "o", DynamicImageBuilding: &DynamicImageBuilding{Enabled: true},
					Extra:    ordered.MapOf("dynamic_image_building", ordered.MapOf("enabled", false)),
					Choices:  []Choice{{Key: "x", Slug: "x", Extra: ordered.MapOf("slug", "y")}},
					Unlisted: &Unlisted{Enabled: true, Image: "{value}", Override: ordered.MapOf("image", "{value}")}}}}},
		}, []string{"/profiles/0/node_selector", "/profiles/0/node_selector/n", "/profiles/0/image_pull_policy",
			"/profiles/0/no_mem_limit", "/profiles/0/kubespawner_override/working_dir", "/profiles/0/extra/allowed_teams",
			"/profiles/0/options/0/extra/dynamic_image_building", "/profiles/0/options/0/choices/0/extra/slug",
			"/profiles/0/options/0/unlisted_choice/kubespawner_override/image"}},
		{"imported non-boolean default is kept", Catalog{
			Profiles: []Profile{{Slug: "a", Extra: ordered.MapOf("default", "True")}},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := tt.c.Check()
			got := map[string]bool{}
			for _, f := range fs {
				if f.Severity != Error {
					t.Errorf("%s: want an error", f)
				}
				got[f.Path] = true
			}
			for _, p := range tt.paths {
				if !got[p] {
					t.Errorf("no finding at %s; got %v", p, fs)
				}
			}
			if len(fs) != len(tt.paths) {
				t.Errorf("%d findings, want %d: %v", len(fs), len(tt.paths), fs)
			}
		})
	}
}
