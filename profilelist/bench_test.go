package profilelist

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/model"
)

// The largest list of the corpus: 26 kB of JSON, one option with 20 choices.
// Each benchmark runs hubprofiles' code and, as the reference in the same run,
// the standard decoder or encoder doing the same job without keeping key
// order (which is why hubprofiles cannot simply use it).
const largest = "awi-ciroh__prod"

func benchInput(b *testing.B, ext string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(corpus.Dir(b), largest+ext))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkParse(b *testing.B) {
	for _, ext := range []string{".json", ".yaml"} {
		data := benchInput(b, ext)
		b.Run(ext[1:]+"/hubprofiles", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(data, DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(ext[1:]+"/reference", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var v any
				var err error
				if ext == ".json" {
					err = json.Unmarshal(data, &v) // encoding/json into map[string]any
				} else {
					err = yaml.Unmarshal(data, &v) // yaml.v3 into map[string]any
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	src, err := Parse(benchInput(b, ".json"), DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Validate(src.List, Options{})
	}
}

func BenchmarkImport(b *testing.B) {
	src, err := Parse(benchInput(b, ".json"), DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Import(src.List, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	data := benchInput(b, ".json")
	src, err := Parse(data, DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	c, err := Import(src.List, ImportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("hubprofiles", func(b *testing.B) {
		for b.Loop() {
			if _, err := RenderJSON(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	var plain any
	if err := json.Unmarshal(data, &plain); err != nil {
		b.Fatal(err)
	}
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(plain); err != nil { // encoding/json, sorted keys
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBigHub runs validate, import and render on a 500-profile list made
// of the corpus's real profiles (corpus.BigList), ten times the largest sane
// hub, to show that none of them grows faster than the list.
func BenchmarkBigHub(b *testing.B) {
	for _, n := range []int{50, 500} {
		data := corpus.BigList(b, n)
		src, err := Parse(data, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("parse/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(data, DefaultLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("validate/%d", n), func(b *testing.B) {
			for b.Loop() {
				Validate(src.List, Options{})
			}
		})
		var c *model.Catalog
		b.Run(fmt.Sprintf("import/%d", n), func(b *testing.B) {
			for b.Loop() {
				if c, err = Import(src.List, ImportOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("render/%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := RenderJSON(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
