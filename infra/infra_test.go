package infra

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
)

const example = `
nodeGroups:
  - slug: n2-highmem-4
    displayName: "n2-highmem-4: 4 CPU, 32 GB"
    nodeSelector: {node.kubernetes.io/instance-type: n2-highmem-4}
    tolerations: []
    allocatable: {cpu: 3.92, memory: 28.5G, gpu: 0}
  - slug: gpu-t4
    nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-t4}
    tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    allocatable: {cpu: 7500m, memory: 27262976Ki, gpu: 1}
policy:
  allowedRegistries: [docker.io, quay.io, ghcr.io]
  maxMemory: 64G
  maxCPU: "16"
registries:
  - host: registry.example.org:5000
    insecure: true
dockerConfig: /etc/hubprofiles/docker/config.json
access:
  editorGroups: [hub-editors]
  viewerGroups: [staff]
`

func TestParseExample(t *testing.T) {
	c, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.NodeGroups) != 2 {
		t.Fatalf("%d node groups", len(c.NodeGroups))
	}
	a, g := c.NodeGroups[0], c.NodeGroups[1]
	if a.Allocatable.CPU != 3.92 || a.Allocatable.Memory != 30601641984 || a.Allocatable.GPU != 0 {
		t.Errorf("n2-highmem-4 allocatable = %+v (28.5G is 28.5 GiB, as KubeSpawner reads it)", a.Allocatable)
	}
	if g.DisplayName != "gpu-t4" || g.Allocatable.CPU != 7.5 || g.Allocatable.Memory != 27262976*1024 ||
		g.Allocatable.GPU != 1 || g.Allocatable.GPUResource != "nvidia.com/gpu" || len(g.Tolerations) != 1 {
		t.Errorf("gpu-t4 = %+v", g)
	}
	if v, _ := a.NodeSelector.Get("node.kubernetes.io/instance-type"); v != "n2-highmem-4" {
		t.Errorf("selector = %v", a.NodeSelector)
	}
	if c.Policy.MaxMemory != 64<<30 || c.Policy.MaxCPU != 16 || len(c.Policy.AllowedRegistries) != 3 {
		t.Errorf("policy = %+v", c.Policy)
	}
	if len(c.Registries) != 1 || !c.Registries[0].Insecure || c.DockerConfig == "" || c.Access.ViewerGroups[0] != "staff" {
		t.Errorf("config = %+v", c)
	}
}

