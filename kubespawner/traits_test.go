package kubespawner

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// TestCorpusHasNoErrors runs every check on the profile lists production hubs
// run: KubeSpawner accepts them, so none may give an Error.
func TestCorpusHasNoErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus.Dir(t), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Fatalf("found %d corpus lists, want the 65 real ones", len(files))
	}
	var overrides, unlisted, regexes, warnings int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ordered.DecodeJSON(data, 100)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		report := func(where string, ps []Problem) {
			t.Helper()
			for _, p := range ps {
				if p.Severity == Error {
					t.Errorf("%s %s%s: %s", filepath.Base(f), where, p.Path, p.Msg)
				} else {
					warnings++
				}
			}
		}
		checkOverride := func(where string, m *ordered.Map) {
			t.Helper()
			raw, ok := m.Get("kubespawner_override")
			if !ok {
				return
			}
			ov := raw.(*ordered.Map)
			for _, k := range ov.Keys() {
				v, _ := ov.Get(k)
				overrides++
				report(where+Pointer(k), CheckOverride(k, v))
				report(where+Pointer(k), CheckExpandedStrings(k, v))
			}
		}
		for i, p := range doc.([]any) {
			prof := p.(*ordered.Map)
			where := "/" + itoa(i) + "/kubespawner_override"
			checkOverride(where, prof)
			opts, _ := prof.Get("profile_options")
			om, _ := opts.(*ordered.Map)
			for _, ok := range om.Keys() {
				o, _ := om.Get(ok)
				opt := o.(*ordered.Map)
				chs, _ := opt.Get("choices")
				cm, _ := chs.(*ordered.Map)
				for _, ck := range cm.Keys() {
					c, _ := cm.Get(ck)
					checkOverride("/"+itoa(i)+"/profile_options"+Pointer(ok)+"/choices"+Pointer(ck)+"/kubespawner_override", c.(*ordered.Map))
				}
				u, _ := opt.Get("unlisted_choice")
				um, _ := u.(*ordered.Map)
				uwhere := "/" + itoa(i) + "/profile_options" + Pointer(ok) + "/unlisted_choice"
				if rx, ok := um.Get("validation_regex"); ok {
					regexes++
					report(uwhere+"/validation_regex", CheckRegex(rx.(string)))
				}
				if uo, ok := um.Get("kubespawner_override"); ok {
					unlisted++
					report(uwhere+"/kubespawner_override", CheckUnlistedOverride(uo.(*ordered.Map)))
				}
			}
		}
	}
	if overrides < 1000 || unlisted == 0 || regexes == 0 {
		t.Errorf("checked %d override entries, %d unlisted overrides, %d regexes: the walk missed the corpus", overrides, unlisted, regexes)
	}
	t.Logf("%d files: %d override entries, %d unlisted overrides, %d regexes, %d warnings", len(files), overrides, unlisted, regexes, warnings)
}

func itoa(i int) string { return strconv.Itoa(i) }

