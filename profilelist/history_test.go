package profilelist

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// brokenHistory are the lists of the corpus history that are really broken
// (../shared/corpus/README.md), with what their error must say.
var brokenHistory = map[string]string{
	"cloudbank__gpu-demo/2026-07-01":     "name is a read-only property of the spawner",
	"neurohackademy__prod/2025-07-01":    "is an unlisted_choice block written inside choices",
	"neurohackademy__staging/2025-07-01": "is an unlisted_choice block written inside choices",
}

// TestHistoryCorpus: every list of the corpus history (JSON and YAML)
// parses, imports and renders back to the same document; only the known
// broken ones have errors, and their messages say what is really wrong.
func TestHistoryCorpus(t *testing.T) {
	for _, path := range append(corpus.HistoryFiles(t, "json"), corpus.HistoryFiles(t, "yaml")...) {
		name := filepath.Base(filepath.Dir(path)) + "/" + strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".json"), ".yaml")
		t.Run(name+filepath.Ext(path), func(t *testing.T) {
			src := parseFile(t, path)
			if src.Format != FormatList {
				t.Fatalf("format = %s, want %s", src.Format, FormatList)
			}
			var errs []model.Finding
			for _, f := range Validate(src.List, Options{}) {
				if f.Severity == model.Error {
					errs = append(errs, f)
				}
			}
			says, broken := brokenHistory[name]
			switch {
			case broken && (len(errs) != 1 || !strings.Contains(errs[0].Message, says)):
				t.Errorf("want one error saying %q, got %v", says, errs)
			case !broken && len(errs) > 0:
				t.Errorf("errors on a list production ran: %v", errs)
			}
			c, err := Import(src.List, ImportOptions{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			got, err := Render(c)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			assertRoundTrip(t, src.List, got)
		})
	}
}

// TestHistoryPairs: the YAML and JSON file of each history list parse to
// the same list.
func TestHistoryPairs(t *testing.T) {
	for _, path := range append(corpus.HistoryFiles(t, "json"), corpus.HistoryFiles(t, "yaml")...) {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		j := parseFile(t, path)
		y := parseFile(t, strings.TrimSuffix(path, ".json")+".yaml")
		if !ordered.Equal(j.List, y.List) {
			t.Errorf("%s: JSON and YAML differ", path)
		}
	}
}
