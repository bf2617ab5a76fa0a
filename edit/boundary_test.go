package edit

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// TestDefaultBoundaryOnRealHistory replays the corpus history — every
// quarterly change real hubs made to their lists — against the built-in
// policy.editorOverrides: the changes it refuses are exactly those that
// add or change a setting that widens what a pod may do (init containers,
// volume mounts, the command) or the one broken `name`, and their number is
// the one docs/security.md gives.
func TestDefaultBoundaryOnRealHistory(t *testing.T) {
	root := filepath.Join(filepath.Dir(corpus.Dir(t)), "history")
	hubs, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("the corpus history is missing: %v", err)
	}
	var steps, refusedSteps int
	refusedKeys := map[string]int{}
	for _, hub := range hubs {
		files, err := filepath.Glob(filepath.Join(root, hub.Name(), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files)
		var prev []any
		for i, f := range files {
			cur := renderedCorpusList(t, f)
			if i > 0 {
				steps++
				fs := listBoundary(infra.Policy{}, nil, prev, cur)
				if len(fs) > 0 {
					refusedSteps++
				}
				for _, f := range fs {
					refusedKeys[settingOf(f.Message)]++
				}
			}
			prev = cur
		}
	}
	t.Logf("%d quarterly steps, %d with a refused setting: %v", steps, refusedSteps, refusedKeys)
	for k := range refusedKeys {
		if !slices.Contains([]string{"init_containers", "volume_mounts", "cmd", "name"}, k) {
			t.Errorf("the default refuses a change of %q that real hubs make", k)
		}
	}
	// The figures docs/security.md quotes.
	if steps != 200 || refusedSteps != 16 {
		t.Errorf("%d steps, %d refused: docs/security.md says 200 and 16", steps, refusedSteps)
	}
}

func renderedCorpusList(t *testing.T, path string) []any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := profilelist.Parse(data, profilelist.DefaultLimits)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c, err := profilelist.Import(src.List, profilelist.ImportOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	list, err := profilelist.Render(c)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return list
}

// settingOf is the trait a refusal names ("kubespawner_override.KEY: ...").
func settingOf(msg string) string {
	const p = "kubespawner_override."
	if len(msg) < len(p) || msg[:len(p)] != p {
		return msg
	}
	rest := msg[len(p):]
	for i, r := range rest {
		if r == ':' || r == '.' {
			return rest[:i]
		}
	}
	return rest
}
