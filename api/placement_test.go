package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// placementConfig has one node group.
const placementConfig = `nodeGroups:
  - slug: n2-highmem-4
    nodeSelector: {node.kubernetes.io/instance-type: n2-highmem-4}
`

// warningsAt lists the messages of a write's warnings at path.
func warningsAt(r *response, path string) []string {
	var out []string
	for _, w := range dig(r.JSON, "warnings").([]any) {
		if str(w, "path") == path {
			out = append(out, str(w, "message"))
		}
	}
	return out
}

// TestNodeSelectorMatchingNoNodeGroup (issue 13): when node groups are
// configured, an editor's new node_selector that matches none of them is a
// warning (an error with policy.nodeSelectorOutsideGroups: error); one that matches a
// group, or narrows one, is not.
func TestNodeSelectorMatchingNoNodeGroup(t *testing.T) {
	c := newTestServer(t, withInfra(placementConfig))
	r := c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", profileWith("lost", `"node_selector": {"pool": "nowhere"}`))
	ws := warningsAt(r, "/profiles/0/kubespawner_override/node_selector")
	if len(ws) != 1 || !strings.Contains(ws[0], "n2-highmem-4") {
		t.Errorf("warnings %v, want one naming the node groups", dig(r.JSON, "warnings"))
	}
	r = c.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", profileWith("narrow",
		`"node_selector": {"node.kubernetes.io/instance-type": "n2-highmem-4", "topology.kubernetes.io/zone": "us-central1-a"}`))
	if ws := warningsAt(r, "/profiles/1/kubespawner_override/node_selector"); len(ws) != 0 {
		t.Errorf("a selector inside a node group warns: %v", ws)
	}

	strict := newTestServer(t, withInfra(placementConfig+"policy:\n  nodeSelectorOutsideGroups: error\n"))
	e := errorOf(t, strict.do(http.MethodPost, "api/v1/profiles", profileWith("lost", `"node_selector": {"pool": "nowhere"}`)), http.StatusUnprocessableEntity, "invalid")
	if !e.hasField("/profiles/0/kubespawner_override/node_selector", "policy.nodeSelectorOutsideGroups") {
		t.Errorf("fields %+v", e.Error.Fields)
	}
}
