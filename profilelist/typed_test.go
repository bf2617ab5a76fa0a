package profilelist

import (
	"encoding/json"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// overrides lists every kubespawner_override of a list (profile, choice and
// free-text level) by its JSON pointer.
func overrides(list []any) map[string]*ordered.Map {
	out := map[string]*ordered.Map{}
	get := func(p string, m *ordered.Map) {
		if v, ok := m.Get("kubespawner_override"); ok {
			if ov, ok := v.(*ordered.Map); ok {
				out[p] = ov
			}
		}
	}
	for i, item := range list {
		pm, ok := item.(*ordered.Map)
		if !ok {
			continue
		}
		get(model.Pointer(i), pm)
		opts, _ := pm.Get("profile_options")
		om, _ := opts.(*ordered.Map)
		for _, ok := range om.Keys() {
			o, _ := om.Get(ok)
			oo, _ := o.(*ordered.Map)
			cs, _ := oo.Get("choices")
			cm, _ := cs.(*ordered.Map)
			for _, ck := range cm.Keys() {
				ch, _ := cm.Get(ck)
				if chm, isMap := ch.(*ordered.Map); isMap {
					get(model.Pointer(i, "profile_options", ok, "choices", ck), chm)
				}
			}
			if u, has := oo.Get("unlisted_choice"); has {
				if um, isMap := u.(*ordered.Map); isMap {
					get(model.Pointer(i, "profile_options", ok, "unlisted_choice"), um)
				}
			}
		}
	}
	return out
}

// TestCorpusTypedSettingsKeepBytes: on every real list, import types the
// sizes, GPUs and environment it can, and every kubespawner_override renders
// back byte for byte, key order included.
func TestCorpusTypedSettingsKeepBytes(t *testing.T) {
	lifted, raw := 0, 0
	for _, path := range corpusFiles(t) {
		src := parseFile(t, path)
		c, err := Import(src.List, ImportOptions{})
		if err != nil {
			t.Fatalf("%s: import: %v", path, err)
		}
		got, err := Render(c)
		if err != nil {
			t.Fatalf("%s: render: %v", path, err)
		}
		want := overrides(src.List.([]any))
		have := overrides(got)
		for p, w := range want {
			wb, _ := ordered.Marshal(w)
			gb, _ := ordered.Marshal(have[p])
			if string(wb) != string(gb) {
				t.Errorf("%s %s: override changed\nwant %s\ngot  %s", path, p, wb, gb)
			}
		}
		count := func(s *model.Settings, ov *ordered.Map) {
			lifted += len(s.Values().Keys())
			for _, k := range model.SettingKeys {
				if ov.Has(k) {
					raw++
				}
			}
		}
		for i := range c.Profiles {
			p := &c.Profiles[i]
			count(&p.Settings, p.Override)
			for _, o := range p.Options {
				for j := range o.Choices {
					count(&o.Choices[j].Settings, o.Choices[j].Override)
				}
				if o.Unlisted != nil {
					count(&o.Unlisted.Settings, o.Unlisted.Override)
				}
			}
		}
	}
	t.Logf("typed settings: %d lifted, %d left raw", lifted, raw)
	if lifted == 0 {
		t.Fatal("no setting was typed on the corpus")
	}
}

// TestTypedSettingsImportAndRender: sizes keep the form they were written
// in, odd values stay raw, and the key order survives.
func TestTypedSettingsImportAndRender(t *testing.T) {
	src := `[{"display_name": "A", "slug": "a", "kubespawner_override": {
	  "cpu_limit": 2, "mem_limit": "4.5G", "mem_guarantee": 4294967296, "cpu_guarantee": "1",
	  "environment": {"A": "1", "B": "x"},
	  "extra_resource_limits": {"nvidia.com/gpu": "1"}}},
	 {"display_name": "B", "slug": "b", "kubespawner_override": {
	  "environment": {"A": {"valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}},
	  "mem_limit": "4Gi", "extra_resource_limits": {"nvidia.com/gpu": 1, "amd.com/gpu": 1}}}]`
	list, err := ordered.DecodeJSON([]byte(src), 100)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Import(list, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Profiles[0]
	if a.MemLimit.Value() != "4.5G" || a.MemGuarantee.Value() != json.Number("4294967296") || a.CPULimit.Value() != json.Number("2") {
		t.Errorf("sizes = %v %v %v, want as written", a.MemLimit, a.MemGuarantee, a.CPULimit)
	}
	if a.GPU == nil || a.GPU.Resource != "nvidia.com/gpu" || a.GPU.Count.Value() != "1" {
		t.Errorf("gpu = %+v", a.GPU)
	}
	if v, _ := a.Environment.Get("B"); v != "x" {
		t.Errorf("environment = %v", a.Environment)
	}
	if !a.Override.Has("cpu_guarantee") {
		t.Error(`cpu_guarantee "1" (a string KubeSpawner refuses) was typed; it must stay raw for validation to report`)
	}
	b := c.Profiles[1]
	if !b.Settings.IsZero() {
		t.Errorf("profile b typed %+v; an EnvVar object, \"4Gi\" and two GPU kinds must stay raw", b.Settings)
	}
	got, err := RenderJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ordered.Marshal(list)
	if string(got) != string(want) {
		t.Errorf("render changed the list\nwant %s\ngot  %s", want, got)
	}

	// An editor's typed value renders in the typed order, after the raw keys' predecessors.
	a.Settings = model.Settings{MemLimit: mustQuantity(t, `"8G"`), GPU: &model.GPU{Resource: "nvidia.com/gpu", Count: mustQuantity(t, `2`)}}
	a.Override = ordered.MapOf("image_pull_policy", "Always")
	c.Profiles[0] = a
	got, err = RenderJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	wantA := `{"display_name":"A","slug":"a","kubespawner_override":{"mem_limit":"8G","extra_resource_limits":{"nvidia.com/gpu":2},"image_pull_policy":"Always"}}`
	if gotA, _ := ordered.DecodeJSON(got, 100); !ordered.Equal(gotA.([]any)[0], mustDecode(t, wantA)) {
		t.Errorf("typed render = %s, want first profile %s", got, wantA)
	}
}

func mustQuantity(t *testing.T, s string) model.Quantity {
	t.Helper()
	var q model.Quantity
	if err := json.Unmarshal([]byte(s), &q); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestTypedPlacementAndTraitsImportAndRender: a node_selector no node group
// takes, the pull policy, the working directory, a null limit, a free-text
// image template and the extra keys other tools read are typed on import,
// what does not fit stays raw, and the list renders back byte for byte.
func TestTypedPlacementAndTraitsImportAndRender(t *testing.T) {
	src := `[{"display_name": "A", "slug": "a", "allowed_teams": ["org:team"], "kubespawner_override": {
	  "mem_limit": null, "node_selector": {"node.kubernetes.io/instance-type": "r5.xlarge", "x": "y"},
	  "image_pull_policy": "Always", "working_dir": "/home/jovyan", "cpu_limit": null},
	  "profile_options": {"image": {"display_name": "Image", "dynamic_image_building": {"enabled": true},
	    "unlisted_choice": {"enabled": true, "description": "Any image", "kubespawner_override": {"image": "{value}", "mem_limit": "{value}"}},
	    "choices": {"py": {"display_name": "Python", "slug": "python", "kubespawner_override": {"image": "quay.io/a/b:1"}}}}}},
	 {"display_name": "B", "slug": "b", "allowed_teams": [1], "kubespawner_override": {
	  "node_selector": {}, "image_pull_policy": null, "working_dir": null},
	  "profile_options": {"o": {"dynamic_image_building": {"enabled": true, "other": 1},
	    "choices": {"c": {"display_name": "C", "slug": 7}}}}}]`
	list, err := ordered.DecodeJSON([]byte(src), 100)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Import(list, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Profiles[0]
	if a.Override != nil {
		t.Errorf("profile a kept raw keys %v; every key fits a typed field", a.Override)
	}
	if v, _ := a.NodeSelector.Get("x"); v != "y" || a.NodeSelector.Len() != 2 || a.NodeGroup != "" {
		t.Errorf("node_selector = %v, node group %q", a.NodeSelector, a.NodeGroup)
	}
	if !a.NoMemLimit || !a.NoCPULimit || a.ImagePullPolicy != "Always" || a.WorkingDir != "/home/jovyan" {
		t.Errorf("settings = %+v", a.Settings)
	}
	if len(a.AllowedTeams) != 1 || a.AllowedTeams[0] != "org:team" || a.Extra != nil {
		t.Errorf("allowed_teams = %v, extra = %v", a.AllowedTeams, a.Extra)
	}
	o := a.Options[0]
	if o.DynamicImageBuilding == nil || !o.DynamicImageBuilding.Enabled || o.Extra != nil {
		t.Errorf("dynamic_image_building = %+v, extra = %v", o.DynamicImageBuilding, o.Extra)
	}
	if o.Choices[0].Slug != "python" || o.Choices[0].Extra != nil {
		t.Errorf("choice slug = %q, extra = %v", o.Choices[0].Slug, o.Choices[0].Extra)
	}
	if u := o.Unlisted; u.Image != "{value}" || !u.Override.Has("mem_limit") || u.Override.Has("image") {
		t.Errorf("unlisted image = %q, override = %v; a {value} size stays raw", u.Image, u.Override)
	}
	if u := o.Unlisted; u.Description != "Any image" || u.Extra != nil {
		t.Errorf("unlisted description = %q, extra = %v", u.Description, u.Extra)
	}
	b := c.Profiles[1]
	if !b.Settings.IsZero() || b.Override.Len() != 3 {
		t.Errorf("profile b typed %+v; an empty selector and null policy or directory stay raw", b.Settings)
	}
	if b.AllowedTeams != nil || !b.Extra.Has("allowed_teams") {
		t.Error("allowed_teams [1] was typed; a list of non-strings stays in extra")
	}
	if b.Options[0].DynamicImageBuilding != nil || b.Options[0].Choices[0].Slug != "" {
		t.Error("dynamic_image_building with other keys or a non-string choice slug was typed; they stay in extra")
	}
	got, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	// Overrides keep their bytes; the other levels keep their content (the
	// renderer writes their keys in its own order, as for every list).
	for p, w := range overrides(list.([]any)) {
		wb, _ := ordered.Marshal(w)
		gb, _ := ordered.Marshal(overrides(got)[p])
		if string(wb) != string(gb) {
			t.Errorf("%s: override changed\nwant %s\ngot  %s", p, wb, gb)
		}
	}
	if !ordered.Equal(any(got), list) {
		gb, _ := ordered.Marshal(got)
		t.Errorf("render changed the list\nwant %s\ngot  %s", src, gb)
	}
}
