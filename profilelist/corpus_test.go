package profilelist

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/internal/roundtrip"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

var update = flag.Bool("update", false, "rewrite golden files and generated docs")

// corpusFiles is every real list, JSON and YAML.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	files := append(corpus.Files(t, "json"), corpus.Files(t, "yaml")...)
	sort.Strings(files)
	return files
}

func parseFile(t testing.TB, path string) *Source {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Parse(data, DefaultLimits)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return src
}

// TestCorpus: every real list parses, validates without errors, imports and
// renders back to the same document (DESIGN.md section 3, "Round trip").
func TestCorpus(t *testing.T) {
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src := parseFile(t, path)
			if src.Format != FormatList {
				t.Fatalf("format = %s, want %s", src.Format, FormatList)
			}
			for _, f := range Validate(src.List, Options{}) {
				if f.Severity == model.Error {
					t.Errorf("error on a list production runs: %s", f)
				}
			}
			c, err := Import(src.List, ImportOptions{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if fs := c.Check(); len(fs) > 0 {
				t.Fatalf("imported catalog is inconsistent: %v", fs)
			}
			got, err := Render(c)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			assertRoundTrip(t, src.List, got)
			for _, f := range Validate(got, Options{}) {
				if f.Severity == model.Error {
					t.Errorf("error on the rendered list: %s", f)
				}
			}

			// Through hubprofiles' own document and back.
			doc, err := ExportDocument(c)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(doc, DefaultLimits)
			if err != nil {
				t.Fatalf("parse own document: %v", err)
			}
			again, err := Render(back.Document)
			if err != nil {
				t.Fatal(err)
			}
			assertSameOrder(t, "", got, again)
		})
	}
}

// TestCorpusPairs: the YAML and JSON file of each hub parse to the same list.
func TestCorpusPairs(t *testing.T) {
	for _, path := range corpusFiles(t) {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		j := parseFile(t, path)
		y := parseFile(t, strings.TrimSuffix(path, ".json")+".yaml")
		if !ordered.Equal(j.List, y.List) {
			t.Errorf("%s: JSON and YAML differ", filepath.Base(path))
		}
	}
}

// assertRoundTrip compares a source list with its rendering, allowing only
// the normalisations DESIGN.md names.
func assertRoundTrip(t *testing.T, src any, got []any) {
	t.Helper()
	want := roundtrip.Normalized(src)
	if !ordered.Equal(want, got) {
		w, _ := ordered.MarshalIndent(want, " ")
		g, _ := ordered.MarshalIndent(got, " ")
		t.Fatalf("round trip changed the list\nwant %s\ngot  %s", w, g)
	}
	assertSameOrder(t, "", want, got)
}

// assertSameOrder checks that profile_options and choices keep their key order.
func assertSameOrder(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Fatalf("%s: arrays differ", path)
		}
		for i := range w {
			assertSameOrder(t, fmt.Sprintf("%s/%d", path, i), w[i], g[i])
		}
	case *ordered.Map:
		g, ok := got.(*ordered.Map)
		if !ok {
			t.Fatalf("%s: want an object", path)
		}
		if strings.HasSuffix(path, "/profile_options") || strings.HasSuffix(path, "/choices") {
			if fmt.Sprint(w.Keys()) != fmt.Sprint(g.Keys()) {
				t.Fatalf("%s: key order %v, want %v", path, g.Keys(), w.Keys())
			}
		}
		for _, k := range w.Keys() {
			wv, _ := w.Get(k)
			gv, _ := g.Get(k)
			assertSameOrder(t, path+"/"+k, wv, gv)
		}
	}
}

// historyErrors are the true errors of the history corpus (its README names
// them): file (hub/date) -> path -> a part of the message. Any other error on
// a list that ran in production is a false error.
var historyErrors = map[string]map[string]string{
	"cloudbank__gpu-demo/2026-07-01": {
		"/0/profile_options/image/choices/00-base-user-image/kubespawner_override/name": "AttributeError",
	},
	"neurohackademy__prod/2025-07-01": {
		"/0/profile_options/image/choices/unlisted_choice": `an unlisted_choice block written inside choices: KubeSpawner offers it as an ordinary choice and applies its kubespawner_override without filling in {value}, so picking it starts a server whose image is literally named "{value}"`,
	},
	"neurohackademy__staging/2025-07-01": {
		"/0/profile_options/image/choices/unlisted_choice": `an unlisted_choice block written inside choices`,
	},
}

