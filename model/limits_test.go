package model

import (
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
)

func TestCheckLimits(t *testing.T) {
	lim := DefaultLimits
	big := ordered.NewMap()
	big.Set("environment", strings.Repeat("x", lim.Override))
	for _, tc := range []struct {
		name string
		c    Catalog
		path string
		want string
	}{
		{"display name", Catalog{Profiles: []Profile{{Slug: "a", DisplayName: strings.Repeat("é", 60_000)}}},
			"/profiles/0/display_name", "display_name is 60000 characters; the limit is 200"},
		{"choice description", Catalog{Profiles: []Profile{{Slug: "a", DisplayName: "A", Options: []Option{{Key: "k", Choices: []Choice{{Key: "c", Description: strings.Repeat("x", 4001)}}}}}}},
			"/profiles/0/options/0/choices/0/description", "description is 4001 characters; the limit is 4000"},
		{"validation message", Catalog{Profiles: []Profile{{Slug: "a", DisplayName: "A", Options: []Option{{Key: "k", Unlisted: &Unlisted{ValidationMessage: strings.Repeat("x", 1001)}}}}}},
			"/profiles/0/options/0/unlisted_choice/validation_message", "the limit is 1000"},
		{"override", Catalog{Profiles: []Profile{{Slug: "a", DisplayName: "A", Override: big}}},
			"/profiles/0/kubespawner_override", "bytes as JSON; the limit is 65536"},
		{"image ref", Catalog{Images: []Image{{Slug: "i", DisplayName: "I", Ref: strings.Repeat("r", 513)}}},
			"/images/0/ref", "ref is 513 characters; the limit is 512"},
		{"profiles", Catalog{Profiles: make([]Profile, 501)}, "/profiles", "the list is 501 profiles; the limit is 500"},
		{"choices", Catalog{Profiles: []Profile{{Slug: "a", DisplayName: "A", Options: []Option{{Key: "k", Choices: make([]Choice, 501)}}}}},
			"/profiles/0/options/0/choices", "choices is 501 choices; the limit is 500"},
		{"groups", Catalog{Profiles: []Profile{{Slug: "a", DisplayName: "A", AllowedGroups: make([]string, 201)}}},
			"/profiles/0/allowed_groups", "allowed_groups is 201 groups; the limit is 200"},
	} {
		fs := tc.c.Check()
		found := false
		for _, f := range fs {
			found = found || (f.Path == tc.path && f.Severity == Error && strings.Contains(f.Message, tc.want))
		}
		if !found {
			t.Errorf("%s: Check() = %v, want an error at %s saying %q", tc.name, fs, tc.path, tc.want)
		}
	}
	// At the limit is fine.
	ok := Catalog{Profiles: []Profile{{Slug: "a", DisplayName: strings.Repeat("é", lim.Name), Description: strings.Repeat("x", lim.Description)}}}
	if fs := ok.CheckLimits(lim); len(fs) > 0 {
		t.Errorf("a catalog at the limits: %v", fs)
	}
}
