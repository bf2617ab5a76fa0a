package ui_test

// Issue 11, item 2 ("root on the node") through the pages, as a browser
// with a session cookie and its CSRF token: the profile editor shows an
// operator's settings read-only, keeps them on an unrelated save, and
// refuses an editor's attempt to add or change one.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// operatorList has settings outside the default policy.editorOverrides at
// the three places an override can be: the profile (init_containers), a
// choice (volume_mounts) and an option's free-text field (extra_pod_config).
const operatorList = `[{"display_name": "Docs", "slug": "docs",
  "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02", "mem_limit": "2G",
    "init_containers": [{"name": "puller", "image": "busybox:1.36", "securityContext": {"runAsUser": 1000}}]},
  "profile_options": {"data": {"display_name": "Data", "choices": {
      "none": {"display_name": "None", "default": true},
      "shared": {"display_name": "Shared data", "kubespawner_override": {"volume_mounts": [{"name": "shared", "mountPath": "/shared", "readOnly": true}]}}},
    "unlisted_choice": {"enabled": true, "display_name": "Other", "validation_regex": "^[a-z]+$",
      "kubespawner_override": {"environment": {"DATASET": "{value}"}, "extra_pod_config": {"enableServiceLinks": false}}}}}}]`

var session = []string{"X-Test-As", "session"}

// newOperatorFixture is a server whose head is operatorList, imported as
// `hubprofiles import` does.
func newOperatorFixture(t *testing.T) *client {
	t.Helper()
	c := newTestServer(t)
	src, err := profilelist.Parse([]byte(operatorList), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "system:cli", Message: "operator", Operator: true}); err != nil {
		t.Fatal(err)
	}
	return c
}

// override is the rendered kubespawner_override of the head at a JSON
// pointer into the profile list.
func headOverride(t *testing.T, c *client, ptr ...any) any {
	t.Helper()
	list, err := profilelist.Render(c.head().Catalog)
	if err != nil {
		t.Fatal(err)
	}
	var v any = list
	for _, p := range ptr {
		switch k := p.(type) {
		case int:
			v = v.([]any)[k]
		case string:
			m, _ := v.(*ordered.Map)
			v, _ = m.Get(k)
		}
	}
	return v
}

func TestSecurityPagesShowOperatorSettingsReadOnly(t *testing.T) {
	c := newOperatorFixture(t)
	page := c.get("profiles/docs", session...)
	for _, tc := range []struct{ textarea, locked, setting string }{
		{"override", "locked", "init_containers"},
		{"opt.0.choice.1.override", "opt.0.choice.1.locked", "volume_mounts"},
		{"opt.0.unlisted.override", "opt.0.unlisted.locked", "extra_pod_config"},
	} {
		if strings.Contains(page.Find("textarea"+byName(tc.textarea)).Text(), tc.setting) {
			t.Errorf("%s is editable in %s", tc.setting, tc.textarea)
		}
		view := page.Find(byID(tc.locked + "-view"))
		if !strings.Contains(view.Find("pre").Text(), tc.setting) || !strings.Contains(view.Text(), "policy.editorOverrides") {
			t.Errorf("%s is not shown read-only with the config key that allows it: %q", tc.setting, textOf(view))
		}
	}
	// What editors may change stays editable.
	if got := page.Find(byName("mem_limit")).AttrOr("value", ""); got != "2G" {
		t.Errorf("mem_limit field = %q", got)
	}
	if !strings.Contains(page.Find("textarea"+byName("opt.0.unlisted.override")).Text(), "DATASET") {
		t.Error("the free-text field's environment is not editable")
	}
}

func TestSecurityPagesKeepOperatorSettingsOnUnrelatedSave(t *testing.T) {
	c := newOperatorFixture(t)
	before := c.revisions()
	v := formValues(c.get("profiles/docs", session...).Find("form").First(), "action", "save")
	v.Set("description", "Edited in the browser")
	v.Set("mem_limit", "4G")
	if r := c.post(http.StatusSeeOther, "profiles/docs", v, session...); !strings.HasPrefix(r.location(), "profiles?done=Saved") {
		t.Errorf("saved to %q", r.location())
	}
	c.wantRevisions(before + 1)
	p := c.profile("docs")
	if p.Description != "Edited in the browser" {
		t.Errorf("description = %q", p.Description)
	}
	for _, ptr := range [][]any{
		{0, "kubespawner_override", "init_containers"},
		{0, "profile_options", "data", "choices", "shared", "kubespawner_override", "volume_mounts"},
		{0, "profile_options", "data", "unlisted_choice", "kubespawner_override", "extra_pod_config"},
	} {
		if headOverride(t, c, ptr...) == nil {
			t.Errorf("%v is gone after an unrelated save", ptr)
		}
	}
}

