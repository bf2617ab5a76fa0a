package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// TestFreeTextPrefilledForAnImageOption: an option keyed "image" without a
// free-text field shows {"image": "{value}"} as its override, so ticking
// "users may type their own value" does what it says; saving without
// ticking adds nothing, and emptying the fields still removes the field.
func TestFreeTextPrefilledForAnImageOption(t *testing.T) {
	c := newFixture(t)
	if _, err := c.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "bob", Message: "no free text",
		Apply: func(cat *model.Catalog) error {
			cat.Profiles[cat.ProfileIndex("small")].Options[0].Unlisted = nil
			return nil
		}}); err != nil {
		t.Fatal(err)
	}
	r := c.get("profiles/small")
	if got := squash(r.Find(byName("opt.0.unlisted.override")).Text()); got != `{ "image": "{value}" }` {
		t.Errorf("the image option's free-text override %q, want {\"image\": \"{value}\"} prefilled", got)
	}
	if r.Find(byName("opt.0.unlisted.enabled")).Is("[checked]") || r.Find(byName("opt.0.unlisted.present")).Length() != 0 {
		t.Error("the prefill turned the free-text field on")
	}

	c.post(http.StatusSeeOther, "profiles/small", editorForm(c, "profiles/small", "save"))
	if u := c.profile("small").Options[0].Unlisted; u != nil {
		t.Fatalf("saving without ticking added a free-text field: %+v", u)
	}

	c.post(http.StatusSeeOther, "profiles/small", editorForm(c, "profiles/small", "save", "opt.0.unlisted.enabled", "on"))
	u := c.profile("small").Options[0].Unlisted
	if u == nil || !u.Enabled {
		t.Fatalf("ticking the box saved %+v", u)
	}
	// What KubeSpawner gets (the image template may be a typed field).
	list, err := profilelist.RenderJSON(c.head().Catalog)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(list), `"unlisted_choice":{"enabled":true,"kubespawner_override":{"image":"{value}"}}`) {
		t.Errorf("the rendered free-text field does not set image to {value}: %s", list)
	}
	for _, f := range c.edit.Validate(context.Background(), c.head().Catalog) {
		if strings.Contains(f.Message, "free-text field is enabled") {
			t.Errorf("a prefilled free-text field is warned about: %s", f.Message)
		}
	}

	// Emptying every field removes it, even though the form carries the
	// marker that the profile has one.
	v := editorForm(c, "profiles/small", "save", "opt.0.unlisted.override", "")
	if v.Get("opt.0.unlisted.present") != "on" {
		t.Errorf("the form does not say the profile has a free-text field")
	}
	v.Del("opt.0.unlisted.enabled")
	c.post(http.StatusSeeOther, "profiles/small", v)
	if u := c.profile("small").Options[0].Unlisted; u != nil {
		t.Errorf("emptying the free-text fields kept %+v", u)
	}
}

// TestFreeTextEmptyOverrideIsWarned: an enabled free-text field whose
// override is {} saves, with the warning that typing changes nothing.
func TestFreeTextEmptyOverrideIsWarned(t *testing.T) {
	c := newFixture(t)
	c.post(http.StatusSeeOther, "profiles/small", editorForm(c, "profiles/small", "save", "opt.0.unlisted.override", "{}"))
	var warned bool
	for _, f := range c.edit.Validate(context.Background(), c.head().Catalog) {
		warned = warned || (f.Severity == model.Warning && strings.Contains(f.Message, "kubespawner_override is empty: what users type changes nothing"))
	}
	if !warned {
		t.Error("an enabled free-text field with an empty override is not warned about")
	}
}

// TestRegexTesterKeepsItsAnswer: the tester's button sits in the profile
// form, whose hx-select/hx-swap it would inherit and so throw its answer
// away; it names its own (the browser journey clicks it).
func TestRegexTesterKeepsItsAnswer(t *testing.T) {
	c := newFixture(t)
	b := c.get("profiles/small").Find(`button[hx-post$="/regex-test"]`)
	if b.Length() != 1 {
		t.Fatalf("%d regex test buttons, want 1", b.Length())
	}
	if got := [3]string{b.AttrOr("hx-target", ""), b.AttrOr("hx-select", ""), b.AttrOr("hx-swap", "")}; got != [3]string{"#regex-result-0", "#regex-result", "innerHTML"} {
		t.Errorf("the button's target, select and swap %q", got)
	}
	r := c.post(http.StatusOK, "regex-test", form("opt.0.unlisted.regex", "^a+$", "value", "aaa"), htmx...)
	if got := r.text("#regex-result"); !strings.Contains(got, "matches “aaa”") {
		t.Errorf("the tester answers %q", got)
	}
}
