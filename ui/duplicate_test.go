package ui_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestProfileDuplicate: the Duplicate button on the profiles page copies a
// profile with every setting, right after it, and opens the copy's editor.
func TestProfileDuplicate(t *testing.T) {
	c := newFixture(t)
	page := c.get("profiles")
	sel := page.Find(`form[action$="/profiles/gpu/duplicate"]`)
	if sel.Length() != 1 {
		t.Fatalf("no Duplicate form for profile gpu on the profiles page")
	}
	r := c.do(http.MethodPost, "profiles/gpu/duplicate", formValues(sel.First(), "", ""))
	wantDone(t, c, r, "profiles/gpu-copy", "Copied profile gpu as gpu-copy")
	wantWritten(t, c, 4, "duplicate profile gpu")

	orig, cp := *c.profile("gpu"), *c.profile("gpu-copy") // copies: the head is shared
	if cp.DisplayName != orig.DisplayName+" (copy)" || cp.Default {
		t.Errorf("copy named %q (default %t)", cp.DisplayName, cp.Default)
	}
	cp.Slug, cp.DisplayName, cp.Default = orig.Slug, orig.DisplayName, orig.Default
	a, _ := json.Marshal(orig)
	b, _ := json.Marshal(cp)
	if string(a) != string(b) {
		t.Errorf("the copy differs beyond its name:\n%s\n%s", a, b)
	}
	cat := c.head().Catalog
	if i, j := cat.ProfileIndex("gpu"), cat.ProfileIndex("gpu-copy"); j != i+1 {
		t.Errorf("copy at %d, original at %d: want it right after", j, i)
	}
	// A second copy takes the next free slug.
	r = c.do(http.MethodPost, "profiles/gpu/duplicate", formValues(c.get("profiles").Find(`form[action$="/profiles/gpu/duplicate"]`).First(), "", ""))
	wantDone(t, c, r, "profiles/gpu-copy-2", "Copied profile gpu as gpu-copy-2")
}

// TestChoiceDuplicateInTheEditor: "Duplicate this choice" puts a copy of
// everything the choice holds right after it; saving writes it.
func TestChoiceDuplicateInTheEditor(t *testing.T) {
	c := newFixture(t)
	r := c.post(http.StatusOK, "profiles/small", editorForm(c, "profiles/small", "duplicate-choice:0:0"))
	v := formValues(r.Find("#profile-form form").First(), "action", "save")
	if got := v.Get("opt.0.choice.1.key"); got != "scipy-copy" {
		t.Fatalf("the copy's key %q, want scipy-copy right after scipy", got)
	}
	r = c.do(http.MethodPost, "profiles/small", v)
	wantDone(t, c, r, "profiles", "Saved profile Small.")
	o := c.profile("small").Options[0]
	orig, cp := o.Choices[0], o.Choices[1]
	if cp.Key != "scipy-copy" || cp.Default || cp.Image != orig.Image || cp.DisplayName != orig.DisplayName+" (copy)" {
		t.Errorf("copy %+v of %+v", cp, orig)
	}
	if len(o.Choices) != 3 || o.Choices[2].Key != "r" {
		t.Errorf("choices after the copy: %d", len(o.Choices))
	}
}
