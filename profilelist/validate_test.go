package profilelist

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// want is one expected finding: severity, exact path, and a part of the message.
type want struct {
	sev  model.Severity
	path string
	msg  string
}

func E(path, msg string) want { return want{model.Error, path, msg} }
func W(path, msg string) want { return want{model.Warning, path, msg} }

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v, err := ordered.DecodeJSON([]byte(s), 64)
	if err != nil {
		t.Fatalf("bad test input %s: %v", s, err)
	}
	return v
}

// checkFindings asserts that the findings are exactly the wanted ones.
func checkFindings(t *testing.T, got []model.Finding, wants []want) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range wants {
		found := false
		for i, f := range got {
			if !used[i] && f.Severity == w.sev && f.Path == w.path && strings.Contains(f.Message, w.msg) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing %s at %q containing %q", w.sev, w.path, w.msg)
		}
	}
	for i, f := range got {
		if !used[i] {
			t.Errorf("unexpected finding %s", f)
		}
	}
}

// TestValidateRules covers every rule of DESIGN.md section 3 and the edge
// cases of KUBESPAWNER.md section 10 (numbered "ks N").
func TestValidateRules(t *testing.T) {
	ok := `{"display_name":"A","slug":"a"}`
	tests := []struct {
		name string
		list string
		want []want
	}{
		{"valid minimal", `[` + ok + `]`, nil},
		{"empty list (ks 2)", `[]`, nil},
		{"top level object", `{"a":1}`, []want{E("", "must be an array")}},
		{"profile not an object", `[1]`, []want{E("/0", "must be an object")}},

		// Rule 1 and 2: display_name, slug.
		{"missing display_name (ks 8)", `[{"slug":"a"}]`, []want{E("/0", "no display_name")}},
		{"display_name a number", `[{"display_name":3,"slug":"a"}]`, []want{E("/0/display_name", "must be a string")}},
		{"display_name empty", `[{"display_name":" ","slug":"a"}]`, []want{E("/0/display_name", "empty")}},
		{"slug generated (ks 1)", `[{"display_name":"Something without a slug"},{"display_name":"B","slug":"sluggity-slug"}]`, nil},
		{"duplicate generated slugs (ks 6)", `[{"display_name":"Same"},{"display_name":"same"}]`, []want{E("/1/display_name", `slug "same" is also the slug of the profile at /0`)}},
		{"duplicate explicit slugs", `[{"display_name":"A","slug":"x"},{"display_name":"B","slug":"x"}]`, []want{E("/1/slug", "also the slug")}},
		{"empty generated slug (ks 7)", `[{"display_name":"!!!"}]`, []want{E("/0/display_name", "empty slug")}},
		{"empty explicit slug", `[{"display_name":"A","slug":""}]`, []want{E("/0/slug", "empty")}},
		{"slug null", `[{"display_name":"A","slug":null}]`, []want{E("/0/slug", "must be a string")}},
		{"slug with a quote", `[{"display_name":"A","slug":"a\"b"}]`, []want{E("/0/slug", "breaks the spawn form")}},
		{"slug with a space", `[{"display_name":"A","slug":"a b"}]`, []want{E("/0/slug", "breaks the spawn form")}},
		{"slug with --", `[{"display_name":"A","slug":"a--b"}]`, []want{E("/0/slug", `contains "--"`)}},
		{"slug with underscores is a warning", `[{"display_name":"A","slug":"n2_highcpu_32"}]`, []want{W("/0/slug", `"n2-highcpu-32" would be safer`)}},

		// Defaults (ks 3, 4, 5, 10).
		{"two default profiles (ks 4)", `[{"display_name":"A","default":true},{"display_name":"B","default":true},{"display_name":"C","default":true}]`,
			[]want{W("/1/default", "more than one profile is the default (/0, /1, /2)")}},
		{"string default (ks 5)", `[{"display_name":"A"},{"display_name":"B","default":"false"}]`, []want{W("/1/default", `not the string "false"`)}},
		{"default inside the override", `[{"display_name":"A","kubespawner_override":{"default":true}}]`, []want{W("/0/kubespawner_override/default", "")}},
		{"two default choices (ks 10)", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{
			"x":{"display_name":"X"},"y":{"display_name":"Y","default":true},"z":{"display_name":"Z","default":true}}}}}]`,
			[]want{W("/0/profile_options/image/choices", `uses "y", the form preselects "z"`)}},

		// Rule 3: objects, never null or arrays.
		{"override null", `[{"display_name":"A","kubespawner_override":null}]`, []want{E("/0/kubespawner_override", "must be an object")}},
		{"override an array", `[{"display_name":"A","kubespawner_override":[]}]`, []want{E("/0/kubespawner_override", "must be an object")}},
		{"profile_options a list", `[{"display_name":"A","profile_options":[]}]`, []want{E("/0/profile_options", "must be an object")}},
		{"profile_options null", `[{"display_name":"A","profile_options":null}]`, []want{E("/0/profile_options", "must be an object")}},
		{"option null", `[{"display_name":"A","profile_options":{"o":null}}]`, []want{E("/0/profile_options/o", "must be an object")}},
		{"choices missing (ks 11)", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","unlisted_choice":{"enabled":true,"kubespawner_override":{"image":"{value}"}}}}}]`,
			[]want{E("/0/profile_options/o", "has no choices")}},
		{"choices empty, unlisted enabled (ks 12)", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{},"unlisted_choice":{"enabled":true,"kubespawner_override":{"image":"{value}"}}}}}]`,
			[]want{W("/0/profile_options/o/choices", "only a free-text field")}},
		{"choices empty, nothing else", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{}}}}]`,
			[]want{E("/0/profile_options/o/choices", "nothing can be picked")}},
		{"choices null", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":null}}}]`, []want{E("/0/profile_options/o/choices", "must be an object")}},
		{"choice an array", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{"c":[]}}}}]`, []want{E("/0/profile_options/o/choices/c", "must be an object")}},
		{"choice override null", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{"c":{"display_name":"C","kubespawner_override":null}}}}}]`,
			[]want{E("/0/profile_options/o/choices/c/kubespawner_override", "must be an object")}},
		{"unlisted_choice null", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{"c":{"display_name":"C"}},"unlisted_choice":null}}}]`,
			[]want{E("/0/profile_options/o/unlisted_choice", "must be an object")}},

		// Rule 4: keys.
		{"option key profile (ks 27)", `[{"display_name":"A","profile_options":{"profile":{"display_name":"O","choices":{"c":{"display_name":"C"}}}}}]`,
			[]want{E("/0/profile_options/profile", `cannot be called "profile"`)}},
		{"option key with --", `[{"display_name":"A","profile_options":{"a--b":{"display_name":"O","choices":{"c":{"display_name":"C"}}}}}]`,
			[]want{E("/0/profile_options/a--b", `contains "--"`)}},
		{"option key with a dot", `[{"display_name":"A","profile_options":{"a.b":{"display_name":"O","choices":{"c":{"display_name":"C"}}}}}]`,
			[]want{E("/0/profile_options/a.b", "may only have letters")}},
		{"choice key unlisted-choice", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{"unlisted-choice":{"display_name":"C"}}}}}]`,
			[]want{E("/0/profile_options/o/choices/unlisted-choice", "cannot be called \"unlisted-choice\": the spawn form's drop-down uses that value for its free-text entry")}},
		// A real list (neurohackademy, 2025-07) had its unlisted_choice block inside choices.
		{"unlisted_choice block inside choices", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{"c":{"display_name":"C","default":true},
			"unlisted_choice":{"enabled":true,"display_name":"Custom image","kubespawner_override":{"image":"{value}"}}}}}}]`,
			[]want{E("/0/profile_options/o/choices/unlisted_choice", `picking it starts a server whose image is literally named "{value}"`),
				W("/0/profile_options/o/choices/unlisted_choice/enabled", "ignores")}},
		{"unlisted_choice block inside choices, {value} elsewhere", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{
			"other":{"display_name":"Other","validation_regex":"^.+$","kubespawner_override":{"environment":{"REPO":"{value}"}}}}}}}]`,
			[]want{E("/0/profile_options/o/choices/other", `sets environment/REPO to the literal text "{value}"`),
				W("/0/profile_options/o/choices/other/validation_regex", "ignores"),
				E("/0/profile_options/o/choices/other/kubespawner_override/environment/REPO", "unknown field {value}")}},
		{"choice keyed unlisted_choice without {value}", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{"unlisted_choice":{"display_name":"C","kubespawner_override":{"image":"a/b:1"}}}}}}]`,
			[]want{W("/0/profile_options/o/choices/unlisted_choice", "the option has no free-text field")}},
		{"choice key with a dot is fine", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{"py3.11":{"display_name":"C"}}}}}]`, nil},
		{"choice key with a slash", `[{"display_name":"A","profile_options":{"o":{"display_name":"O","choices":{"a/b":{"display_name":"C"}}}}}]`,
			[]want{E("/0/profile_options/o/choices/a~1b", "may only have letters")}},

		// Rule 5: override types (ks 22, 23).
		{"cpu_limit string (ks 22)", `[{"display_name":"A","kubespawner_override":{"cpu_limit":"2"}}]`, []want{E("/0/kubespawner_override/cpu_limit", "")}},
		{"mem_limit 4Gi (ks 22)", `[{"display_name":"A","kubespawner_override":{"mem_limit":"4Gi"}}]`, []want{E("/0/kubespawner_override/mem_limit", "")}},
		{"mem_limit 1024 (ks 22)", `[{"display_name":"A","kubespawner_override":{"mem_limit":"1024"}}]`, []want{E("/0/kubespawner_override/mem_limit", "")}},
		{"mem_limit 1.5G fine (ks 22)", `[{"display_name":"A","kubespawner_override":{"mem_limit":"1.5G","cpu_limit":2}}]`, nil},
		{"image null (ks 22)", `[{"display_name":"A","kubespawner_override":{"image":null}}]`, []want{E("/0/kubespawner_override/image", "")}},
		{"node_selector null (ks 22)", `[{"display_name":"A","kubespawner_override":{"node_selector":null}}]`, []want{E("/0/kubespawner_override/node_selector", "")}},
		{"start_timeout string (ks 22)", `[{"display_name":"A","kubespawner_override":{"start_timeout":"60"}}]`, []want{E("/0/kubespawner_override/start_timeout", "")}},
		{"unknown trait, scalar (ks 23)", `[{"display_name":"A","kubespawner_override":{"not_a_trait":"x"}}]`, []want{W("/0/kubespawner_override/not_a_trait", "")}},
		{"unknown trait, object (ks 23)", `[{"display_name":"A","kubespawner_override":{"not_a_trait":{"a":1}}}]`, []want{E("/0/kubespawner_override/not_a_trait", "")}},

		// Rule 6: unlisted_choice templates and regexes (ks 15, 16, 24, 25).
		{"unlisted template fine (ks 24)", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{},"unlisted_choice":{"enabled":true,
			"validation_regex":"^pangeo/.*$","kubespawner_override":{"image":"{value}","environment":{"CUSTOM_IMAGE":"{value}"}}}}}}]`,
			[]want{W("/0/profile_options/image/choices", "only a free-text field"), W("/0/profile_options/image/unlisted_choice/kubespawner_override/environment/CUSTOM_IMAGE", "")}},
		{"unlisted template lone brace (ks 25)", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"c":{"display_name":"C"}},"unlisted_choice":{"enabled":true,
			"kubespawner_override":{"image":"{value"}}}}}]`,
			[]want{E("/0/profile_options/image/unlisted_choice/kubespawner_override/image", "")}},
		{"unanchored regex (ks 16)", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"c":{"display_name":"C"}},"unlisted_choice":{"enabled":true,
			"validation_regex":"^pangeo/","kubespawner_override":{"image":"{value}"}}}}}]`,
			[]want{W("/0/profile_options/image/unlisted_choice/validation_regex", "")}},
		{"regex that does not compile", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"c":{"display_name":"C"}},"unlisted_choice":{"enabled":true,
			"validation_regex":"^(a$","kubespawner_override":{"image":"{value}"}}}}}]`,
			[]want{E("/0/profile_options/image/unlisted_choice/validation_regex", "Python"), E("/0/profile_options/image/unlisted_choice/validation_regex", "browsers")}},
		{"regex that only Python compiles", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"c":{"display_name":"C"}},"unlisted_choice":{"enabled":true,
			"validation_regex":"^[a-z/]+$","kubespawner_override":{"image":"{value}"}}}}}]`,
			[]want{E("/0/profile_options/image/unlisted_choice/validation_regex", "browsers")}},
		{"regex with lookbehind", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"c":{"display_name":"C"}},"unlisted_choice":{"enabled":true,
			"validation_regex":"^(?<=a)b$","kubespawner_override":{"image":"{value}"}}}}}]`,
			[]want{E("/0/profile_options/image/unlisted_choice/validation_regex", "")}},
		{"enabled without override", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"c":{"display_name":"C"}},"unlisted_choice":{"enabled":true}}}}]`,
			[]want{W("/0/profile_options/image/unlisted_choice", "changes nothing")}},
		{"enabled as a string", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"c":{"display_name":"C"}},"unlisted_choice":{"enabled":"false","kubespawner_override":{"image":"{value}"}}}}}]`,
			[]want{W("/0/profile_options/image/unlisted_choice/enabled", "even \"false\"")}},
		{"validation_message with a quote", `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"c":{"display_name":"C"}},"unlisted_choice":{"enabled":true,
			"validation_message":"say \"hi\"","kubespawner_override":{"image":"{value}"}}}}}]`,
			[]want{E("/0/profile_options/image/unlisted_choice/validation_message", `a double quote (")`)}},

		// Warnings.
		{"guarantee above limit", `[{"display_name":"A","kubespawner_override":{"mem_guarantee":"4G","mem_limit":"2G","cpu_guarantee":2,"cpu_limit":1}}]`,
			[]want{E("/0", "mem_guarantee (4 GiB) is above mem_limit (2 GiB)"), E("/0", "cpu_guarantee (2) is above cpu_limit (1)")}},
		{"guarantee above limit across profile and choice", `[{"display_name":"A","kubespawner_override":{"mem_limit":"2G"},"profile_options":{"o":{"display_name":"O","choices":{
			"c":{"display_name":"C","kubespawner_override":{"mem_guarantee":"3G"}}}}}}]`,
			[]want{E("/0/profile_options/o/choices/c", "mem_guarantee (3 GiB) is above mem_limit (2 GiB)")}},
		{"latest and untagged images", `[{"display_name":"A","kubespawner_override":{"image":"jupyter/base-notebook:latest"}},{"display_name":"B","kubespawner_override":{"image":"jupyter/base-notebook"}},
			{"display_name":"C","kubespawner_override":{"image":"localhost:5000/x@sha256:0123"}},{"display_name":"D","kubespawner_override":{"image":"localhost:5000/x"}}]`,
			[]want{W("/0/kubespawner_override/image", "uses :latest"), W("/1/kubespawner_override/image", "no tag"), W("/3/kubespawner_override/image", "no tag")}},
		{"GPU without selector", `[{"display_name":"A","kubespawner_override":{"extra_resource_limits":{"nvidia.com/gpu":"1"}}}]`, []want{W("/0", "GPU is requested (nvidia.com/gpu)")}},
		{"GPU with selector", `[{"display_name":"A","kubespawner_override":{"extra_resource_limits":{"nvidia.com/gpu":"1"},"node_selector":{"gpu":"t4"}}}]`, nil},
		{"allowed markup in display text", `[{"display_name":"<b>A</b>","description":"R &amp; Python</p>\n<p>Use it"}]`, nil},
		{"markup outside the allowed set", `[{"display_name":"<u>A</u>","description":"<div>R</div>"}]`,
			[]want{E("/0/display_name", "markup (<u>)"), E("/0/description", "markup (<div>)")}},
		{"unknown profile key", `[{"display_name":"A","profile_option":{}}]`, []want{W("/0/profile_option", "a typo?")}},
		{"option without display_name", `[{"display_name":"A","profile_options":{"o":{"choices":{"c":{"display_name":"C"}}}}}]`, []want{W("/0/profile_options/o", "no label")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, Validate(mustDecode(t, tt.list), Options{}), tt.want)
		})
	}
}

