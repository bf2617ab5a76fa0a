package profilelist

import (
	"path/filepath"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/model"
)

// TestEffectiveSettingsCorpus checks the effective settings of a real list
// against values worked out by hand from cloudbank__berea.json: one profile
// "CPU only" whose override sets sizes and a node selector, and one option
// "image" with one (default) choice.
func TestEffectiveSettingsCorpus(t *testing.T) {
	src := parseFile(t, filepath.Join(corpus.Dir(t), "cloudbank__berea.json"))
	c, err := Import(src.List, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	got := EffectiveSettings(list, model.Defaults{DefaultURL: "/lab"}, c)
	if len(got) != 1 {
		t.Fatalf("%d rows, want 1 (one profile, its only choice is the default)", len(got))
	}
	e := got[0]
	want := Effective{Profile: "CPU only", Slug: "cpu-only",
		Image:        Setting{"us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image:fbab22cbce38", `choice "00-base" of option "image"`},
		Interface:    Setting{"/lab", "hub default"},
		MemGuarantee: Setting{"512M", "profile"},
		MemLimit:     Setting{"1G", "profile"},
		CPUGuarantee: Setting{"0.1", "profile"},
		CPULimit:     Setting{"2", "profile"},
		NodeSelector: Setting{"node.kubernetes.io/instance-type=n2-highmem-4", "profile"},
	}
	if e != want {
		t.Errorf("got  %+v\nwant %+v", e, want)
	}
}

func TestEffectiveSettingsLayers(t *testing.T) {
	list := mustDecode(t, `[{"display_name":"GPU","slug":"gpu","kubespawner_override":{"image":"a/profile:1","node_selector":{"pool":"gpu","zone":"a"}},
		"profile_options":{"size":{"display_name":"Size","choices":{
			"s":{"display_name":"S","default":true,"kubespawner_override":{"mem_limit":"4G"}},
			"l":{"display_name":"L","kubespawner_override":{"mem_limit":"16G","image":"a/large:1","default_url":"/tree","node_selector":{"zone":null,"size":"l"}}}}}}},
		{"display_name":"Plain","slug":"plain"}]`).([]any)
	c := &model.Catalog{Images: []model.Image{{Slug: "base", Ref: "a/base:1"}}}
	got := EffectiveSettings(list, model.Defaults{Image: "base", DefaultURL: "/lab"}, c)
	want := []Effective{
		{Profile: "GPU", Slug: "gpu", Image: Setting{"a/profile:1", "profile"}, Interface: Setting{"/lab", "hub default"},
			MemLimit: Setting{"4G", `choice "s" of option "size"`}, NodeSelector: Setting{"pool=gpu, zone=a", "profile"}},
		{Profile: "GPU", Slug: "gpu", Option: "size", Choice: "l", Image: Setting{"a/large:1", `choice "l" of option "size"`},
			Interface: Setting{"/tree", `choice "l" of option "size"`}, MemLimit: Setting{"16G", `choice "l" of option "size"`},
			NodeSelector: Setting{"pool=gpu, size=l", `profile + choice "l" of option "size"`}},
		{Profile: "Plain", Slug: "plain", Image: Setting{"a/base:1", "hub default"}, Interface: Setting{"/lab", "hub default"}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// TestEffectiveSettingsNoLimit: mem_limit: null is "no limit" (KubeSpawner
// then sets none), not the hub's base config (issue 14).
func TestEffectiveSettingsNoLimit(t *testing.T) {
	list := mustDecode(t, `[{"display_name":"Big","slug":"big","kubespawner_override":{"mem_limit":null,"cpu_limit":null,"mem_guarantee":"4G"}}]`).([]any)
	got := EffectiveSettings(list, model.Defaults{}, &model.Catalog{})
	want := Effective{Profile: "Big", Slug: "big", MemGuarantee: Setting{"4G", "profile"},
		MemLimit: Setting{"no limit", "profile"}, CPULimit: Setting{"no limit", "profile"}}
	if len(got) != 1 || got[0] != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
