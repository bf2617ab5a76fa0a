package infra

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/internal/roundtrip"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

func parseList(t *testing.T, data []byte) []any {
	t.Helper()
	src, err := profilelist.Parse(data, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	list, ok := src.List.([]any)
	if !ok {
		t.Fatalf("not a list: %T", src.List)
	}
	return list
}

// rawSelectors lists the places of a catalog that still write a
// node_selector themselves instead of naming a node group.
func rawSelectors(c *model.Catalog) []string {
	var out []string
	check := func(at string, s model.Settings, ov *ordered.Map) {
		if s.NodeSelector != nil || ov.Has("node_selector") {
			out = append(out, at)
		}
	}
	for _, p := range c.Profiles {
		check(p.Slug, p.Settings, p.Override)
		for _, o := range p.Options {
			for _, ch := range o.Choices {
				check(p.Slug+"/"+o.Key+"/"+ch.Key, ch.Settings, ch.Override)
			}
		}
	}
	return out
}

// TestDraftNodeGroupsCorpus (issue 13): for every real list, the drafted
// nodeGroups section is a config Parse accepts, and importing the list
// with it turns every node_selector into a node group while rendering
// exactly the list that came in.
func TestDraftNodeGroupsCorpus(t *testing.T) {
	placed := 0
	for _, path := range corpus.Files(t, "yaml") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			list := parseList(t, data)
			draft, err := DraftNodeGroups([]DraftSource{{Name: filepath.Base(path), List: list}})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(draft)
			if err != nil {
				t.Fatalf("the draft is not a valid config: %v\n%s", err, draft)
			}
			c, err := profilelist.Import(list, profilelist.ImportOptions{NodeGroups: cfg.NodeGroups})
			if err != nil {
				t.Fatal(err)
			}
			if raw := rawSelectors(c); len(raw) > 0 {
				t.Errorf("node selectors left raw at %v with the drafted groups:\n%s", raw, draft)
			}
			got, err := profilelist.Render(c)
			if err != nil {
				t.Fatal(err)
			}
			if want := roundtrip.Normalized(list); !ordered.Equal(want, got) {
				t.Errorf("with the drafted node groups the list renders differently")
			}
			if len(cfg.NodeGroups) > 0 {
				placed++
			}
		})
	}
	if placed == 0 {
		t.Error("no list of the corpus drafted a node group: the test proves nothing")
	}
}

// TestDraftNodeGroups: one group per distinct selector and tolerations,
// named after the instance type (a number tells apart two with one name),
// with comments that cite where each came from and what the lists ask of
// it; a selector that cannot be a node group's is named, not drafted.
func TestDraftNodeGroups(t *testing.T) {
	a := parseList(t, []byte(`
- display_name: Small
  kubespawner_override: {mem_guarantee: 4G, node_selector: {node.kubernetes.io/instance-type: n2-highmem-4}}
  profile_options:
    size:
      display_name: Size
      choices:
        big: {display_name: Big, kubespawner_override: {mem_guarantee: 26G}}
        gpu:
          display_name: GPU
          kubespawner_override:
            node_selector: {node.kubernetes.io/instance-type: n1-standard-8, cloud.google.com/gke-accelerator: nvidia-tesla-t4}
            tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
            extra_resource_limits: {nvidia.com/gpu: "1"}
- display_name: Odd
  kubespawner_override: {node_selector: {pool: 5}}
`))
	b := parseList(t, []byte(`
- display_name: Other
  kubespawner_override: {cpu_guarantee: 2, node_selector: {node.kubernetes.io/instance-type: n2-highmem-4}}
- display_name: Tainted
  kubespawner_override:
    node_selector: {node.kubernetes.io/instance-type: n2-highmem-4}
    tolerations: [{key: dedicated, operator: Equal, value: big, effect: NoSchedule}]
`))
	draft, err := DraftNodeGroups([]DraftSource{{Name: "a.yaml", List: a}, {Name: "b.yaml", List: b}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(draft)
	if err != nil {
		t.Fatalf("%v\n%s", err, draft)
	}
	var slugs []string
	for _, g := range cfg.NodeGroups {
		slugs = append(slugs, g.Slug+"="+g.DisplayName)
	}
	if got, want := strings.Join(slugs, " "), "n2-highmem-4=n2-highmem-4 n1-standard-8-nvidia-tesla-t4=n1-standard-8, nvidia-tesla-t4 n2-highmem-4-2=n2-highmem-4"; got != want {
		t.Errorf("groups %s, want %s\n%s", got, want, draft)
	}
	if len(cfg.NodeGroups) == 3 && (len(cfg.NodeGroups[1].Tolerations) != 1 || len(cfg.NodeGroups[2].Tolerations) != 1) {
		t.Errorf("tolerations not carried: %+v", cfg.NodeGroups)
	}
	for _, want := range []string{
		"# From 2 place(s): a.yaml: /0/kubespawner_override; b.yaml: /0/kubespawner_override.",
		"# The most the lists ask of it: mem_guarantee 26 GiB, cpu_guarantee 2.",
		"# From 1 place(s): a.yaml: /0/profile_options/size/choices/gpu/kubespawner_override.",
		"nvidia.com/gpu 1.",
		"gpu: …}",
		"# Not drafted: a.yaml: /1/kubespawner_override (its node_selector is not an object of string labels).",
	} {
		if !strings.Contains(string(draft), want) {
			t.Errorf("the draft lacks %q:\n%s", want, draft)
		}
	}

	empty, err := DraftNodeGroups([]DraftSource{{Name: "c.yaml", List: parseList(t, []byte("- display_name: Plain\n"))}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := Parse(empty); err != nil || len(cfg.NodeGroups) != 0 || !strings.Contains(string(empty), "nothing to draft") {
		t.Errorf("a list without selectors: %v\n%s", err, empty)
	}
}
