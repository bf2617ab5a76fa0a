package model

import (
	"slices"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/ordered"
)

func keysOf(o *Option) []string {
	var out []string
	for _, ch := range o.Choices {
		out = append(out, ch.Key)
	}
	return out
}

// A duplicated choice is a deep copy: editing the copy's sizes, environment
// or raw override leaves the original as it was.
func TestDuplicateChoiceIsADeepCopy(t *testing.T) {
	mem, _ := QuantityOf("4G")
	o := Option{Key: "size", Choices: []Choice{
		{Key: "a", Default: true, AllowedGroups: []string{}, Slug: "a",
			Settings: Settings{MemLimit: mem, Environment: ordered.MapOf("A", "1"), GPU: &GPU{Resource: "nvidia.com/gpu"}, NodeSelector: ordered.MapOf("pool", "a")},
			Override: ordered.MapOf("init_containers", []any{ordered.MapOf("name", "x")}), Extra: ordered.MapOf("fancy", "a")},
		{Key: "b"},
	}}
	if err := o.DuplicateChoice("a", "a2", "A two"); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(&o); !slices.Equal(got, []string{"a", "a2", "b"}) {
		t.Fatalf("choices %v, want the copy right after its original", got)
	}
	cp := &o.Choices[1]
	if cp.Default || cp.DisplayName != "A two" || cp.MemLimit.Value() != "4G" || cp.AllowedGroups == nil || !cp.Extra.Has("fancy") || !cp.Override.Has("init_containers") {
		t.Errorf("copy %+v: want every setting but default", cp)
	}
	if cp.Slug != "a2" {
		t.Errorf("copy's slug = %q, want its new key a2 (two choices under one slug are ambiguous)", cp.Slug)
	}
	cp.NodeSelector.Set("pool", "b")
	cp.Environment.Set("A", "2")
	cp.GPU.Resource = "amd.com/gpu"
	cp.Override.Set("init_containers", nil)
	orig := &o.Choices[0]
	if v, _ := orig.NodeSelector.Get("pool"); v != "a" || orig.Slug != "a" {
		t.Errorf("editing the copy changed the original's node selector or slug: %+v", orig)
	}
	if v, _ := orig.Environment.Get("A"); v != "1" || orig.GPU.Resource != "nvidia.com/gpu" || orig.Override.Len() != 1 {
		t.Errorf("editing the copy changed the original: %+v", orig)
	}
	if err := o.DuplicateChoice("a", "b", ""); err == nil {
		t.Error("a copy under an existing key was accepted")
	}
	if err := o.MoveChoice("b", -5); err != nil || !slices.Equal(keysOf(&o), []string{"b", "a", "a2"}) {
		t.Errorf("move to -5: %v, %v", err, keysOf(&o))
	}
	if err := o.MoveChoice("b", 99); err != nil || !slices.Equal(keysOf(&o), []string{"a", "a2", "b"}) {
		t.Errorf("move to 99: %v, %v", err, keysOf(&o))
	}
}

// A typed size change reads in the history like a raw one did.
func TestSummaryNamesTypedChanges(t *testing.T) {
	m8, _ := QuantityOf("8G")
	m16, _ := QuantityOf("16G")
	a := &Catalog{Profiles: []Profile{{Slug: "gpu", DisplayName: "GPU", Settings: Settings{MemLimit: m8}}}}
	b := &Catalog{Profiles: []Profile{{Slug: "gpu", DisplayName: "GPU", Settings: Settings{MemLimit: m16}}}}
	got := strings.Join(Summarize(a, b), "\n")
	if !strings.Contains(got, "mem_limit \"8G\" → \"16G\"") && !strings.Contains(got, "mem_limit 8G → 16G") {
		t.Errorf("summary %q, want the mem_limit change", got)
	}
}
