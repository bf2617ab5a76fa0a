package profilelist

import (
	"flag"
	"os"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// maxFuzzSeed is the largest real list that seeds a fuzzing run; most real
// lists are smaller (the median is 4.6 kB).
const maxFuzzSeed = 8 << 10

// FuzzParseImportRender: no input makes parsing, validating, importing or
// rendering panic, and every list that validates without errors and imports
// renders to a list that imports and renders to itself again (a fixed point).
// The seed corpus is every real list; `go test` runs the seeds, `make fuzz`
// explores from the small ones only: the fuzzer mutates and minimises what
// it is seeded with, and a 26 kB seed makes each step of that slow (a
// 5-minute run once spent itself minimising large seeds, 111 executions).
func FuzzParseImportRender(f *testing.F) {
	fuzzing := flag.Lookup("test.fuzz").Value.String() != ""
	for _, path := range corpusFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if fuzzing && len(data) > maxFuzzSeed {
			continue
		}
		f.Add(data)
	}
	f.Add([]byte(billionLaughs(3)))
	f.Add([]byte(`[{"display_name":"A","profile_options":{"o":{"choices":{},"unlisted_choice":{"enabled":"false"}}}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse(data, Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxNodes: 20_000})
		if err != nil {
			return
		}
		list := src.List
		if src.Format == FormatDocument {
			if model.HasErrors(src.Document.Check()) {
				return
			}
			if list, err = Render(src.Document); err != nil {
				t.Fatalf("a consistent document failed to render: %v", err)
			}
		}
		findings := Validate(list, Options{})
		if model.HasErrors(findings) {
			return
		}
		c, err := Import(list, ImportOptions{})
		if err != nil {
			t.Fatalf("a list without errors failed to import: %v", err)
		}
		first, err := Render(c)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		if model.HasErrors(Validate(first, Options{})) {
			t.Fatalf("rendering a valid list made it invalid: %v", Validate(first, Options{}))
		}
		c2, err := Import(first, ImportOptions{})
		if err != nil {
			t.Fatalf("re-import: %v", err)
		}
		second, err := Render(c2)
		if err != nil {
			t.Fatalf("re-render: %v", err)
		}
		if !ordered.Equal(first, second) {
			a, _ := ordered.Marshal(first)
			b, _ := ordered.Marshal(second)
			t.Fatalf("render is not a fixed point:\n%s\n%s", a, b)
		}
		if _, err := ExportValues(c); err != nil {
			t.Fatalf("export values: %v", err)
		}
	})
}