func TestValidateNodeGroupCapacity(t *testing.T) {
	ng := model.NodeGroup{Slug: "n2-highmem-4", NodeSelector: ordered.MapOf("node.kubernetes.io/instance-type", "n2-highmem-4"),
		Allocatable: model.Capacity{CPU: 3.92, Memory: 28 << 30}}
	list := `[{"display_name":"A","kubespawner_override":{"node_selector":{"node.kubernetes.io/instance-type":"n2-highmem-4"},"mem_guarantee":"30G","cpu_guarantee":4}},
		{"display_name":"B","kubespawner_override":{"node_selector":{"node.kubernetes.io/instance-type":"n2-highmem-4"},"mem_guarantee":"20G","cpu_guarantee":3}}]`
	checkFindings(t, Validate(mustDecode(t, list), Options{NodeGroups: []model.NodeGroup{ng}}), []want{
		E("/0/kubespawner_override/mem_guarantee", "mem_guarantee (30 GiB) is more than a n2-highmem-4 node can give (28 GiB)"),
		E("/0/kubespawner_override/cpu_guarantee", "cpu_guarantee (4) is more than a n2-highmem-4 node can give (3.92)"),
	})
}

// TestValidateNodeGroupGPUs: more GPUs than a node of the group has can
// never be scheduled (an error); as many as it has, or fewer, is fine.
func TestValidateNodeGroupGPUs(t *testing.T) {
	ng := model.NodeGroup{Slug: "gpu-t4", NodeSelector: ordered.MapOf("pool", "gpu"),
		Allocatable: model.Capacity{CPU: 3.5, Memory: 24 << 30, GPU: 1}}
	list := `[{"display_name":"A","kubespawner_override":{"node_selector":{"pool":"gpu"},"extra_resource_limits":{"nvidia.com/gpu":"2"}}},
		{"display_name":"B","kubespawner_override":{"node_selector":{"pool":"gpu"},"extra_resource_limits":{"nvidia.com/gpu":"1"}}},
		{"display_name":"C","kubespawner_override":{"node_selector":{"pool":"gpu"}},
		 "profile_options":{"n":{"display_name":"GPUs","choices":{"one":{"display_name":"1","kubespawner_override":{"extra_resource_limits":{"nvidia.com/gpu":"1"}}},
		   "four":{"display_name":"4","kubespawner_override":{"extra_resource_limits":{"nvidia.com/gpu":"4"}}}}}}}]`
	checkFindings(t, Validate(mustDecode(t, list), Options{NodeGroups: []model.NodeGroup{ng}}), []want{
		E("/0/kubespawner_override/extra_resource_limits", "2 GPUs (nvidia.com/gpu) are more than a gpu-t4 node has (1)"),
		E("/2/profile_options/n/choices/four/kubespawner_override/extra_resource_limits", "4 GPUs (nvidia.com/gpu) are more than a gpu-t4 node has (1)"),
	})
}

