package profilelist

import (
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// Hub-wide defaults in a z2jh values file: singleuser.image.{name,tag} and
// singleuser.defaultUrl, beside singleuser.profileList, at whatever nesting
// the file uses (jupyterhub:, basehub.jupyterhub:). Importing a values file
// keeps them as the catalog's defaults and remembers the nesting; exporting
// values writes them back the same way.

// ValuesDefaults applies the hub-wide defaults a values file sets to c (an
// image joins the catalog, reused by reference), and records the file's
// nesting. Other sources leave c as it is.
func ValuesDefaults(c *model.Catalog, src *Source) {
	if src.Format != FormatValues || src.Values == nil {
		return
	}
	// ListPath is /<nesting...>/singleuser/profileList.
	parts := strings.Split(strings.TrimPrefix(src.ListPath, "/"), "/")
	nesting := parts[:len(parts)-2]
	c.ValuesNesting = strings.Join(nesting, ".")
	single, _ := lookup(src.Values, append(append([]string{}, nesting...), "singleuser"))
	sm, ok := single.(*ordered.Map)
	if !ok {
		return
	}
	if u, ok := sm.Get("defaultUrl"); ok {
		if s, ok := u.(string); ok {
			c.Defaults.DefaultURL = s
		}
	}
	img, _ := sm.Get("image")
	im, ok := img.(*ordered.Map)
	if !ok {
		return
	}
	name, _ := im.Get("name")
	ref, ok := name.(string)
	if !ok || ref == "" {
		return
	}
	if tag, ok := im.Get("tag"); ok {
		if t := scalarString(tag); t != "" {
			ref += ":" + t
		}
	}
	if !plainRef(ref) {
		return
	}
	imp := newImporter(c)
	imp.countTags([]string{ref})
	c.Defaults.Image = imp.image(ref)
}

// scalarString is a YAML scalar as text: tags like 2024.01.02 or 5 are
// often written unquoted.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, err := ordered.Marshal(x)
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// valuesDefaults is the singleuser map a values export writes: the
// profile list and the hub-wide defaults.
func valuesSingleuser(c *model.Catalog, list []any) *ordered.Map {
	single := ordered.NewMap()
	if im, ok := c.Image(c.Defaults.Image); ok && !strings.Contains(im.Ref, "@") {
		name, tag := splitRef(im.Ref)
		single.Set("image", ordered.MapOf("name", name, "tag", tag))
	}
	if c.Defaults.DefaultURL != "" {
		single.Set("defaultUrl", c.Defaults.DefaultURL)
	}
	single.Set("profileList", list)
	return single
}

// nest puts values under the catalog's values nesting.
func nest(c *model.Catalog, values *ordered.Map) *ordered.Map {
	if c.ValuesNesting == "" {
		return values
	}
	parts := strings.Split(c.ValuesNesting, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		values = ordered.MapOf(parts[i], values)
	}
	return values
}

// splitRef is z2jh's {name, tag} form of a tagged reference ("latest" when
// it has no tag).
func splitRef(ref string) (name, tag string) {
	tag = ImageTag(ref)
	if tag == "" {
		return ref, "latest"
	}
	return strings.TrimSuffix(ref, ":"+tag), tag
}
