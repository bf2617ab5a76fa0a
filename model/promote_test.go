package model

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// promoteCatalogs are a production hub (here) and its staging hub (peer):
// staging bumped a tag, added an image and a profile, changed a choice,
// dropped a profile and changed the hub-wide interface.
func promoteCatalogs() (here, peer *Catalog) {
	here = &Catalog{
		Images: []Image{
			{Slug: "scipy", DisplayName: "SciPy", Ref: "quay.io/jupyter/scipy-notebook:2025-06-02"},
			{Slug: "old", DisplayName: "Old", Ref: "quay.io/jupyter/base-notebook:2024-01-01"},
		},
		Profiles: []Profile{
			{Slug: "small", DisplayName: "Small", Image: "scipy", Options: []Option{{Key: "size", DisplayName: "Size", Choices: []Choice{
				{Key: "s", DisplayName: "S"}, {Key: "m", DisplayName: "M"}}}}},
			{Slug: "legacy", DisplayName: "Legacy", Image: "old"},
		},
		Defaults: Defaults{DefaultURL: "/lab"},
	}
	peer = &Catalog{
		Images: []Image{
			{Slug: "scipy", DisplayName: "SciPy", Ref: "quay.io/jupyter/scipy-notebook:2025-07-01"},
			{Slug: "r", DisplayName: "R", Ref: "quay.io/jupyter/r-notebook:2025-07-01"},
		},
		Profiles: []Profile{
			{Slug: "r-profile", DisplayName: "R", Image: "r"},
			{Slug: "small", DisplayName: "Small", Image: "scipy", Options: []Option{{Key: "size", DisplayName: "Size", Choices: []Choice{
				{Key: "s", DisplayName: "S"}, {Key: "l", DisplayName: "L"}}}}},
		},
		Defaults: Defaults{DefaultURL: "/tree"},
	}
	return here, peer
}

func TestCompareSaysWhatTakingChanges(t *testing.T) {
	here, peer := promoteCatalogs()
	got := map[string]Difference{}
	for _, d := range Compare(here, peer) {
		got[d.Kind+" "+d.Slug] = d
	}
	want := map[string]struct{ status, line string }{
		"image scipy":       {Changed, `image "scipy" (used by Small): tag 2025-06-02 → 2025-07-01`},
		"image r":           {Added, `added image "r" (quay.io/jupyter/r-notebook:2025-07-01)`},
		"image old":         {Removed, `removed image "old"`},
		"profile r-profile": {Added, `added profile "R"`},
		"profile small":     {Changed, `option "size": added choice "L"`},
		"profile legacy":    {Removed, `removed profile "Legacy"`},
		"defaults ":         {Changed, `hub-wide interface /lab → /tree`},
	}
	if len(got) != len(want) {
		t.Errorf("Compare listed %d differences, want %d: %+v", len(got), len(want), got)
	}
	for k, w := range want {
		d, ok := got[k]
		if !ok || d.Status != w.status || !strings.Contains(strings.Join(d.Lines, "\n"), w.line) {
			t.Errorf("%s: got %+v, want status %s and the line %q", k, d, w.status, w.line)
		}
	}
	if ds := Compare(peer, peer); len(ds) != 0 {
		t.Errorf("a catalog compared with itself differs: %+v", ds)
	}
}

func TestTakeAppliesOnlyTheSelection(t *testing.T) {
	here, peer := promoteCatalogs()
	took, err := here.Take(peer, Selection{Profiles: []string{"r-profile", "small"}})
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, p := range here.Profiles {
		slugs = append(slugs, p.Slug)
	}
	// r-profile comes first on the peer, so it goes first here.
	if want := []string{"r-profile", "small", "legacy"}; !reflect.DeepEqual(slugs, want) {
		t.Errorf("profiles = %v, want %v", slugs, want)
	}
	// The new profile brings the image it needs; scipy, not selected, keeps
	// this hub's tag.
	if im, ok := here.Image("r"); !ok || im.Ref != "quay.io/jupyter/r-notebook:2025-07-01" {
		t.Errorf("image r not brought along: %+v", here.Images)
	}
	if im, _ := here.Image("scipy"); im.Ref != "quay.io/jupyter/scipy-notebook:2025-06-02" {
		t.Errorf("scipy was not selected but changed to %s", im.Ref)
	}
	if here.Defaults.DefaultURL != "/lab" {
		t.Errorf("defaults were not selected but changed: %+v", here.Defaults)
	}
	if want := `profile "r-profile"; image "r" (used by what was taken); profile "small"`; strings.Join(took, "; ") != want {
		t.Errorf("took %q, want %q", strings.Join(took, "; "), want)
	}
	if c := here.Profiles[1].Options[0].Choices; len(c) != 2 || c[1].Key != "l" {
		t.Errorf("small's choices = %+v, want the peer's s, l", c)
	}
}

func TestTakeRemovalsAndDefaults(t *testing.T) {
	here, peer := promoteCatalogs()
	// Removing an image a kept profile uses is refused.
	if _, err := here.Take(peer, Selection{Images: []string{"old"}}); CodeOf(err) != CodeInUse {
		t.Errorf("removing an image in use: err = %v, want in_use", err)
	}
	here, peer = promoteCatalogs()
	if _, err := here.Take(peer, Selection{Images: []string{"old", "scipy"}, Profiles: []string{"legacy"}, Defaults: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := here.Image("old"); ok || here.ProfileIndex("legacy") >= 0 {
		t.Errorf("legacy and its image should be gone: %+v", here)
	}
	if im, _ := here.Image("scipy"); im.Ref != "quay.io/jupyter/scipy-notebook:2025-07-01" || here.Defaults.DefaultURL != "/tree" {
		t.Errorf("scipy %s, defaults %+v: want the peer's", im.Ref, here.Defaults)
	}
	if _, err := here.Take(peer, Selection{Profiles: []string{"nowhere"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a slug neither has: err = %v, want ErrNotFound", err)
	}
}
