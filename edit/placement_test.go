package edit

import (
	"context"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// placedList has a profile on the configured node group and one on a pool
// no node group has.
const placedList = `
- display_name: Small
  kubespawner_override: {node_selector: {node.kubernetes.io/instance-type: n2-highmem-4}}
- display_name: Lost
  kubespawner_override: {node_selector: {pool: nowhere}}
`

func placementConfig(t *testing.T, policy string) *infra.Config {
	t.Helper()
	cfg, err := infra.Parse([]byte("nodeGroups:\n  - slug: n2-highmem-4\n    nodeSelector: {node.kubernetes.io/instance-type: n2-highmem-4}\n" + policy))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestOperatorImportPlacements (issue 13): the command-line import, which
// may write any setting, maps a node_selector equal to a configured node
// group to that group, reports one outside every group as a warning, and
// is refused when policy.nodeSelectorOutsideGroups is error.
func TestOperatorImportPlacements(t *testing.T) {
	ctx := context.Background()
	src, err := profilelist.Parse([]byte(placedList), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	op := Change{Base: NoBase, Author: "system:cli", Message: "import", Operator: true}

	e := newEditor(t, placementConfig(t, ""))
	res, err := e.Import(ctx, src, op)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Catalog.Profiles[0].NodeGroup; got != "n2-highmem-4" {
		t.Errorf("the matching selector became node group %q, want n2-highmem-4", got)
	}
	var lost []model.Finding
	for _, f := range res.Warnings {
		if strings.Contains(f.Message, "matches none of the infrastructure config's node groups") {
			lost = append(lost, f)
		}
	}
	if len(lost) != 1 || lost[0].Path != "/1/kubespawner_override/node_selector" {
		t.Errorf("warnings about selectors outside the node groups: %v, want one at /1/kubespawner_override/node_selector", lost)
	}

	strict := newEditor(t, placementConfig(t, "policy: {nodeSelectorOutsideGroups: error}\n"))
	_, err = strict.Import(ctx, src, op)
	fs, _ := model.FindingsOf(err)
	if len(fs) == 0 || fs[0].Path != "/1/kubespawner_override/node_selector" ||
		!strings.Contains(fs[0].Message, "policy.nodeSelectorOutsideGroups") {
		t.Fatalf("with nodeSelectorOutsideGroups: error, the import gave %v, want it refused at /1/kubespawner_override/node_selector", err)
	}
	if head, _ := strict.Head(ctx); head.Revision != nil {
		t.Errorf("a refused import wrote revision %d", head.Revision.ID)
	}
}
