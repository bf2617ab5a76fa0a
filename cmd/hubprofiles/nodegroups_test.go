package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// migratingValues is a values file of a hub with raw node selectors and no
// node groups yet.
const migratingValues = `jupyterhub:
  singleuser:
    profileList:
      - display_name: Small
        kubespawner_override:
          node_selector: {node.kubernetes.io/instance-type: r5.xlarge}
          mem_guarantee: 7G
      - display_name: Large
        profile_options:
          size:
            display_name: Size
            choices:
              big:
                display_name: Big
                kubespawner_override:
                  node_selector: {node.kubernetes.io/instance-type: r5.4xlarge}
`

// TestNodeGroupsDraftMigration is docs/migrate.md's node-group step:
// draft the groups from the values file, use the draft as the
// infrastructure config, import: every placement is a node group, and
// the list KubeSpawner gets is the one the file had.
func TestNodeGroupsDraftMigration(t *testing.T) {
	values := writeFile(t, "values.yaml", migratingValues)
	code, draft, errOut := runCmd(t, nil, "nodegroups", "draft", values)
	if code != 0 {
		t.Fatalf("draft: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"slug: r5-xlarge", "slug: r5-4xlarge", "/jupyterhub/singleuser/profileList/0/kubespawner_override", "mem_guarantee 7 GiB"} {
		if !strings.Contains(draft, want) {
			t.Errorf("the draft lacks %q:\n%s", want, draft)
		}
	}
	config := writeFile(t, "config.yaml", draft)
	db := filepath.Join(t.TempDir(), "hubprofiles.db")
	if code, out, errOut := runCmd(t, nil, "import", values, "--publish", "--database-url", db, "--config", config); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	} else if strings.Contains(out+errOut, "matches none of") {
		t.Errorf("a drafted selector is reported outside the node groups:\n%s%s", out, errOut)
	}
	code, out, errOut := runCmd(t, nil, "export", "--format", "document", "--database-url", db, "--config", config)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	var doc struct {
		Profiles []struct {
			NodeGroup string `json:"node_group"`
			Options   []struct {
				Choices []struct {
					NodeGroup string `json:"node_group"`
				} `json:"choices"`
			} `json:"options"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Profiles) != 2 || doc.Profiles[0].NodeGroup != "r5-xlarge" || doc.Profiles[1].Options[0].Choices[0].NodeGroup != "r5-4xlarge" {
		t.Errorf("placements after import: %s", out)
	}
	code, out, _ = runCmd(t, nil, "export", "--format", "json", "--database-url", db, "--config", config)
	if code != 0 || !strings.Contains(out, `"node.kubernetes.io/instance-type": "r5.4xlarge"`) {
		t.Errorf("the served list lost a node_selector:\n%s", out)
	}
}

func TestNodeGroupsUsage(t *testing.T) {
	for _, args := range [][]string{{"nodegroups"}, {"nodegroups", "draft"}, {"nodegroups", "list", "x.yaml"}} {
		if code, _, _ := runCmd(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runCmd(t, nil, "nodegroups", "draft", filepath.Join(t.TempDir(), "nope.yaml")); code != 2 || !strings.Contains(errOut, "nope.yaml") {
		t.Errorf("a missing file: exit %d, %s", code, errOut)
	}
}
