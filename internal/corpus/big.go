package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// BigList builds a profile list of n profiles from the real ones: the corpus
// lists' profiles in file order, round after round, each copy with a slug made
// unique ("<slug>-r<round>"), its default flag cleared (one default is left, the
// first) and allowed_groups kept. It is the "largest sane hub ×10" of the
// benchmarks: real shapes (options, 20-choice drop-downs, GPU overrides) at a
// size no hub has yet. The result is a JSON array.
func BigList(t testing.TB, n int) []byte {
	t.Helper()
	var profiles []map[string]any
	for _, p := range Files(t, "json") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		if err := json.Unmarshal(data, &list); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		profiles = append(profiles, list...)
	}
	out := make([]map[string]any, 0, n)
	for i := 0; len(out) < n; i++ {
		src := profiles[i%len(profiles)]
		round := i / len(profiles)
		var p map[string]any
		data, _ := json.Marshal(src)
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		slug, _ := p["slug"].(string)
		if slug == "" {
			slug = fmt.Sprintf("p%d", i)
		}
		p["slug"] = fmt.Sprintf("%s-r%d-%d", slug, round, i)
		p["display_name"] = fmt.Sprintf("%v (%d)", p["display_name"], i)
		delete(p, "default")
		if i == 0 {
			p["default"] = true
		}
		out = append(out, p)
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
