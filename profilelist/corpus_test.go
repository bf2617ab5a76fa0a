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

// TestCorpusFindings keeps docs/corpus-findings.md, the warnings Validate
// reports on the real lists, true: it regenerates the table and compares.
func TestCorpusFindings(t *testing.T) {
	type row struct{ msg, where string }
	counts := map[string]int{}
	hubs := map[string]map[string]bool{}
	example := map[string]string{}
	files := 0
	for _, path := range corpusFiles(t) {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		files++
		hub := strings.TrimSuffix(filepath.Base(path), ".json")
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
	var b strings.Builder
	fmt.Fprintf(&b, "# What `hubprofiles validate` finds on 65 production profile lists\n\n")
	fmt.Fprintf(&b, "Generated by `go test ./profilelist -run TestCorpusFindings -update` from the %d lists in\n", files)
	fmt.Fprintf(&b, "`../shared/corpus/profile-lists/` (2i2c-org/infrastructure, BSD-3-Clause). These hubs run in\n")
	fmt.Fprintf(&b, "production, so there are no errors; the warnings are real findings. The test fails when\n")
	fmt.Fprintf(&b, "this file no longer matches what the validator reports.\n\n")
	fmt.Fprintf(&b, "| finding | times | hubs | first example |\n|---|---:|---:|---|\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "| %s | %d | %d | %s |\n", mdEscape(k), counts[k], len(hubs[k]), mdEscape(example[k]))
	}
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
