package kubespawner

import (
	"reflect"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
)

func TestCheckFormatLikePython(t *testing.T) {
	// Each verdict is what Python 3.11's str.format_map gave, with every name
	// defined (userid an int, the rest strings).
	tests := []struct {
		s       string
		wantErr string // "" when Python accepts it
	}{
		{"", ""},
		{"plain", ""},
		{"{username}", ""},
		{"{{literal}}", ""},
		{"{{", ""},
		{"}}", ""},
		{"${{HOME}}", ""},
		{"${HOME}", ""},
		{"{username}{servername}", ""},
		{"{username!r}", ""},
		{"{username:>10}", ""},
		{"{userid:d}", ""},
		{"{userid:>5}", ""},
		{"{username:>{userid}}", ""},
		// A nested field's own spec shapes the outer spec: userid formatted
		// with '%' is "100.000000%", and '%' is no code for a string.
		{"{username:^{userid:%}}", "unknown format code '%' for a string"},
		{"{username:>{userid:x}}", ""},
		{"{userid:{userid:e}}", "not a valid format spec"},
		{"{ username }", ""},
		{"{a]}", ""},
		{"{", "single '{'"},
		{"}", "single '}'"},
		{"a}b", "single '}'"},
		{"{}", "positional field {}"},
		{"{0}", "positional field {0}"},
		{"{٣}", "positional field"},
		{"{username", "never closed"},
		{"{username:", "unmatched '{' in format spec"},
		{"{username!r", "unmatched '{' in format spec"},
		{"{username!}", "unmatched '{' in format spec"},
		{"{username!x}", "unknown conversion !x"},
		{"{username!rx}", "expected ':' or '}' after the conversion"},
		{"{username:d}", "unknown format code 'd' for a string"},
		{"{userid:s}", "unknown format code 's' for an integer"},
		{"{username:{a:{b}}}", "nested too deeply"},
		{"{a[}", "never closed"},
		{"{a.}", "empty attribute"},
		{"{a[]}", "empty index"},
		{"{a[0]b}", "only '.' or '[' may follow ']'"},
		{"{a{b}", "'{' inside a field name"},
		{`{"img": "{value}"}`, "once its own fields are filled in"},
	}
	for _, tt := range tests {
		err := CheckFormat(tt.s, nil)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("CheckFormat(%q) = %v, want nil", tt.s, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CheckFormat(%q) = %v, want an error with %q", tt.s, err, tt.wantErr)
		}
	}
}