func TestParsePeers(t *testing.T) {
	c, err := Parse([]byte("peers:\n  - name: staging\n    url: https://staging.example.org/services/hubprofiles\n    tokenFile: /etc/hubprofiles/peers/staging\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := c.Peer("staging")
	want := Peer{Name: "staging", URL: "https://staging.example.org/services/hubprofiles/", TokenFile: "/etc/hubprofiles/peers/staging"}
	if !ok || p != want {
		t.Errorf("Peer(staging) = %+v, %v; want %+v (the URL ending in /)", p, ok, want)
	}
	if _, ok := c.Peer("prod"); ok {
		t.Error("Peer(prod) found a peer that is not configured")
	}
}

func TestParseEmpty(t *testing.T) {
	c, err := Parse(nil)
	if err != nil || len(c.NodeGroups) != 0 {
		t.Errorf("empty config: %+v, %v", c, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unknown key", "nodeGroup: []\n", "line 1: field nodeGroup not found"},
		{"missing slug", "nodeGroups:\n  - nodeSelector: {a: b}\n", "nodeGroups[0].slug: a node group needs a slug"},
		{"bad slug", "nodeGroups:\n  - slug: N2_Big\n    nodeSelector: {a: b}\n", `nodeGroups[0].slug: "N2_Big"`},
		{"duplicate slug", "nodeGroups:\n  - {slug: a, nodeSelector: {a: b}}\n  - {slug: a, nodeSelector: {a: c}}\n", `nodeGroups[1].slug: "a" is used twice`},
		{"no selector", "nodeGroups:\n  - slug: a\n", "nodeGroups[0].nodeSelector: a node group needs a node selector"},
		{"selector list", "nodeGroups:\n  - slug: a\n    nodeSelector: [a]\n", "nodeGroups[0].nodeSelector (line 3): want a mapping"},
		{"bad memory", "nodeGroups:\n  - {slug: a, nodeSelector: {a: b}, allocatable: {memory: 4GB}}\n", `nodeGroups[0].allocatable.memory: "4GB"`},
		{"bad cpu", "nodeGroups:\n  - {slug: a, nodeSelector: {a: b}, allocatable: {cpu: lots}}\n", `nodeGroups[0].allocatable.cpu: "lots"`},
		{"unknown allocatable", "nodeGroups:\n  - {slug: a, nodeSelector: {a: b}, allocatable: {disk: 1}}\n", "nodeGroups[0].allocatable.disk"},
		{"bad toleration", "nodeGroups:\n  - {slug: a, nodeSelector: {a: b}, tolerations: [x]}\n", "nodeGroups[0].tolerations[0] (line 2)"},
		{"bad registry", "policy: {allowedRegistries: [quay.io/org]}\n", `policy.allowedRegistries[0]: "quay.io/org"`},
		{"bad max memory", "policy: {maxMemory: 4Gb}\n", "policy.maxMemory"},
		{"editorOverrides typo", "policy: {editorOverrides: [image, mem_limits]}\n", `policy.editorOverrides[1]: "mem_limits" is not a KubeSpawner trait name`},
		{"editorOverrides callable", "policy: {editorOverrides: [modify_pod_hook]}\n", `policy.editorOverrides[0]: "modify_pod_hook"`},
		{"peer without name", "peers:\n  - {url: https://s.example.org/services/hubprofiles/, tokenFile: /t}\n", `peers[0].name: "": a peer needs a name`},
		{"peer twice", "peers:\n  - {name: staging, url: https://a.example.org/, tokenFile: /t}\n  - {name: staging, url: https://b.example.org/, tokenFile: /t}\n", `peers[1].name: "staging" is used twice`},
		{"peer url", "peers:\n  - {name: staging, url: staging.example.org, tokenFile: /t}\n", `peers[0].url: "staging.example.org" is not the peer's hubprofiles URL`},
		{"peer url with user", "peers:\n  - {name: staging, url: \"https://u:p@s.example.org/\", tokenFile: /t}\n", `peers[0].url`},
		{"peer without token", "peers:\n  - {name: staging, url: https://s.example.org/}\n", "peers[0].tokenFile: a peer needs the file"},
		{"nodeSelectorOutsideGroups typo", "policy: {nodeSelectorOutsideGroups: refuse}\n", `policy.nodeSelectorOutsideGroups: "refuse": want warning or error`},
		{"older spelling contradicts", "policy: {nodeSelectorOutsideGroups: warning, requireNodeGroups: true}\n", "policy.requireNodeGroups: true contradicts policy.nodeSelectorOutsideGroups: warning"},
		{"several at once", "nodeGroups:\n  - slug: a\n  - slug: a\n    nodeSelector: {a: b}\n", "nodeGroups[1].slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestNodeSelectorOutsideGroups: a node_selector outside the node groups
// is a warning unless the config says error; requireNodeGroups: true, the
// older spelling, still means error.
func TestNodeSelectorOutsideGroups(t *testing.T) {
	for _, tc := range []struct {
		config string
		want   model.Severity
	}{
		{"", model.Warning},
		{"policy: {nodeSelectorOutsideGroups: warning}\n", model.Warning},
		{"policy: {nodeSelectorOutsideGroups: error}\n", model.Error},
		{"policy: {requireNodeGroups: true}\n", model.Error},
		{"policy: {requireNodeGroups: true, nodeSelectorOutsideGroups: error}\n", model.Error},
	} {
		c, err := Parse([]byte(tc.config))
		if err != nil {
			t.Fatalf("%q: %v", tc.config, err)
		}
		if got := c.Policy.NodeSelectorOutsideGroups; got != tc.want {
			t.Errorf("%q: %q, want %q", tc.config, got, tc.want)
		}
		if op := c.Policy.ForOperator(); op.NodeSelectorOutsideGroups != tc.want || !op.EditorMay("privileged") {
			t.Errorf("%q: the operator's policy %+v", tc.config, op)
		}
	}
}

func TestEditorOverrides(t *testing.T) {
	tests := []struct {
		name, config string
		may, mayNot  []string
	}{
		{"absent: the default", "", []string{"image", "image_spec", "mem_limit", "cpu_guarantee", "extra_resource_limits", "node_selector", "tolerations", "environment", "default_url"},
			[]string{"privileged", "singleuser_privileged", "uid", "volumes", "volume_mounts", "init_containers", "extra_pod_config", "extra_container_config", "service_account", "cmd", "namespace", "lifecycle_hooks", "extra_labels", "environment.valueFrom"}},
		{"a list of its own", "policy: {editorOverrides: [image, init_containers, environment.valueFrom]}\n",
			[]string{"image", "init_containers", "singleuser_init_containers", "environment.valueFrom"}, []string{"mem_limit", "node_selector", "environment"}},
		{"empty: nothing", "policy: {editorOverrides: []}\n", nil, []string{"image", "mem_limit"}},
		{"everything", "policy: {editorOverrides: ['*']}\n", []string{"privileged", "service_account", "environment.valueFrom", "anything"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tt.may {
				if !c.Policy.EditorMay(k) {
					t.Errorf("editors may not set %s", k)
				}
			}
			for _, k := range tt.mayNot {
				if c.Policy.EditorMay(k) {
					t.Errorf("editors may set %s", k)
				}
			}
		})
	}
}

// TestEditorOverridesDocumented: docs/security.md lists exactly the
// built-in default, so what operators read is what the code does.
func TestEditorOverridesDocumented(t *testing.T) {
	data, err := os.ReadFile("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "## Who can change what")
	if !ok {
		t.Fatal(`docs/security.md has no section "## Who can change what"`)
	}
	const marker = "editorOverrides: ["
	_, rest, ok := strings.Cut(section, marker)
	if !ok {
		t.Fatalf("the section does not show the default as %q", marker)
	}
	listed, _, _ := strings.Cut(rest, "]")
	var got []string
	for _, name := range strings.Split(listed, ",") {
		got = append(got, strings.TrimSpace(name))
	}
	if !slices.Equal(got, DefaultEditorOverrides) {
		t.Errorf("docs/security.md lists %v, the code %v", got, DefaultEditorOverrides)
	}
}