func TestValidateNodeGroupTolerations(t *testing.T) {
	gpu := model.NodeGroup{Slug: "gpu-t4", NodeSelector: ordered.MapOf("pool", "gpu"),
		Tolerations: []*ordered.Map{ordered.MapOf("key", "nvidia.com/gpu", "operator", "Exists", "effect", "NoSchedule")}}
	list := `[{"display_name":"A","kubespawner_override":{"node_selector":{"pool":"gpu"}}},
		{"display_name":"B","kubespawner_override":{"node_selector":{"pool":"gpu"},"tolerations":[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}]}}]`
	checkFindings(t, Validate(mustDecode(t, list), Options{NodeGroups: []model.NodeGroup{gpu}}), []want{
		W("/0", "picks node group gpu-t4, whose nodes need its tolerations"),
	})
}

func TestValidateAgainstLive(t *testing.T) {
	live := `[{"display_name":"Small","profile_options":{"image":{"display_name":"I","choices":{"py":{"display_name":"P"},"r":{"display_name":"R"}}},"size":{"display_name":"S","choices":{"s":{}}}}},
		{"display_name":"GPU","slug":"gpu"}]`
	next := `[{"display_name":"Small","profile_options":{"image":{"display_name":"I","choices":{"py":{"display_name":"P"}}}}}]`
	checkFindings(t, Validate(mustDecode(t, next), Options{Live: mustDecode(t, live)}), []want{
		W("/0/profile_options/image", `choice "r" of option "image" (profile "small") is live but not in this list`),
		W("/0", `option "size" of profile "small" is live`),
		W("", `profile "gpu" is live but not in this list`),
	})
}

