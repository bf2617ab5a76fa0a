package model

import (
	"errors"
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
)

func initContainer(name string) *ordered.Map {
	return ordered.MapOf("name", name, "image", "busybox:1.36.1")
}

// TestCopyAndRemoveSettings: what an editor does to a setting the model
// does not type without writing it — copy it whole or some named items,
// remove it whole or one item — and what is refused, with which error.
func TestCopyAndRemoveSettings(t *testing.T) {
	c := &Catalog{Profiles: []Profile{{Slug: "p", Override: ordered.MapOf("cmd", []any{"start"}), Options: []Option{{Key: "image", Choices: []Choice{
		{Key: "a", Override: ordered.MapOf("init_containers", []any{initContainer("fix"), initContainer("puller")})},
		{Key: "b"},
	}, Unlisted: &Unlisted{Enabled: true}}}}}}
	a := Place{Profile: "p", Option: "image", Choice: "a"}
	b := Place{Profile: "p", Option: "image", Choice: "b"}
	free := Place{Profile: "p", Option: "image"}
	if err := c.CopySetting(b, "init_containers", a, []string{"puller"}); err != nil {
		t.Fatal(err)
	}
	got, _ := c.Profiles[0].Options[0].Choices[1].Override.Get("init_containers")
	if !ordered.Equal(got, []any{initContainer("puller")}) {
		t.Errorf("b's init containers: %v, want the puller only", got)
	}
	if err := c.CopySetting(free, "cmd", Place{Profile: "p"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Profiles[0].Options[0].Unlisted.Override.Get("cmd"); !ordered.Equal(got, []any{"start"}) {
		t.Errorf("the free-text field's cmd: %v", got)
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"a typed setting", c.CopySetting(b, "mem_limit", a, nil), ErrNotCopyable},
		{"items of a list of strings", c.CopySetting(b, "cmd", Place{Profile: "p"}, []string{"start"}), ErrNotCopyable},
		{"an item that is not there", c.CopySetting(b, "init_containers", a, []string{"nope"}), ErrNotFound},
		{"a setting the source lacks", c.CopySetting(b, "volume_mounts", a, nil), ErrNotFound},
		{"a choice that is not there", c.CopySetting(Place{Profile: "p", Option: "image", Choice: "z"}, "init_containers", a, nil), ErrNotFound},
		{"removing an item of a list of strings", c.RemoveSetting(Place{Profile: "p"}, "cmd", "start"), ErrNotCopyable},
		{"removing an extra key that is not there", c.RemoveExtra(a, "allowed_teams"), ErrNotFound},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if err := c.RemoveSetting(a, "init_containers", "fix"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Profiles[0].Options[0].Choices[0].Override.Get("init_containers"); !ordered.Equal(got, []any{initContainer("puller")}) {
		t.Errorf("a's init containers after removing fix: %v", got)
	}
	if err := c.RemoveSetting(a, "init_containers", "puller"); err != nil {
		t.Fatal(err)
	}
	if ov := c.Profiles[0].Options[0].Choices[0].Override; ov != nil {
		t.Errorf("a's override after removing its last item: %v, want none", ov)
	}
}
