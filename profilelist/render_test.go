package profilelist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// testNodeGroups is the infrastructure config the golden tests import with.
var testNodeGroups = []model.NodeGroup{
	{Slug: "n2-highmem-4", DisplayName: "n2-highmem-4: 4 CPU, 32 GB",
		NodeSelector: ordered.MapOf("node.kubernetes.io/instance-type", "n2-highmem-4"),
		Allocatable:  model.Capacity{CPU: 3.92, Memory: 28 << 30}},
	{Slug: "gpu-t4", DisplayName: "T4 GPU",
		NodeSelector: ordered.MapOf("cloud.google.com/gke-accelerator", "nvidia-tesla-t4"),
		Tolerations:  []*ordered.Map{ordered.MapOf("key", "nvidia.com/gpu", "operator", "Exists", "effect", "NoSchedule")},
		Allocatable:  model.Capacity{CPU: 7.5, Memory: 26 << 30, GPU: 1, GPUResource: "nvidia.com/gpu"}},
}

// TestRenderGolden imports each testdata/render/*.yaml with the test node
// groups and compares every output with the golden files beside it
// (regenerate with go test ./profilelist -run TestRenderGolden -update, then
// read the diff).
func TestRenderGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/render/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		if strings.Contains(in, ".values.") || strings.Contains(in, ".profile_list.") {
			continue
		}
		base := strings.TrimSuffix(in, ".yaml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			src := parseFile(t, in)
			c, err := Import(src.List, ImportOptions{NodeGroups: testNodeGroups})
			if err != nil {
				t.Fatal(err)
			}
			if fs := c.Check(); len(fs) > 0 {
				t.Fatalf("inconsistent catalog: %v", fs)
			}
			list, err := Render(c)
			if err != nil {
				t.Fatal(err)
			}
			assertRoundTrip(t, src.List, list)
			for _, out := range []struct {
				suffix string
				export func(*model.Catalog) ([]byte, error)
			}{
				{".profile_list.json", ExportJSON},
				{".profile_list.yaml", ExportYAML},
				{".values.yaml", ExportValues},
				{".document.json", ExportDocument},
			} {
				got, err := out.export(c)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, base+out.suffix, got)
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file:\n%s", path, got)
	}
}

func TestImportNodeGroupsAndImages(t *testing.T) {
	src := parseFile(t, "testdata/render/nodegroups.yaml")
	c, err := Import(src.List, ImportOptions{NodeGroups: testNodeGroups})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Profiles[0].NodeGroup; got != "n2-highmem-4" {
		t.Errorf("profile 0 node group = %q, want n2-highmem-4", got)
	}
	// gpu-t4 adds a toleration the source lacks: the selector stays raw.
	if got := c.Profiles[1].NodeGroup; got != "" {
		t.Errorf("profile 1 node group = %q, want none", got)
	}
	var slugs []string
	for _, im := range c.Images {
		slugs = append(slugs, im.Slug+"="+im.DisplayName)
	}
	want := "scipy-notebook=scipy-notebook pytorch-notebook=pytorch-notebook base-notebook=base-notebook"
	if got := strings.Join(slugs, " "); got != want {
		t.Errorf("images = %s\nwant %s (one per distinct reference)", got, want)
	}
	if c.Profiles[1].Options[0].Choices[1].Image != c.Profiles[0].Image {
		t.Error("the same reference must map to the same catalog image")
	}
	// Unlisted templates are never catalog images: they are the free-text
	// choice's typed image template, with nothing left raw.
	if u := c.Profiles[1].Options[0].Unlisted; u.Image != "{value}" || u.Override.Has("image") {
		t.Errorf("unlisted image = %q, override = %v", u.Image, u.Override)
	}
}

func TestRenderErrors(t *testing.T) {
	c := &model.Catalog{Profiles: []model.Profile{{Slug: "a", DisplayName: "A", Image: "missing"}}}
	if _, err := Render(c); err == nil || !strings.Contains(err.Error(), `no image "missing"`) {
		t.Errorf("err = %v", err)
	}
}

func TestImportRefusesShapes(t *testing.T) {
	tests := []struct{ in, path string }{
		{`{"a":1}`, ""},
		{`[1]`, "/0"},
		{`[{"display_name":"A","slug":3}]`, "/0/slug"},
		{`[{"display_name":"A","kubespawner_override":null}]`, "/0/kubespawner_override"},
		{`[{"display_name":"A","profile_options":{"o":{"choices":[]}}}]`, "/0/profile_options/o/choices"},
		{`[{"display_name":"A","profile_options":{"o":{"choices":{"c":1}}}}]`, "/0/profile_options/o/choices/c"},
	}
	for _, tt := range tests {
		_, err := Import(mustDecode(t, tt.in), ImportOptions{})
		se, ok := err.(*ShapeError)
		if !ok || se.Path != tt.path {
			t.Errorf("Import(%s) = %v, want a ShapeError at %q", tt.in, err, tt.path)
		}
	}
}

func TestImageRefs(t *testing.T) {
	list := mustDecode(t, `[{"display_name":"A","kubespawner_override":{"image":"a:1"},"profile_options":{"o":{"choices":{
		"x":{"kubespawner_override":{"image":"b:1"}},"y":{"kubespawner_override":{"image":"a:1"}}},
		"unlisted_choice":{"enabled":true,"kubespawner_override":{"image":"{value}"}}}}}]`).([]any)
	if got := strings.Join(ImageRefs(list), " "); got != "a:1 b:1" {
		t.Errorf("ImageRefs = %q, want a:1 b:1", got)
	}
}