func TestSecurityPagesRefuseAddingForbiddenSetting(t *testing.T) {
	c := newOperatorFixture(t)
	before := c.revisions()
	v := formValues(c.get("profiles/docs", session...).Find("form").First(), "action", "save")
	v.Set("opt.0.choice.0.override", `{"extra_pod_config": {"hostPID": true, "hostNetwork": true}}`)
	r := c.post(http.StatusUnprocessableEntity, "profiles/docs", v, session...)
	msg := textOf(r.Find(byID("err-opt.0.choice.0.override")))
	if !strings.Contains(msg, "kubespawner_override.extra_pod_config") || !strings.Contains(msg, "policy.editorOverrides") {
		t.Errorf("the refusal next to the field says %q; page: %s", msg, textOf(r.Find("#profile-form")))
	}
	c.wantRevisions(before)
}

// A browser is not needed to change the hidden field: the server refuses
// the change itself.
func TestSecurityPagesRefuseTamperedOperatorSetting(t *testing.T) {
	c := newOperatorFixture(t)
	before := c.revisions()
	v := formValues(c.get("profiles/docs", session...).Find("form").First(), "action", "save")
	v.Set("locked", strings.Replace(v.Get("locked"), `1000`, `0`, 1))
	if !strings.Contains(v.Get("locked"), `"runAsUser": 0`) {
		t.Fatalf("the hidden field is %q", v.Get("locked"))
	}
	r := c.post(http.StatusUnprocessableEntity, "profiles/docs", v, session...)
	if msg := textOf(r.Find(byID("err-override"))); !strings.Contains(msg, "kubespawner_override.init_containers") {
		t.Errorf("the refusal says %q", msg)
	}
	c.wantRevisions(before)
}

// The import page says at Check what the pages may not import, and Import
// refuses it: a list that adds a hostPath volume.
func TestSecurityPagesRefuseImportAddingForbiddenSetting(t *testing.T) {
	c := newFixture(t)
	before := c.revisions()
	const hostile = `[{"display_name": "Small", "slug": "small", "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02",
  "volumes": [{"name": "root", "hostPath": {"path": "/"}}], "volume_mounts": [{"name": "root", "mountPath": "/host"}]}}]`
	for _, action := range []string{"check", "import"} {
		r := c.post(http.StatusUnprocessableEntity, "import", form("content", hostile, "action", action, "base", "3", "_csrf", sessionToken), session...)
		n := r.Find("#import-form .notice").First()
		// The pointer into the list is in each field's title (the page
		// names the profile and the setting).
		notice := squash(n.Text()) + " " + strings.Join(attrs(n.Find("code[title]"), "title"), " ")
		for _, want := range []string{"Profile “Small”", "/0/kubespawner_override/volumes", "kubespawner_override.volumes", "/0/kubespawner_override/volume_mounts", "policy.editorOverrides"} {
			if !strings.Contains(notice, want) {
				t.Errorf("%s: the page does not say %q: %s", action, want, notice)
			}
		}
	}
	c.wantRevisions(before)
}

// The node groups page, where editors read what operators offer, says
// which override settings they may write.
func TestSecurityPagesSayWhatEditorsMaySet(t *testing.T) {
	c := newTestServer(t)
	text := squash(c.get("node-groups").Find("#editor-overrides + p").Text())
	for _, want := range []string{"mem_limit", "node_selector", "built-in default"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q: %s", want, text)
		}
	}
	if strings.Contains(text, "privileged") || strings.Contains(text, "volumes") {
		t.Errorf("the page lists a setting editors may not write: %s", text)
	}
}

