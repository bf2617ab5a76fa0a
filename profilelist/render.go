// Package profilelist reads, validates and writes KubeSpawner's profile_list
// format, and converts between it and the model.Catalog. It does no I/O:
// callers hand it bytes and get bytes back.
package profilelist

import (
	"fmt"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/slug"
)

// Render turns a catalog into the list KubeSpawner reads: profiles, options
// and choices in the catalog's order, every slug written out, `choices`
// always present, catalog images and node groups expanded into
// kubespawner_override. It fails only on a reference to an image or node
// group the catalog lacks.
func Render(c *model.Catalog) ([]any, error) {
	out := make([]any, 0, len(c.Profiles))
	for i := range c.Profiles {
		p, err := renderProfile(c, &c.Profiles[i])
		if err != nil {
			return nil, fmt.Errorf("profile %d (%s): %w", i, c.Profiles[i].DisplayName, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// RenderJSON renders the catalog as the compact JSON bytes served to KubeSpawner.
func RenderJSON(c *model.Catalog) ([]byte, error) {
	list, err := Render(c)
	if err != nil {
		return nil, err
	}
	return ordered.Marshal(list)
}

// RenderDefaults is the hub-wide defaults as the hub-side module reads them:
// {"image": ref, "default_url": path}, each only when set.
func RenderDefaults(c *model.Catalog) ([]byte, error) {
	m := ordered.NewMap()
	if c.Defaults.Image != "" {
		im, ok := c.Image(c.Defaults.Image)
		if !ok {
			return nil, fmt.Errorf("no image %q in the catalog", c.Defaults.Image)
		}
		m.Set("image", im.Ref)
	}
	if c.Defaults.DefaultURL != "" {
		m.Set("default_url", c.Defaults.DefaultURL)
	}
	return ordered.Marshal(m)
}

// ProfileSlug is the slug a profile is served under: its own, or the one
// KubeSpawner would generate from its display name.
func ProfileSlug(p *model.Profile) string {
	if p.Slug != "" {
		return p.Slug
	}
	return slug.Make(p.DisplayName)
}

func renderProfile(c *model.Catalog, p *model.Profile) (*ordered.Map, error) {
	m := ordered.NewMap()
	m.Set("display_name", p.DisplayName)
	m.Set("slug", ProfileSlug(p))
	setString(m, "description", p.Description)
	if p.Default {
		m.Set("default", true)
	}
	if p.AllowedGroups != nil {
		m.Set("allowed_groups", stringList(p.AllowedGroups))
	}
	if p.AllowedTeams != nil { // where hubs write it: beside allowed_groups
		m.Set("allowed_teams", stringList(p.AllowedTeams))
	}
	ov, err := renderOverride(c, p.Image, p.NodeGroup, p.DefaultURL, &p.Settings, p.Override)
	if err != nil {
		return nil, err
	}
	if ov != nil {
		m.Set("kubespawner_override", ov)
	}
	if len(p.Options) > 0 {
		opts := ordered.NewMap()
		for i := range p.Options {
			o, err := renderOption(c, &p.Options[i])
			if err != nil {
				return nil, fmt.Errorf("option %q: %w", p.Options[i].Key, err)
			}
			opts.Set(p.Options[i].Key, o)
		}
		m.Set("profile_options", opts)
	}
	setExtra(m, p.Extra)
	return m, nil
}

func renderOption(c *model.Catalog, o *model.Option) (*ordered.Map, error) {
	m := ordered.NewMap()
	setString(m, "display_name", o.DisplayName)
	choices := ordered.NewMap() // always written: KubeSpawner's form breaks without it
	for i := range o.Choices {
		ch := &o.Choices[i]
		cm := ordered.NewMap()
		setString(cm, "display_name", ch.DisplayName)
		setString(cm, "slug", ch.Slug)
		setString(cm, "description", ch.Description)
		if ch.Default {
			cm.Set("default", true)
		}
		if ch.AllowedGroups != nil {
			cm.Set("allowed_groups", stringList(ch.AllowedGroups))
		}
		ov, err := renderOverride(c, ch.Image, ch.NodeGroup, ch.DefaultURL, &ch.Settings, ch.Override)
		if err != nil {
			return nil, fmt.Errorf("choice %q: %w", ch.Key, err)
		}
		if ov != nil {
			cm.Set("kubespawner_override", ov)
		}
		setExtra(cm, ch.Extra)
		choices.Set(ch.Key, cm)
	}
	m.Set("choices", choices)
	if u := o.Unlisted; u != nil {
		um := ordered.NewMap()
		// An imported non-boolean enabled ("false" is enabled to KubeSpawner)
		// stays in Extra and is written from there, as it was.
		if u.Enabled || !u.Extra.Has("enabled") {
			um.Set("enabled", u.Enabled)
		}
		setString(um, "display_name", u.DisplayName)
		setString(um, "description", u.Description)
		setString(um, "display_name_in_choices", u.DisplayNameInChoices)
		setString(um, "validation_regex", u.ValidationRegex)
		setString(um, "validation_message", u.ValidationMessage)
		ov, err := renderOverride(c, "", "", "", &u.Settings, UnlistedOverride(u))
		if err != nil {
			return nil, err
		}
		if ov != nil {
			um.Set("kubespawner_override", ov)
		}
		setExtra(um, u.Extra)
		m.Set("unlisted_choice", um)
	}
	if d := o.DynamicImageBuilding; d != nil {
		m.Set("dynamic_image_building", ordered.MapOf("enabled", d.Enabled))
	}
	setExtra(m, o.Extra)
	return m, nil
}

// renderOverride writes the catalog image, the interface and the node
// group first, then the typed settings, then the admin's own override keys
// in their order; an imported key order (settings.OverrideOrder) wins over
// that. It returns nil when there is nothing to write and the source had no
// override either.
func renderOverride(c *model.Catalog, image, nodeGroup, defaultURL string, settings *model.Settings, ov *ordered.Map) (*ordered.Map, error) {
	if image == "" && nodeGroup == "" && defaultURL == "" && settings.IsZero() {
		return inOrder(ov.Clone(), settings.OverrideOrder), nil
	}
	out := ordered.NewMap()
	if image != "" {
		im, ok := c.Image(image)
		if !ok {
			return nil, fmt.Errorf("no image %q in the catalog", image)
		}
		out.Set("image", im.Ref)
	}
	if defaultURL != "" {
		out.Set("default_url", defaultURL)
	}
	if nodeGroup != "" {
		ng, ok := c.NodeGroup(nodeGroup)
		if !ok {
			return nil, fmt.Errorf("no node group %q", nodeGroup)
		}
		out.Set("node_selector", ng.NodeSelector.Clone())
		if len(ng.Tolerations) > 0 {
			out.Set("tolerations", ng.TolerationList())
		}
	}
	renderSettings(out, settings)
	for _, k := range ov.Keys() {
		if !out.Has(k) {
			v, _ := ov.Get(k)
			out.Set(k, ordered.Clone(v))
		}
	}
	return inOrder(out, settings.OverrideOrder), nil
}

func setString(m *ordered.Map, k, v string) {
	if v != "" {
		m.Set(k, v)
	}
}

// setExtra appends the extra keys verbatim, never replacing a typed field.
func setExtra(m, extra *ordered.Map) {
	for _, k := range extra.Keys() {
		if !m.Has(k) {
			v, _ := extra.Get(k)
			m.Set(k, ordered.Clone(v))
		}
	}
}

func stringList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// ImageRefs lists the image references a profile list names in its
// overrides (not the {value} templates of free-text choices), in order,
// each once.
func ImageRefs(list []any) []string {
	var refs []string
	seen := map[string]bool{}
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch t := v.(type) {
		case *ordered.Map:
			for _, k := range t.Keys() {
				if k == "unlisted_choice" {
					continue
				}
				x, _ := t.Get(k)
				walk(x, k)
			}
		case []any:
			for _, x := range t {
				walk(x, "")
			}
		case string:
			if key == "image" && !seen[t] {
				seen[t] = true
				refs = append(refs, t)
			}
		}
	}
	walk(list, "")
	return refs
}