func TestValidatePolicy(t *testing.T) {
	list := `[{"display_name":"A","kubespawner_override":{"image":"quay.io/a/b:1","mem_limit":"64G","cpu_limit":8}},
		{"display_name":"B","kubespawner_override":{"image":"jupyter/base-notebook:2025-06-02","mem_guarantee":"65G","cpu_guarantee":16.5}},
		{"display_name":"C","kubespawner_override":{"image":"registry.example.org:5000/x:1"}}]`
	opts := Options{AllowedRegistries: []string{"quay.io", "registry.example.org:5000"}, MaxMemory: 64 << 30, MaxCPU: 16}
	checkFindings(t, Validate(mustDecode(t, list), opts), []want{
		E("/1/kubespawner_override/image", "comes from docker.io, which the infrastructure policy does not allow (allowed: quay.io, registry.example.org:5000)"),
		E("/1/kubespawner_override/mem_guarantee", "mem_guarantee (65 GiB) is above the 64 GiB"),
		E("/1/kubespawner_override/cpu_guarantee", "cpu_guarantee (16.5) is above the 16 CPUs"),
	})
}

func TestRegistryHost(t *testing.T) {
	for ref, want := range map[string]string{
		"jupyter/base-notebook:1": "docker.io", "ubuntu": "docker.io", "quay.io/a/b:1": "quay.io",
		"localhost/x": "localhost", "127.0.0.1:5000/demo/hello:1.0": "127.0.0.1:5000",
	} {
		if got := RegistryHost(ref); got != want {
			t.Errorf("RegistryHost(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestValidateImageProblem(t *testing.T) {
	list := `[{"display_name":"A","kubespawner_override":{"image":"example.org/a:1"}},{"display_name":"B","kubespawner_override":{"image":"example.org/b:1"}}]`
	opts := Options{ImageProblem: func(ref string) string {
		if ref == "example.org/b:1" {
			return "not found in its registry"
		}
		return ""
	}}
	checkFindings(t, Validate(mustDecode(t, list), opts), []want{W("/1/kubespawner_override/image", `image "example.org/b:1": not found in its registry`)})
}

// Every finding must point at something that exists in the list (or at its parent).
func TestFindingPathsExist(t *testing.T) {
	list := mustDecode(t, `[{"display_name":"Same"},{"display_name":"same"},{"display_name":"A","slug":"a b","kubespawner_override":{"mem_limit":"4Gi","x/y":{"a":1}},
		"profile_options":{"o--p":{"choices":{"c":{"display_name":"C","kubespawner_override":{"cpu_limit":"1"}}}}}}]`)
	for _, f := range Validate(list, Options{}) {
		if !pointerExists(list, f.Path) {
			t.Errorf("finding %s points nowhere", f)
		}
	}
}

func pointerExists(v any, p string) bool {
	if p == "" {
		return true
	}
	for _, part := range strings.Split(p[1:], "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		switch t := v.(type) {
		case []any:
			var i int
			if _, err := fmt.Sscan(part, &i); err != nil || i < 0 || i >= len(t) {
				return false
			}
			v = t[i]
		case *ordered.Map:
			var ok bool
			if v, ok = t.Get(part); !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// An enabled free-text field whose override is {} ignores what users type.
func TestValidateUnlistedEmptyOverride(t *testing.T) {
	list := `[{"display_name":"A","profile_options":{"image":{"display_name":"I","choices":{"py":{"display_name":"P","kubespawner_override":{"image":"quay.io/a/b:1"}}},
		"unlisted_choice":{"enabled":true,"display_name":"Image","kubespawner_override":{}}}}}]`
	checkFindings(t, Validate(mustDecode(t, list), Options{}), []want{
		W("/0/profile_options/image/unlisted_choice/kubespawner_override", "the free-text field is enabled but its kubespawner_override is empty: what users type changes nothing"),
	})
	disabled := strings.Replace(list, `"enabled":true`, `"enabled":false`, 1)
	checkFindings(t, Validate(mustDecode(t, disabled), Options{}), nil)
}

func TestLossesAreTheLiveWarnings(t *testing.T) {
	live := `[{"display_name":"Small","profile_options":{"image":{"display_name":"I","choices":{"py":{"display_name":"P"},"r":{"display_name":"R"}}}}},{"display_name":"GPU","slug":"gpu"}]`
	next := `[{"display_name":"Small","profile_options":{"image":{"display_name":"I","choices":{"py":{"display_name":"P"}}}}}]`
	checkFindings(t, Losses(mustDecode(t, next), mustDecode(t, live)), []want{
		W("/0/profile_options/image", `choice "r" of option "image" (profile "small") is live but not in this list`),
		W("", `profile "gpu" is live but not in this list`),
	})
	if got := Losses([]any{}, mustDecode(t, live)); len(got) != 2 {
		t.Errorf("an empty list loses %d profiles, want 2: %v", len(got), got)
	}
}