// historyName is "hub/date" for a history corpus file.
func historyName(path string) string {
	return filepath.Base(filepath.Dir(path)) + "/" + strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// TestCorpusHistory: every list the shared hubs had over four years (both
// files of each) validates with no errors but the three real ones, each
// reported where it is and with a true message.
func TestCorpusHistory(t *testing.T) {
	files := append(corpus.HistoryFiles(t, "json"), corpus.HistoryFiles(t, "yaml")...)
	seen := map[string]bool{}
	for _, path := range files {
		name := historyName(path)
		t.Run(name+filepath.Ext(path), func(t *testing.T) {
			src := parseFile(t, path)
			if src.Format != FormatList {
				t.Fatalf("format = %s, want %s", src.Format, FormatList)
			}
			want := historyErrors[name]
			for _, f := range Validate(src.List, Options{}) {
				if f.Severity != model.Error {
					continue
				}
				if msg, ok := want[f.Path]; ok && strings.Contains(f.Message, msg) {
					seen[name+f.Path] = true
					continue
				}
				t.Errorf("error on a list production ran: %s", f)
			}
		})
	}
	for name, paths := range historyErrors {
		for path, msg := range paths {
			if !seen[name+path] {
				t.Errorf("%s: the real error at %s (%q) is not reported", name, path, msg)
			}
		}
	}
}

// TestCorpusFindings keeps docs/corpus-findings.md, what Validate reports on
// the real lists and on their history, true: it regenerates the tables and
// compares.
func TestCorpusFindings(t *testing.T) {
	var b strings.Builder
	var current, history []string
	for _, path := range corpusFiles(t) {
		if strings.HasSuffix(path, ".json") {
			current = append(current, path)
		}
	}
	history = corpus.HistoryFiles(t, "json")
	fmt.Fprintf(&b, "# What `hubprofiles validate` finds on 65 production profile lists\n\n")
	fmt.Fprintf(&b, "Generated by `go test ./profilelist -run TestCorpusFindings -update` from the %d lists in\n", len(current))
	fmt.Fprintf(&b, "`../shared/corpus/profile-lists/` (2i2c-org/infrastructure, BSD-3-Clause). These hubs run in\n")
	fmt.Fprintf(&b, "production, so there are no errors; the warnings are real findings. The test fails when\n")
	fmt.Fprintf(&b, "this file no longer matches what the validator reports.\n\n")
	findingsTable(t, &b, current, func(path string) string { return strings.TrimSuffix(filepath.Base(path), ".json") }, "hubs")
	fmt.Fprintf(&b, "\n## Their history\n\n")
	fmt.Fprintf(&b, "The same for the %d lists in `../shared/corpus/history/`: every distinct list 48 of these hubs\n", len(history))
	fmt.Fprintf(&b, "had at 18 quarterly snapshots (2022-07 to 2026-07). The errors are the real bugs its README\n")
	fmt.Fprintf(&b, "names (TestCorpusHistory allows exactly those).\n\n")
	findingsTable(t, &b, history, historyName, "lists")
	got := b.String()
	file := filepath.Join(corpus.RepoRoot(t), "docs", "corpus-findings.md")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("docs/corpus-findings.md is out of date; run go test ./profilelist -run TestCorpusFindings -update\n%s", got)
	}
}

// findingsTable writes a table of what Validate reports on files, grouped by
// message kind, most frequent first; hub names a file in the table, and
// unit says what the count of files with a finding counts.
func findingsTable(t *testing.T, b *strings.Builder, files []string, hub func(string) string, unit string) {
	t.Helper()
	counts := map[string]int{}
	hubs := map[string]map[string]bool{}
	example := map[string]string{}
	for _, path := range files {
		hub := hub(path)
		src := parseFile(t, path)
		for _, f := range Validate(src.List, Options{}) {
			key := string(f.Severity) + ": " + messageKind(f.Message)
			counts[key]++
			if hubs[key] == nil {
				hubs[key] = map[string]bool{}
				example[key] = hub + " " + f.Path + ": " + f.Message
			}
			hubs[key][hub] = true
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	fmt.Fprintf(b, "| finding | times | %s | first example |\n|---|---:|---:|---|\n", unit)
	for _, k := range keys {
		fmt.Fprintf(b, "| %s | %d | %d | %s |\n", mdEscape(k), counts[k], len(hubs[k]), mdEscape(example[k]))
	}
}

// messageKind groups messages that differ only in quoted values.
func messageKind(msg string) string {
	var b strings.Builder
	in := false
	for _, r := range msg {
		switch {
		case r == '"':
			if !in {
				b.WriteString("…")
			}
			in = !in
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ").Replace(s)
}