// decode reads a JSON literal the way the rest of hubprofiles does.
func decode(t *testing.T, s string) any {
	t.Helper()
	v, err := ordered.DecodeJSON([]byte(s), 100)
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

// want is an expected problem: its severity, path, and a piece of its message.
type want struct {
	sev  Severity
	path string
	msg  string
}

func E(path, msg string) want { return want{Error, path, msg} }
func W(path, msg string) want { return want{Warning, path, msg} }

// sameProblems compares problems in order, messages by substring.
func sameProblems(t *testing.T, what string, got []Problem, wants []want) {
	t.Helper()
	ok := len(got) == len(wants)
	for i := 0; ok && i < len(got); i++ {
		w := wants[i]
		ok = got[i].Severity == w.sev && got[i].Path == w.path && strings.Contains(got[i].Msg, w.msg)
	}
	if ok {
		return
	}
	var b strings.Builder
	for _, p := range got {
		b.WriteString("\n\t" + p.String())
	}
	t.Errorf("%s: got %d problems:%s\nwant %v", what, len(got), b.String(), wants)
}

func TestTrait(t *testing.T) {
	tests := []struct {
		name   string
		want   Kind
		wantOK bool
	}{
		{"image", NonEmptyString, true},
		{"image_spec", NonEmptyString, true},
		{"singleuser_image_spec", NonEmptyString, true}, // forwards through image_spec
		{"singleuser_node_selector", StringMap, true},
		{"user_storage_capacity", StringOrNull, true},
		{"cpu_limit", FloatOrNull, true},
		{"cpu_guarantee", FloatOrNull, true},
		{"mem_limit", BytesOrNull, true},
		{"mem_guarantee", BytesOrNull, true},
		{"start_timeout", Int, true},
		{"uid", IntOrNull, true},
		{"privileged", Bool, true},
		{"allow_privilege_escalation", BoolOrNull, true},
		{"node_selector", StringMap, true},
		{"extra_pod_config", Dict, true},
		{"tolerations", ListOrDict, true},
		{"init_containers", ListOrDict, true},
		{"args", StringList, true},
		{"supplemental_gids", IntList, true},
		{"cmd", Command, true},
		{"extra_resource_limits", ResourceMap, true},
		{"extra_resource_guarantees", ResourceMap, true},
		{"environment", Environment, true},
		{"image_pull_secrets", StringOrList, true},
		{"modify_pod_hook", Callable, true},
		{"slug_scheme", Enum, true},
		{"poll_jitter", Float, true},
		{"default_url", String, true},
		{"working_dir", StringOrNull, true},
		// glued together by a missing comma in spawner.py, so not aliases
		{"singleuser_allow_privilege_escalation", 0, false},
		{"singleuser_lifecycle_hooks", 0, false},
		{"not_a_trait", 0, false},
		{"default", 0, false},
		{"memLimit", 0, false},
	}
	for _, tt := range tests {
		got, ok := Trait(tt.name)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Trait(%q) = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
	for _, n := range TraitNames() {
		if _, ok := Trait(n); !ok {
			t.Errorf("TraitNames lists %q, which Trait does not know", n)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ name, want string }{
		{"image_spec", "image"},
		{"singleuser_image_spec", "image"},
		{"singleuser_working_dir", "working_dir"},
		{"user_storage_class", "storage_class"},
		{"image", "image"},
		{"whatever", "whatever"},
	}
	for _, tt := range tests {
		if got := Canonical(tt.name); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestIsExpanded(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"environment", true},
		{"extra_labels", true},
		{"extra_annotations", true},
		{"volumes", true},
		{"volume_mounts", true},
		{"init_containers", true},
		{"extra_containers", true},
		{"service_account", true},
		{"extra_pod_config", true},
		{"storage_extra_labels", true},
		{"storage_extra_annotations", true},
		{"storage_selector", true},
		{"user_namespace_labels", true},
		{"user_namespace_annotations", true},
		{"singleuser_extra_labels", true},
		{"default_url", true}, // JupyterHub's format_string
		{"notebook_dir", true},
		{"image", false},
		{"node_selector", false},
		{"tolerations", false},
		{"lifecycle_hooks", false},
		{"extra_container_config", false},
		{"extra_resource_limits", false},
		{"working_dir", false}, // expanded only in the base config
		{"not_a_trait", false},
	}
	for _, tt := range tests {
		if got := IsExpanded(tt.name); got != tt.want {
			t.Errorf("IsExpanded(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckOverride(t *testing.T) {
	tests := []struct {
		name, value string
		want        []want
	}{
		// KUBESPAWNER.md section 10, item 22
		{"cpu_limit", `"2"`, []want{E("", "not a string (write 2 without quotes)")}},
		{"mem_limit", `"4Gi"`, []want{E("", `mem_limit "4Gi": KubeSpawner accepts only K, M, G or T suffixes (binary, e.g. "4G") or integer bytes; KubeSpawner would fail to start the server`)}},
		{"mem_limit", `"1024"`, []want{E("", "needs a suffix K, M, G or T")}},
		{"image", `null`, []want{E("", "image must be a string, not null")}},
		{"node_selector", `null`, []want{E("", "node_selector must be an object, not null")}},
		{"start_timeout", `"60"`, []want{E("", `start_timeout must be an integer, not the string "60"`)}},
		{"mem_limit", `"1.5G"`, nil},
		{"cpu_limit", `2`, nil},
		// item 23
		{"not_a_trait", `"x"`, []want{W("", "ignored by KubeSpawner")}},
		{"not_a_trait", `{"a": 1}`, []want{E("", "AttributeError")}},
		{"not_a_trait", `[1]`, []want{W("", "ignored by KubeSpawner")}},
		{"memLimit", `"4G"`, []want{W("", "did you mean mem_limit?")}},
		{"mem_limt", `"4G"`, []want{W("", "did you mean mem_limit?")}},
		// misplaced profile keys
		{"default", `true`, []want{W("", "belongs")}},
		{"display_name", `"GPU"`, []want{E("", "read-only property")}},
		// aliases and no-ops
		{"image_spec", `"a/b:1"`, []want{W("", "deprecated name for image")}},
		{"singleuser_image_spec", `""`, []want{W("", "deprecated name for image"), E("", "must not be empty")}},
		{"pvc_name_template", `"claim-{username}"`, []want{W("", "has no effect")}},
		{"pod_name_template", `"x-{username}"`, []want{W("", "has no effect")}},
		// image
		{"image", `"quay.io/jupyter/scipy-notebook:2024-04-01"`, nil},
		{"image", `""`, []want{E("", "must not be empty")}},
		{"image", `" a/b:1"`, []want{E("", "surrounding whitespace")}},
		{"image", `"a/b:1\n"`, []want{E("", "surrounding whitespace")}},
		{"image", `"a/b :1"`, []want{E("", "contains whitespace")}},
		{"image", `1`, []want{E("", "must be a string, not the number 1")}},
		// cpu
		{"cpu_guarantee", `0.5`, nil},
		{"cpu_limit", `null`, nil},
		{"cpu_limit", `0`, nil},
		{"cpu_limit", `"500m"`, []want{E("", "(write 0.5)")}},
		{"cpu_limit", `true`, []want{E("", "not the boolean true")}},
		{"cpu_limit", `-1`, []want{E("", "negative")}},
		{"cpu_limit", `1e400`, []want{E("", "too large")}},
		{"cpu_limit", `{}`, []want{E("", "not an object")}},
		{"poll_jitter", `0.5`, nil},
		{"poll_jitter", `2`, []want{E("", "between 0 and 1")}},
		{"poll_jitter", `null`, []want{E("", "not null")}},
		// memory
		{"mem_limit", `4294967296`, nil},
		{"mem_guarantee", `null`, nil},
		{"mem_limit", `"512M"`, nil},
		{"mem_limit", `"7.234G"`, nil},
		{"mem_limit", `"4g"`, []want{E("", "case-sensitive (write 4G)")}},
		{"mem_limit", `"4GB"`, []want{E("", "accepts only K, M, G or T")}},
		{"mem_limit", `""`, []want{E("", "empty")}},
		{"mem_limit", `"-1G"`, []want{E("", "negative")}},
		{"mem_limit", `-5`, []want{E("", "negative")}},
		{"mem_limit", `true`, []want{E("", "boolean")}},
		{"mem_limit", `"infG"`, []want{E("", "infinite")}},
		{"mem_limit", `"nanG"`, []want{E("", "nan")}},
		{"mem_limit", `[]`, []want{E("", "integer or a string")}},
		{"mem_limit", `"1e3G"`, []want{W("", "reads it as 1000 GiB")}},
		{"mem_limit", `" 2G"`, []want{W("", "reads it as 2 GiB")}},
		{"mem_limit", `"1_000M"`, []want{W("", "reads it as 1000 MiB")}},
		{"mem_limit", `2.7`, []want{W("", "truncates it to 2 bytes")}},
		{"mem_limit", `1024`, []want{W("", "only 1 KiB")}},
		// integers and booleans
		{"start_timeout", `300`, nil},
		{"start_timeout", `60.0`, []want{W("", "write it as an integer")}},
		{"start_timeout", `60.5`, []want{E("", "must be an integer")}},
		{"start_timeout", `null`, []want{E("", "not null")}},
		{"start_timeout", `true`, []want{E("", "not the boolean true")}},
		{"uid", `1000`, nil},
		{"uid", `null`, nil},
		{"uid", `"1000"`, []want{E("", "must be an integer")}},
		{"privileged", `false`, nil},
		{"privileged", `1`, []want{W("", "write true or false")}},
		{"privileged", `2`, []want{E("", "must be true or false")}},
		{"privileged", `null`, []want{E("", "not null")}},
		{"privileged", `"true"`, []want{E("", "must be true or false")}},
		{"allow_privilege_escalation", `null`, nil},
		// strings
		{"default_url", `"/lab"`, nil},
		{"default_url", `null`, []want{E("", "must be a string, not null")}},
		{"working_dir", `null`, nil},
		{"working_dir", `"/home/rstudio"`, nil},
		{"working_dir", `"/home/{username}"`, []want{W("", "used literally")}},
		{"image_pull_policy", `"Always"`, nil},
		{"image_pull_policy", `null`, nil},
		{"image_pull_policy", `"always"`, []want{E("", "must be one of Always, IfNotPresent, Never")}},
		{"slug_scheme", `"safe"`, nil},
		{"slug_scheme", `"unsafe"`, []want{E("", "must be one of safe, escape")}},
		// dicts
		{"node_selector", `{"node.kubernetes.io/instance-type": "r5.xlarge", "zone": null}`, nil},
		{"node_selector", `{"gpu": true}`, []want{E("/gpu", "must be strings")}},
		{"node_selector", `{"a/b": 1}`, []want{E("/a~1b", "must be strings")}},
		{"node_selector", `["a"]`, []want{E("", "must be an object, not an array")}},
		{"extra_labels", `{"hub.jupyter.org/x": "y"}`, nil},
		{"lifecycle_hooks", `{"postStart": {"exec": {"command": ["sh"]}}}`, nil},
		{"extra_pod_config", `"x"`, []want{E("", "must be an object")}},
		{"container_security_context", `{"runAsUser": 1000}`, nil},
		{"container_security_context", `{"run_as_user": 1000}`, []want{E("/run_as_user", "camelCase")}},
		{"pod_security_context", `{"fs_group": 100}`, []want{E("/fs_group", "camelCase")}},
		// resources
		{"extra_resource_limits", `{"nvidia.com/gpu": "1"}`, nil},
		{"extra_resource_guarantees", `{"nvidia.com/gpu": "1", "ephemeral-storage": "2Gi", "x": null}`, nil},
		{"extra_resource_limits", `{"nvidia.com/gpu": 1}`, []want{W("/nvidia.com~1gpu", "write quantities as strings")}},
		{"extra_resource_limits", `{"nvidia.com/gpu": {"count": 1}}`, []want{E("/nvidia.com~1gpu", "not an object")}},
		{"extra_resource_limits", `{"nvidia.com/gpu": "one"}`, []want{E("/nvidia.com~1gpu", "not a Kubernetes quantity")}},
		{"extra_resource_limits", `{"memory": "4GB"}`, []want{E("/memory", `unknown quantity suffix "GB"`)}},
		{"extra_resource_limits", `{"nvidia.com/gpu": -1}`, []want{E("/nvidia.com~1gpu", "not a quantity")}},
		{"extra_resource_limits", `null`, []want{E("", "must be an object, not null")}},
		// environment
		{"environment", `{"NVIDIA_DRIVER_CAPABILITIES": "compute,utility", "GONE": null}`, nil},
		{"environment", `{"TOKEN": {"valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}}`, nil},
		{"environment", `{"N": 1}`, []want{E("/N", "not the number 1")}},
		{"environment", `{"B": true}`, []want{E("/B", "not the boolean true")}},
		{"environment", `{"L": ["a"]}`, []want{E("/L", "not an array")}},
		{"environment", `{"V": {"valueFrm": {}}}`, []want{E("/V/valueFrm", "only name, value and valueFrom")}},
		{"environment", `{"V": {"value": 5}}`, []want{E("/V/value", "must be a string")}},
		{"environment", `null`, []want{E("", "must be an object, not null")}},
		// list-or-dict
		{"init_containers", `[{"name": "init", "image": "busybox"}]`, nil},
		{"volumes", `{"home": {"name": "home"}}`, nil},
		{"tolerations", `[]`, nil},
		{"tolerations", `["gpu"]`, []want{E("/0", "must be objects")}},
		{"volumes", `{"old": null}`, []want{W("/old", "only when the base config also writes volumes as an object")}},
		{"volumes", `{"a": "x"}`, []want{E("/a", "must be objects")}},
		{"volumes", `null`, []want{E("", "must be an array or an object")}},
		// lists
		{"args", `["--debug"]`, nil},
		{"args", `["--port", 8888]`, []want{E("/1", "must be strings")}},
		{"args", `"--debug"`, []want{E("", "must be an array")}},
		{"supplemental_gids", `[100, 1000]`, nil},
		{"supplemental_gids", `["100"]`, []want{E("/0", "must be an integer")}},
		{"cmd", `"start.sh"`, nil},
		{"cmd", `["jupyterhub-singleuser", "--debug"]`, nil},
		{"cmd", `null`, nil},
		{"cmd", `[1]`, []want{E("/0", "must be strings")}},
		{"cmd", `{}`, []want{E("", "must be a string or an array of strings")}},
		{"image_pull_secrets", `["regcred", {"name": "other"}]`, nil},
		{"image_pull_secrets", `"regcred"`, []want{W("", "deprecated since KubeSpawner 0.14")}},
		{"image_pull_secrets", `[{"secret": "x"}]`, []want{E("/0", "need a \"name\"")}},
		{"image_pull_secrets", `[1]`, []want{E("/0", "secret names")}},
		{"image_pull_secrets", `null`, []want{E("", "must be an array")}},
		// callables
		{"modify_pod_hook", `null`, nil},
		{"modify_pod_hook", `"mymodule.hook"`, []want{E("", "Python callable")}},
	}
	for _, tt := range tests {
		sameProblems(t, tt.name+"="+tt.value, CheckOverride(tt.name, decode(t, tt.value)), tt.want)
	}
}

func TestPointer(t *testing.T) {
	tests := []struct{ key, want string }{
		{"image", "/image"},
		{"nvidia.com/gpu", "/nvidia.com~1gpu"},
		{"a~b", "/a~0b"},
		{"~/", "/~0~1"},
		{"", "/"},
	}
	for _, tt := range tests {
		if got := Pointer(tt.key); got != tt.want {
			t.Errorf("Pointer(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
