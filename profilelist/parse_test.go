package profilelist

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/ordered"
)

func TestParseFormats(t *testing.T) {
	list := "- display_name: A\n  slug: a\n"
	tests := []struct {
		name     string
		in       string
		format   Format
		listPath string
	}{
		{"json list", `[{"display_name":"A","slug":"a"}]`, FormatList, ""},
		{"yaml list", list, FormatList, ""},
		{"z2jh values", "hub: {}\nsingleuser:\n  profileList:\n" + indent(list, "  "), FormatValues, "/singleuser/profileList"},
		{"z2jh as a sub-chart", "jupyterhub:\n  singleuser:\n    profileList:\n" + indent(list, "    "), FormatValues, "/jupyterhub/singleuser/profileList"},
		{"daskhub/basehub", "basehub:\n  jupyterhub:\n    singleuser:\n      profileList:\n" + indent(list, "      "), FormatValues, "/basehub/jupyterhub/singleuser/profileList"},
		{"values as JSON", `{"singleuser":{"profileList":[{"display_name":"A","slug":"a"}]}}`, FormatValues, "/singleuser/profileList"},
		{"hubprofiles document", `{"schema_version":1,"images":[],"node_groups":[],"profiles":[{"slug":"a","display_name":"A"}]}`, FormatDocument, ""},
		{"byte order mark", "\xef\xbb\xbf" + list, FormatList, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Parse([]byte(tt.in), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if src.Format != tt.format || src.ListPath != tt.listPath {
				t.Fatalf("format %s at %q, want %s at %q", src.Format, src.ListPath, tt.format, tt.listPath)
			}
			var got any = src.List
			if src.Format == FormatDocument {
				got, err = Render(src.Document)
				if err != nil {
					t.Fatal(err)
				}
			}
			want := []any{ordered.MapOf("display_name", "A", "slug", "a")}
			if !ordered.Equal(got, want) {
				b, _ := ordered.Marshal(got)
				t.Errorf("list = %s", b)
			}
		})
	}
}

func indent(s, by string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "")
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		line, col int
		contains  string
	}{
		{"malformed JSON", "[\n {\"display_name\": \"A\"\n]", 3, 1, "invalid character ']'"},
		{"malformed YAML", "- display_name: A\n  slug: a\n   bad: x\n", 3, 0, "mapping values are not allowed"},
		{"unterminated YAML string", "- display_name: A\n  slug: 'a\n", 2, 0, "unexpected end of stream"},
		{"YAML tab indentation", "- display_name: A\n\tslug: a\n", 2, 0, "tab"},
		{"duplicate YAML key", "- display_name: A\n  display_name: B\n", 2, 3, `duplicate key "display_name"`},
		{"duplicate JSON key", `[{"slug":"a","slug":"b"}]`, 1, 20, `duplicate key "slug"`},
		{"YAML infinity", "- display_name: A\n  kubespawner_override: {cpu_limit: .inf}\n", 2, 37, "cannot be written in JSON"},
		{"nothing found", "hub:\n  config: {}\n", 0, 0, "no profile list found"},
		{"empty", "", 0, 0, "empty"},
		{"a scalar", "hello", 0, 0, "got a string"},
		{"document of another version", `{"schema_version":7,"profiles":[]}`, 0, 0, "schema_version 7"},
		{"document with an unknown field", `{"schema_version":1,"profiles":[],"colour":"red"}`, 0, 0, `unknown field "colour"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), DefaultLimits)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a ParseError", err)
			}
			if pe.Line != tt.line || pe.Column != tt.col || !strings.Contains(pe.Msg, tt.contains) {
				t.Errorf("got %d:%d %q, want %d:%d containing %q", pe.Line, pe.Column, pe.Msg, tt.line, tt.col, tt.contains)
			}
		})
	}
}

func TestParseMergeKeys(t *testing.T) {
	in := `
small: &small
  mem_limit: 2G
  cpu_limit: 1
singleuser:
  profileList:
    - display_name: A
      kubespawner_override:
        <<: *small
        cpu_limit: 2
`
	src, err := Parse([]byte(in), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := ordered.Marshal(src.List)
	if want := `[{"display_name":"A","kubespawner_override":{"mem_limit":"2G","cpu_limit":2}}]`; string(got) != want {
		t.Errorf("got %s, want %s (explicit keys win over merged ones)", got, want)
	}
}

// billionLaughs nests aliases so that expanding them gives 9^levels values.
func billionLaughs(levels int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d]\n", i, i, i-1)
	}
	fmt.Fprintf(&b, "singleuser: {profileList: *a%d}\n", levels)
	return b.String()
}

// TestParseRefusesHostileInput: an alias bomb, an oversized input and deep
// nesting are refused fast and in bounded memory, never expanded.
func TestParseRefusesHostileInput(t *testing.T) {
	deepJSON := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	deepYAML := strings.Repeat("- ", 1000) + "x\n"
	tests := []struct {
		name, in, contains string
	}{
		{"billion laughs", billionLaughs(9), "more than 200000 values"},
		{"too large", "[" + strings.Repeat(" ", 5<<20) + "]", "more than the limit"},
		{"deep JSON", deepJSON, "nested deeper than 64"},
		{"deep YAML", deepYAML, "nested deeper than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Parse([]byte(tt.in), DefaultLimits)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("err = %v, want one containing %q", err, tt.contains)
			}
			// Generous bounds: expanding the bomb would need billions of values.
			if elapsed > 2*time.Second {
				t.Errorf("refusing took %v", elapsed)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("refusing allocated %d MiB", alloc>>20)
			}
		})
	}
}