func TestCheckFormatAllowed(t *testing.T) {
	allowed := setOf(TemplateFields)
	tests := []struct {
		s       string
		wantErr string
		wantPos int
	}{
		{"{username}", "", 0},
		{"/home/{escaped_username}", "", 0},
		{"{unescaped_username.upper}", "", 0}, // names before '.' or '[' count
		{"{pod_name[0]}", "", 0},
		{"a-{HOME}", "unknown field {HOME}", 2},
		{"{username}-{value}", "unknown field {value}", 11},
		{"{username:>{width}}", "unknown field {width}", 11},
		{"{username:>{userid}}", "", 0},
		{"{ username }", "unknown field { username }", 0},
	}
	for _, tt := range tests {
		err := CheckFormat(tt.s, allowed)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("CheckFormat(%q) = %v, want nil", tt.s, err)
			}
			continue
		}
		fe, ok := err.(*FormatError)
		if !ok || !strings.Contains(fe.Msg, tt.wantErr) || fe.Pos != tt.wantPos {
			t.Errorf("CheckFormat(%q) = %#v, want %q at %d", tt.s, err, tt.wantErr, tt.wantPos)
		}
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		s       string
		want    []string
		wantErr string
	}{
		{"plain", nil, ""},
		{"{a}{b}{a}", []string{"a", "b"}, ""},
		{"{value!r:>{width}}", []string{"value", "width"}, ""},
		{"{user.name}[{items[0]}]", []string{"user", "items"}, ""},
		{"{{not}} {yes}", []string{"yes"}, ""},
		{"{a}{", []string{"a"}, "single '{'"},
		{"{}", nil, "positional"},
		{"{a!z}", []string{"a"}, "unknown conversion"},
		{"{a:d}", []string{"a"}, ""}, // the spec depends on the value's type
	}
	for _, tt := range tests {
		got, err := Fields(tt.s)
		if (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Fields(%q) error = %v, want %q", tt.s, err, tt.wantErr)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Fields(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestCheckSpec(t *testing.T) {
	// format("ab", spec) and format(42, spec) in Python 3.11.
	tests := []struct {
		spec        string
		strOK, inOK bool
	}{
		{"", true, true},
		{">10", true, true},
		{"<5", true, true},
		{"^7", true, true},
		{"*^9", true, true},
		{"=5", false, true},
		{"05", true, true},
		{"+", false, true},
		{" ", false, true},
		{"-", false, true},
		{"#", false, true},
		{"z", false, false},
		{",", false, true},
		{"_", false, true},
		{",_", false, false},
		{"_,", false, false},
		{".", false, false},
		{".3", true, false},
		{"10.2", true, false},
		{"s", true, false},
		{"ss", false, false},
		{"d", false, true},
		{"x", false, true},
		{"_x", false, true},
		{",x", false, false},
		{"c", false, true},
		{"+c", false, false},
		{"#c", false, false},
		{"n", false, true},
		{",n", false, false},
		{".2f", false, true},
		{"%", false, true},
		{"z.1f", false, true},
		{">{", false, false},
		{"0>5", true, true},
		{"=", false, true},
		{"x<", true, true},
		{"٣", true, true},
	}
	for _, tt := range tests {
		if got := checkSpec(tt.spec, "str") == ""; got != tt.strOK {
			t.Errorf("checkSpec(%q, str) ok = %v, want %v", tt.spec, got, tt.strOK)
		}
		if got := checkSpec(tt.spec, "int") == ""; got != tt.inOK {
			t.Errorf("checkSpec(%q, int) ok = %v, want %v", tt.spec, got, tt.inOK)
		}
	}
}

func TestApplyStrSpec(t *testing.T) {
	// format(v, spec) in Python.
	tests := []struct{ v, spec, want string }{
		{"ab", "", "ab"},
		{"ab", ">5", "   ab"},
		{"ab", "<5", "ab   "},
		{"ab", "^5", " ab  "},
		{"ab", "^6", "  ab  "},
		{"ab", "*>4", "**ab"},
		{"ab", "05", "ab000"},
		{"abcdef", ".3", "abc"},
		{"abcdef", ">5.2", "   ab"},
		{"ab", "{>4", "{{ab"},
		{"ab", "0>4", "00ab"},
		{"ab", "1", "ab"},
	}
	for _, tt := range tests {
		if got := applyStrSpec(tt.v, tt.spec); got != tt.want {
			t.Errorf("applyStrSpec(%q, %q) = %q, want %q", tt.v, tt.spec, got, tt.want)
		}
	}
}

func TestCheckExpandedStrings(t *testing.T) {
	tests := []struct {
		name, value string
		want        []want
	}{
		{"environment", `{"NVIDIA_DRIVER_CAPABILITIES": "compute,utility"}`, nil},
		{"environment", `{"HOME_DIR": "/home/{username}", "ID": "{userid:05d}"}`, nil},
		{"environment", `{"SHELL_VAR": "${HOME}"}`, []want{E("/SHELL_VAR", "unknown field {HOME}")}},
		{"environment", `{"SHELL_VAR": "${{HOME}}"}`, nil},
		{"environment", `{"JSON": "{\"a\": 1}"}`, []want{E("/JSON", "KubeSpawner formats environment with str.format")}},
		{"environment", `{"{key}": "v", "N": 5, "GONE": null}`, nil}, // keys and non-strings are not expanded
		{"environment", `{"REF": {"valueFrom": {"fieldRef": {"fieldPath": "{x}"}}}}`, []want{E("/REF/valueFrom/fieldRef/fieldPath", "unknown field {x}")}},
		{"init_containers", `[{"name": "gitpuller", "volumeMounts": [{"name": "home", "subPath": "{escaped_username}"}]}]`, nil},
		{"init_containers", `[{"args": ["echo {"]}]`, []want{E("/0/args/0", "single '{'")}},
		{"volumes", `{"home": {"persistentVolumeClaim": {"claimName": "{pvc_name}"}}}`, nil},
		{"extra_labels", `{"user": "{username}", "odd": "{username:d}"}`, []want{E("/odd", "unknown format code 'd'")}},
		{"service_account", `"sa-{username}"`, nil},
		{"service_account", `"sa-{user}"`, []want{E("", "the fields it knows are {userid}")}},
		{"singleuser_extra_labels", `{"a": "}"}`, []want{E("/a", "single '}'")}},
		{"default_url", `"/lab/tree/home/{username}"`, nil},
		{"default_url", `"/user/{escaped_username}/lab"`, []want{E("", "JupyterHub formats default_url")}},
		{"notebook_dir", `"/home/{username}/{base_url}"`, nil},
		{"pod_connect_ip", `"{pod_name}.jupyter.svc"`, nil},
		{"pod_connect_ip", `"{pod}.jupyter.svc"`, []want{E("", "unknown field {pod}")}},
		{"image", `"{not expanded}"`, nil},
		{"node_selector", `{"a": "{"}`, nil},
	}
	for _, tt := range tests {
		sameProblems(t, tt.name+"="+tt.value, CheckExpandedStrings(tt.name, decode(t, tt.value)), tt.want)
	}
}

func TestCheckUnlistedOverride(t *testing.T) {
	tests := []struct {
		value string
		want  []want
	}{
		// the corpus form
		{`{"image": "{value}"}`, nil},
		{`{"image": "{value}", "image_pull_policy": "Always"}`, nil},
		{`{"image": "quay.io/org/{value}:latest"}`, nil},
		{`{"image": "{value}", "init_containers": [{"name": "x", "image": "busybox", "volumeMounts": [{"subPath": "{escaped_username}"}]}]}`, nil},
		// KUBESPAWNER.md section 10, item 24
		{`{"image": "{value}", "environment": {"CUSTOM_IMAGE": "{value}", "USER_TEST": "${{JUPYTER_USER}}"}, "init_containers": [{"image": "{value}"}]}`, []want{
			W("/environment/CUSTOM_IMAGE", "expanded again"),
			E("/environment/USER_TEST", `turns it into "${JUPYTER_USER}"`),
			W("/init_containers/0/image", "expanded again"),
		}},
		{`{"environment": {"USER_TEST": "${{{{JUPYTER_USER}}}}"}}`, nil},
		// item 25
		{`{"extra_annotations": {"a": "{\"img\": \"{value}\"}"}}`, []want{E("/extra_annotations/a", "ValueError")}},
		{`{"image": "{other}"}`, []want{E("/image", "leaves {other} as it is")}},
		{`{"extra_labels": {"x": "{other}"}}`, []want{E("/extra_labels/x", "fails the strict pass there")}},
		{`{"image": "{"}`, []want{E("/image", "single '{'")}},
		{`{"image": "}"}`, []want{E("/image", "single '}'")}},
		{`{"image": "{}"}`, []want{E("/image", "positional")}},
		{`{"image": "{0}"}`, []want{E("/image", "positional")}},
		{`{"image": "{value:d}"}`, []want{E("/image", "unknown format code 'd'")}},
		{`{"image": "{value!x}"}`, []want{E("/image", "unknown conversion")}},
		// interpreted forms of {value}
		{`{"image": "{value!r}"}`, nil},
		{`{"image": "{value:>12}"}`, nil},
		{`{"image": "{value.upper}"}`, []want{W("/image", "attribute or item")}},
		{`{"image": "{value[0]}"}`, []want{W("/image", "attribute or item")}},
		// template fields: left for pod time, which only expanded traits have
		{`{"extra_labels": {"user": "{username}", "img": "{value}"}}`, []want{W("/extra_labels/img", "expanded again")}},
		{`{"image": "{username}/{value}"}`, []want{W("/image", "{username} is left as it is and image is never expanded")}},
		{`{"extra_labels": {"{username}": "x"}}`, []want{W("/extra_labels/{username}", "never expanded")}},
		{`{"extra_labels": {"x": "{username!r}"}}`, []want{E("/extra_labels/x", "write {{username!r}}")}},
		{`{"extra_labels": {"x": "{{username!r}}"}}`, nil},
		{`{"default_url": "/lab/tree/{username}/{value}"}`, []want{W("/default_url", "expanded again")}},
		{`{"default_url": "/user/{escaped_username}"}`, []want{E("/default_url", "JupyterHub formats default_url")}},
		// braces
		{`{"environment": {"JSON": "{{\"a\": 1}}"}}`, []want{E("/environment/JSON", `turns it into "{\"a\": 1}"`)}},
		{`{"environment": {"JSON": "{{{{\"a\": 1}}}}"}}`, nil},
		{`{"image": "a{{b}}"}`, nil}, // not expanded: one pass only
		// the user's text must fit the trait
		{`{"mem_limit": "{value}"}`, []want{W("/mem_limit", `size like "4G"`)}},
		{`{"cpu_limit": "{value}"}`, []want{E("/cpu_limit", "always gives a string")}},
		{`{"start_timeout": "{value}"}`, []want{E("/start_timeout", "needs an integer")}},
		{`{"image_pull_policy": "{value}"}`, []want{W("/image_pull_policy", "one of Always")}},
		{`{"extra_resource_limits": {"nvidia.com/gpu": "{value}"}}`, []want{W("/extra_resource_limits/nvidia.com~1gpu", "Kubernetes quantity")}},
		{`{"node_selector": "{value}"}`, []want{E("/node_selector", "must be an object, not a string")}},
		{`{"image": " {value}"}`, []want{E("/image", "surrounding whitespace")}},
		// type checks as for any override
		{`{"default": true, "image": "{value}"}`, []want{W("/default", "belongs on the profile or choice")}},
		{`{"mem_limit": "4Gi"}`, []want{E("/mem_limit", "K, M, G or T")}},
		{`{"nope": {"a": "{value}"}}`, []want{E("/nope", "AttributeError")}},
		// top-level keys are trait names, never formatted
		{`{"{value}": "x"}`, []want{W("/{value}", "not a KubeSpawner setting")}},
		// a string refused by the first pass is reported once
		{`{"environment": {"A": "{"}}`, []want{E("/environment/A", "single '{'")}},
		{`{"cpu_limit": "{"}`, []want{E("/cpu_limit", "single '{'")}},
	}
	for _, tt := range tests {
		ov := decode(t, tt.value).(*ordered.Map)
		sameProblems(t, tt.value, CheckUnlistedOverride(ov), tt.want)
	}
	if got := CheckUnlistedOverride(nil); got != nil {
		t.Errorf("CheckUnlistedOverride(nil) = %v, want nothing", got)
	}
}
