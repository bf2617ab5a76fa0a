package ui_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// TestTypedFieldsSurviveTheForm: the typed node selector, pull policy,
// working directory, null limit, free-text image template and the extra
// keys other tools read (allowed_teams, a choice's slug,
// dynamic_image_building, a free-text description) are shown in the
// form's JSON fields and come back typed when it is saved unchanged.
func TestTypedFieldsSurviveTheForm(t *testing.T) {
	c := newTestServer(t)
	list := `[{"display_name": "A", "slug": "a", "allowed_teams": ["org:team"], "kubespawner_override": {
	  "mem_limit": null, "node_selector": {"pool": "big"}, "image_pull_policy": "Always", "working_dir": "/home/jovyan"},
	  "profile_options": {"image": {"display_name": "Image", "dynamic_image_building": {"enabled": true},
	    "unlisted_choice": {"enabled": true, "display_name": "Other", "description": "Any image", "kubespawner_override": {"image": "{value}"}},
	    "choices": {"py": {"display_name": "Python", "slug": "python", "kubespawner_override": {"image": "quay.io/a/b:1"}}}}}}]`
	src, err := profilelist.Parse([]byte(list), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "alice", Message: "import"}); err != nil {
		t.Fatal(err)
	}
	before := c.head()
	v := formValues(c.get("profiles/a").Find("#profile-form form").First(), "action", "save")
	r := c.do(http.MethodPost, "profiles/a", v)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("unchanged: status %d; %s", r.Status, textOf(r.Find("#profile-form")))
	}
	after := c.head()
	if !sameCatalog(withoutEmptyOverrides(before.Catalog), withoutEmptyOverrides(after.Catalog)) {
		t.Errorf("submitted unchanged changes the catalog:\n%s", catalogDiff(before.Catalog, after.Catalog))
	}
	p := after.Catalog.Profiles[0]
	o := p.Options[0]
	if len(p.AllowedTeams) != 1 || p.NodeSelector.Len() != 1 || !p.NoMemLimit || p.ImagePullPolicy != "Always" || p.WorkingDir == "" ||
		o.DynamicImageBuilding == nil || o.Choices[0].Slug != "python" || o.Unlisted.Image != "{value}" || o.Unlisted.Description != "Any image" {
		t.Errorf("after a save the typed fields are %+v", p)
	}
	if !sameJSON(t, after.Revision.ProfileList, before.Revision.ProfileList) {
		t.Error("submitted unchanged changes the list KubeSpawner gets")
	}
}