// A copy is not new (docs/security.md, "Copies of an operator's settings"):
// an editor duplicates a choice that carries an operator's volume mount and
// saves it; a copy whose hidden operator settings were changed is refused.
func TestSecurityPagesDuplicateCarriesOperatorSettingsUnchanged(t *testing.T) {
	c := newOperatorFixture(t)
	dup := func() url.Values {
		r := c.post(http.StatusOK, "profiles/docs", formValues(c.get("profiles/docs", session...).Find("form").First(), "action", "duplicate-choice:0:1"), session...)
		v := formValues(r.Find("#profile-form form").First(), "action", "save")
		if got := v.Get("opt.0.choice.2.key"); got != "shared-copy" {
			t.Fatalf("the copy's key %q, want shared-copy", got)
		}
		return v
	}
	before := c.revisions()
	v := dup()
	v.Set("opt.0.choice.2.locked", strings.Replace(v.Get("opt.0.choice.2.locked"), `"/shared"`, `"/etc"`, 1))
	r := c.post(http.StatusUnprocessableEntity, "profiles/docs", v, session...)
	if msg := textOf(r.Find(byID("err-opt.0.choice.2.override"))); !strings.Contains(msg, "kubespawner_override.volume_mounts") {
		t.Errorf("the refusal of a changed copy says %q", msg)
	}
	c.wantRevisions(before)

	r = c.do(http.MethodPost, "profiles/docs", dup(), session...)
	wantDone(t, c, r, "profiles", "Saved profile Docs.")
	orig, cp := headOverride(t, c, 0, "profile_options", "data", "choices", "shared", "kubespawner_override"), headOverride(t, c, 0, "profile_options", "data", "choices", "shared-copy", "kubespawner_override")
	if cp == nil || !ordered.Equal(orig, cp) {
		t.Errorf("the copy's override %v, want the original's %v", cp, orig)
	}
}

// Removing an operator's setting narrows what a pod may do: the editor
// removes the volume mount of a choice, and the profile's init container,
// with the page's buttons, and saves.
func TestPagesRemoveOperatorSettings(t *testing.T) {
	c := newOperatorFixture(t)
	page := c.get("profiles/docs", session...)
	if page.Find(`button[value="remove-locked:opt.0.choice.1.locked:volume_mounts"]`).Length() != 1 {
		t.Fatalf("no button removes the choice's volume_mounts: %s", textOf(page.Find(byID("opt.0.choice.1.locked-view"))))
	}
	r := c.post(http.StatusOK, "profiles/docs", formValues(page.Find("form").First(), "action", "remove-locked:opt.0.choice.1.locked:volume_mounts"), session...)
	r = c.post(http.StatusOK, "profiles/docs", formValues(r.Find("#profile-form form").First(), "action", "remove-locked:locked:init_containers"), session...)
	v := formValues(r.Find("#profile-form form").First(), "action", "save")
	if v.Get("locked") != "" || v.Get("opt.0.choice.1.locked") != "" {
		t.Fatalf("the form still carries %q and %q", v.Get("locked"), v.Get("opt.0.choice.1.locked"))
	}
	wantDone(t, c, c.do(http.MethodPost, "profiles/docs", v, session...), "profiles", "Saved profile Docs.")
	if ov := headOverride(t, c, 0, "kubespawner_override"); strings.Contains(fmt.Sprint(ov), "init_containers") {
		t.Errorf("the profile still has init_containers: %v", ov)
	}
	if ov := headOverride(t, c, 0, "profile_options", "data", "choices", "shared", "kubespawner_override"); ov != nil {
		t.Errorf("the choice still has %v", ov)
	}
}

// The page copies an operator's setting from another place of the list:
// the "none" choice gets the "shared" choice's volume mount, and saves.
func TestPagesCopyOperatorSettings(t *testing.T) {
	c := newOperatorFixture(t)
	page := c.get("profiles/docs", session...)
	sel := page.Find(byName("opt.0.choice.0.locked.copy_from") + " option")
	from := ""
	sel.Each(func(_ int, o *goquery.Selection) {
		if strings.Contains(o.Text(), `choice "shared"`) {
			from, _ = o.Attr("value")
		}
	})
	if from == "" {
		t.Fatalf("the choice's copy list does not offer the shared choice: %q", textOf(sel))
	}
	v := formValues(page.Find("form").First(), "action", "copy-locked:opt.0.choice.0.locked")
	v.Set("opt.0.choice.0.locked.copy_from", from)
	r := c.post(http.StatusOK, "profiles/docs", v, session...)
	v = formValues(r.Find("#profile-form form").First(), "action", "save")
	wantDone(t, c, c.do(http.MethodPost, "profiles/docs", v, session...), "profiles", "Saved profile Docs.")
	none, shared := headOverride(t, c, 0, "profile_options", "data", "choices", "none", "kubespawner_override"), headOverride(t, c, 0, "profile_options", "data", "choices", "shared", "kubespawner_override")
	if none == nil || !ordered.Equal(none, shared) {
		t.Errorf("none's override %v, want shared's %v", none, shared)
	}
}

// attrs lists an attribute of each selected element.
func attrs(s *goquery.Selection, name string) []string {
	var out []string
	s.Each(func(_ int, e *goquery.Selection) { out = append(out, e.AttrOr(name, "")) })
	return out
}
